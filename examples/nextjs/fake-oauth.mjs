// A small local OAuth 2 provider for the example (Node built-ins only), on
// loopback. Unlike a real provider it asks for no password: its authorization
// page lets you type the email and name to "sign in" as.
//
//   GET  /authorize   the consent page (email, name; Allow / Deny)
//   POST /authorize   issues a one-time code and redirects back with code + state
//   POST /token       authorization_code grant; client_secret_basic or _post; PKCE S256
//   GET  /userinfo    { sub, email, email_verified, name } for a Bearer access token
//
// The subject (`sub`) is derived from the email, so the same person gets the
// same provider account id every time.
//
// Run alone: `node fake-oauth.mjs [port]` prints the FAKE_OAUTH_* variables
// the app reads. Imported: `startFakeOAuth({ port, clientId, clientSecret })`.

import http from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const random = (bytes = 24) => randomBytes(bytes).toString('base64url');
const CODE_TTL_MS = 60_000;

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

const escape = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** Only loopback redirect URIs: this provider is for local development. */
function loopbackUrl(value) {
  try {
    const url = new URL(value);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url : null;
  } catch {
    return null;
  }
}

function consentPage(params, problem) {
  const hidden = [
    'client_id',
    'redirect_uri',
    'state',
    'scope',
    'code_challenge',
    'code_challenge_method',
  ]
    .filter((name) => params.get(name) !== null)
    .map((name) => `<input type="hidden" name="${name}" value="${escape(params.get(name))}">`)
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Fake OAuth: sign in</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #24292f; color: #24292f; }
    main { max-width: 26rem; margin: 4rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: .5rem; }
    label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
    input[type=email], input[type=text] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
    .buttons { display: flex; gap: .5rem; margin-top: 1.25rem; }
    button { padding: .5rem 1rem; font-size: 1rem; border: 0; border-radius: .25rem; color: #fff; background: #2da44e; }
    button[value=deny] { background: #6e7781; }
    .problem { color: #a40e26; }
  </style>
</head>
<body>
  <main>
    <h1>Fake OAuth</h1>
    <p><strong>${escape(params.get('client_id') ?? '')}</strong> wants your email and name.
      This local provider asks for no password.</p>
    ${problem ? `<p class="problem">${escape(problem)}</p>` : ''}
    <form method="post" action="/authorize">
      ${hidden}
      <label for="email">Email</label>
      <input id="email" name="email" type="email" required autofocus>
      <label for="name">Name</label>
      <input id="name" name="name" type="text">
      <div class="buttons">
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
      </div>
    </form>
  </main>
</body>
</html>`;
}

/**
 * Starts the provider on 127.0.0.1. Resolves to
 * `{ url, clientId, clientSecret, requests, close() }`.
 */
export async function startFakeOAuth({
  port = 0,
  clientId = 'nextauth-chatbotkit-example',
  clientSecret = `fake-oauth-${random(12)}`,
} = {}) {
  const codes = new Map(); // code -> { profile, redirectUri, challenge, clientId, expires }
  const tokens = new Map(); // access token -> profile
  const requests = [];
  const sockets = new Set();

  function send(res, status, body, headers = {}) {
    const html = typeof body === 'string';
    res.writeHead(status, {
      'content-type': html ? 'text/html; charset=utf-8' : 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(html ? body : JSON.stringify(body));
  }

  const oauthError = (res, status, error, description) =>
    send(res, status, { error, error_description: description });

  function checkAuthorizeParams(params) {
    if (params.get('client_id') !== clientId) return 'unknown client_id';
    if (!loopbackUrl(params.get('redirect_uri'))) return 'redirect_uri must be a loopback URL';
    const method = params.get('code_challenge_method');
    if (params.get('code_challenge') && method !== 'S256') return 'only S256 PKCE is supported';
    return null;
  }

  function authorize(req, res, params) {
    const problem = checkAuthorizeParams(params);
    if (problem) return oauthError(res, 400, 'invalid_request', problem);
    const back = new URL(params.get('redirect_uri'));
    if (params.get('state') !== null) back.searchParams.set('state', params.get('state'));
    if (req.method === 'GET') {
      if ((params.get('response_type') ?? 'code') !== 'code') {
        back.searchParams.set('error', 'unsupported_response_type');
        return send(res, 302, '', { location: back.href });
      }
      return send(res, 200, consentPage(params));
    }
    if (params.get('decision') !== 'allow') {
      back.searchParams.set('error', 'access_denied');
      return send(res, 302, '', { location: back.href });
    }
    const email = String(params.get('email') ?? '')
      .trim()
      .toLowerCase();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
      return send(res, 400, consentPage(params, 'Type an email address.'));
    }
    const profile = {
      sub: `fake-${createHash('sha256').update(email).digest('hex').slice(0, 20)}`,
      email,
      email_verified: true,
      name: String(params.get('name') ?? '').trim() || email.split('@')[0],
    };
    const code = random();
    codes.set(code, {
      profile,
      clientId,
      redirectUri: params.get('redirect_uri'),
      challenge: params.get('code_challenge'),
      expires: Date.now() + CODE_TTL_MS,
    });
    back.searchParams.set('code', code);
    send(res, 302, '', { location: back.href });
  }

  /** client_secret_basic or client_secret_post. */
  function clientAuthenticated(req, form) {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString();
      const at = decoded.indexOf(':');
      const unescape = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
      return (
        at > 0 &&
        safeEqual(unescape(decoded.slice(0, at)), clientId) &&
        safeEqual(unescape(decoded.slice(at + 1)), clientSecret)
      );
    }
    return (
      form.get('client_id') === clientId && safeEqual(form.get('client_secret') ?? '', clientSecret)
    );
  }

  function token(req, res, form) {
    if (!clientAuthenticated(req, form)) {
      return oauthError(res, 401, 'invalid_client', 'client authentication failed');
    }
    if (form.get('grant_type') !== 'authorization_code') {
      return oauthError(res, 400, 'unsupported_grant_type', 'authorization_code only');
    }
    const grant = codes.get(form.get('code'));
    codes.delete(form.get('code')); // one use
    if (!grant || grant.expires < Date.now()) {
      return oauthError(res, 400, 'invalid_grant', 'unknown, used or expired code');
    }
    if (form.get('redirect_uri') !== grant.redirectUri) {
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri mismatch');
    }
    if (grant.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      const expected = createHash('sha256').update(verifier).digest('base64url');
      if (!safeEqual(expected, grant.challenge)) {
        return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
      }
    }
    const accessToken = `fake_at_${random()}`;
    tokens.set(accessToken, grant.profile);
    send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'profile email',
    });
  }

  function userinfo(req, res) {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const profile = bearer && tokens.get(bearer[1]);
    if (!profile) {
      return send(
        res,
        401,
        { error: 'invalid_token' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    send(res, 200, profile);
  }

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url, 'http://placeholder');
    const endpoint = `${req.method} ${target.pathname}`;
    requests.push(endpoint);
    try {
      switch (endpoint) {
        case 'GET /authorize':
          return authorize(req, res, target.searchParams);
        case 'POST /authorize':
          return authorize(req, res, new URLSearchParams(body));
        case 'POST /token':
          return token(req, res, new URLSearchParams(body));
        case 'GET /userinfo':
          return userinfo(req, res);
        case 'GET /favicon.ico':
          return res.writeHead(204).end(); // browsers ask; nothing to show
        default:
          return oauthError(res, 404, 'not_found', endpoint);
      }
    } catch (error) {
      if (!res.headersSent) oauthError(res, 500, 'server_error', String(error?.message ?? error));
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;

  let closing = null;
  return {
    url,
    clientId,
    clientSecret,
    /** "METHOD /path" of every request, oldest first. */
    requests,
    /** The environment the example app reads. */
    env: {
      FAKE_OAUTH_URL: url,
      FAKE_OAUTH_CLIENT_ID: clientId,
      FAKE_OAUTH_CLIENT_SECRET: clientSecret,
    },
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const provider = await startFakeOAuth({ port: Number(process.argv[2] ?? 0) });
  for (const [name, value] of Object.entries(provider.env)) console.log(`${name}=${value}`);
  console.error(`fake OAuth provider on ${provider.url} (Ctrl-C stops it)`);
  process.on('SIGINT', () => provider.close().then(() => process.exit(0)));
}
