// A local fake OAuth 2 / OpenID Connect provider for the flow tests, served on
// 127.0.0.1 (a free port) with Node built-ins only:
//
//   GET  /.well-known/openid-configuration   discovery (for `type: 'oidc'`)
//   GET  /jwks                               the RS256 public key
//   GET  /authorize                          "signs in" as the current identity
//                                            and redirects back with code + state
//   POST /token                              authorization_code grant (client
//                                            auth: Basic or POST; PKCE S256)
//   GET  /userinfo                           the profile, for a Bearer access token
//
// The identity the next authorization signs in as is set with `login(profile)`.
// `provider()` gives the Auth.js provider config (plain OAuth 2 with explicit
// endpoints, or OIDC through discovery), so @auth/core's real code path runs.

import http from 'node:http';
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const random = (n = 16) => randomBytes(n).toString('base64url');

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Starts one fake provider. `type`: 'oauth' (explicit authorization/token/
 * userinfo URLs; the token response still carries an RS256 id_token) or
 * 'oidc' (issuer discovery, profile from the id_token).
 */
export async function startFakeOAuthProvider({
  id = 'fake-oauth',
  name = 'Fake OAuth',
  type = 'oauth',
  clientId = `client-${id}`,
  clientSecret = `secret-${random(12)}`,
  expiresIn = 3600,
  scope = 'openid profile email',
} = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = random(8);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };

  let identity = null; // the profile the next /authorize signs in as
  const codes = new Map(); // code -> { profile, redirectUri, challenge, nonce }
  const accessTokens = new Map(); // access_token -> profile
  const issued = []; // every token response sent
  const requests = []; // { endpoint, method, status }
  const sockets = new Set();
  let url;

  function idToken(profile, nonce) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: url,
      sub: profile.sub,
      aud: clientId,
      iat: now,
      exp: now + 600,
      email: profile.email,
      email_verified: true,
      name: profile.name,
      picture: profile.picture,
      ...(nonce ? { nonce } : {}),
    };
    const header = { alg: 'RS256', typ: 'JWT', kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`;
  }

  function send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  const oauthError = (res, status, error, description) =>
    send(res, status, { error, error_description: description });

  /** client_secret_basic or client_secret_post; true when the client is ours. */
  function clientAuthenticated(req, form) {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization || '');
    if (basic) {
      const [user, pass] = Buffer.from(basic[1], 'base64').toString().split(':');
      const decode = (s) => decodeURIComponent(String(s).replace(/\+/g, ' '));
      return safeEqual(decode(user), clientId) && safeEqual(decode(pass ?? ''), clientSecret);
    }
    return (
      form.get('client_id') === clientId && safeEqual(form.get('client_secret') ?? '', clientSecret)
    );
  }

  const handlers = {
    'GET /.well-known/openid-configuration': (req, res) =>
      send(res, 200, {
        issuer: url,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        userinfo_endpoint: `${url}/userinfo`,
        jwks_uri: `${url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['openid', 'profile', 'email'],
      }),

    'GET /jwks': (req, res) => send(res, 200, { keys: [jwk] }),

    'GET /authorize': (req, res, query) => {
      const redirectUri = query.get('redirect_uri');
      if (query.get('client_id') !== clientId)
        return oauthError(res, 400, 'invalid_client', 'unknown client_id');
      if (!redirectUri) return oauthError(res, 400, 'invalid_request', 'redirect_uri is required');
      const back = new URL(redirectUri);
      const state = query.get('state');
      if (state !== null) back.searchParams.set('state', state);
      if (query.get('response_type') !== 'code') {
        back.searchParams.set('error', 'unsupported_response_type');
      } else if (!identity) {
        back.searchParams.set('error', 'access_denied');
      } else {
        const method = query.get('code_challenge_method');
        if (query.get('code_challenge') && method !== 'S256') {
          return oauthError(res, 400, 'invalid_request', 'only S256 PKCE is supported');
        }
        const code = random(24);
        codes.set(code, {
          profile: { ...identity },
          redirectUri,
          challenge: query.get('code_challenge'),
          nonce: query.get('nonce'),
        });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.toString() });
      res.end();
    },

    'POST /token': (req, res, _query, body) => {
      const form = new URLSearchParams(body);
      if (!clientAuthenticated(req, form))
        return oauthError(res, 401, 'invalid_client', 'client authentication failed');
      if (form.get('grant_type') !== 'authorization_code') {
        return oauthError(res, 400, 'unsupported_grant_type', 'authorization_code only');
      }
      const grant = codes.get(form.get('code'));
      codes.delete(form.get('code')); // a code is used once
      if (!grant) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
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
      const accessToken = `at_${random(24)}`;
      accessTokens.set(accessToken, grant.profile);
      const response = {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        refresh_token: `rt_${random(24)}`,
        scope,
        id_token: idToken(grant.profile, grant.nonce),
      };
      issued.push(response);
      send(res, 200, response);
    },

    'GET /userinfo': (req, res) => {
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization || '');
      const profile = bearer && accessTokens.get(bearer[1]);
      if (!profile) {
        return send(
          res,
          401,
          { error: 'invalid_token' },
          { 'www-authenticate': 'Bearer error="invalid_token"' },
        );
      }
      send(res, 200, profile);
    },
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const target = new URL(req.url, 'http://placeholder');
    const endpoint = `${req.method} ${target.pathname}`;
    const entry = { endpoint, method: req.method, path: target.pathname, status: null };
    requests.push(entry);
    const handler = handlers[endpoint];
    try {
      if (!handler) send(res, 404, { error: 'not_found' });
      else handler(req, res, target.searchParams, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(e) });
    }
    entry.status = res.statusCode;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${server.address().port}`;

  let closing = null;
  return {
    id,
    type,
    url,
    issuer: url,
    clientId,
    clientSecret,
    requests,
    issued,
    /** Requests per endpoint ("POST /token"), or all of them. */
    calls: (endpoint) =>
      endpoint === undefined
        ? requests.length
        : requests.filter((r) => r.endpoint === endpoint).length,
    resetRequests() {
      requests.length = 0;
    },
    /** The identity the next authorizations sign in as (null: the user declines). */
    login(profile) {
      identity = profile === null ? null : { ...profile };
    },
    /** The Auth.js provider config for this fake; `overrides` are merged in. */
    provider(overrides = {}) {
      const common = { id, name, type, clientId, clientSecret, issuer: url };
      if (type === 'oidc') {
        return { ...common, checks: ['pkce', 'state', 'nonce'], ...overrides };
      }
      return {
        ...common,
        authorization: { url: `${url}/authorize`, params: { scope } },
        token: `${url}/token`,
        userinfo: `${url}/userinfo`,
        checks: ['pkce', 'state'],
        ...overrides,
      };
    },
    close() {
      if (!closing) {
        closing = new Promise((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
      }
      return closing;
    },
  };
}
