// A small browser stand-in for driving real @auth/core `Auth()` in tests:
// `Request` objects, a cookie jar, CSRF tokens, and the round trip through a
// (fake) OAuth provider, which is the only part that goes over HTTP.

import { Auth } from '@auth/core';

export const ORIGIN = 'http://localhost:3000';

/** A logger for Auth.js that records instead of printing. */
export function recordingLogger() {
  const errors = [];
  const warnings = [];
  return {
    errors,
    warnings,
    logger: {
      error: (error) => errors.push(error),
      warn: (code) => warnings.push(code),
      debug: () => {},
    },
    clear() {
      errors.length = 0;
      warnings.length = 0;
    },
  };
}

/**
 * Wraps an adapter so that every call is recorded by name (it stays a plain
 * object of functions, as Auth.js needs).
 */
export function spyAdapter(adapter) {
  const calls = [];
  const wrapped = {};
  for (const [name, fn] of Object.entries(adapter)) {
    wrapped[name] = async (...args) => {
      calls.push(name);
      return fn(...args);
    };
  }
  return { adapter: wrapped, calls, reset: () => (calls.length = 0) };
}

/** Parses one Set-Cookie header into { name, value, expired }. */
function parseSetCookie(header) {
  const [pair, ...attributes] = header.split(';');
  const at = pair.indexOf('=');
  const name = pair.slice(0, at).trim();
  const value = pair.slice(at + 1).trim();
  let expired = value === '';
  for (const attribute of attributes) {
    const [k, v = ''] = attribute.split('=');
    const key = k.trim().toLowerCase();
    if (key === 'max-age' && Number(v) <= 0) expired = true;
    if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
  }
  return { name, value, expired };
}

/**
 * One browser for `config` (an Auth.js config with `basePath`). Requests go to
 * `Auth()` directly; the OAuth provider's authorization endpoint is fetched
 * over HTTP without following redirects.
 */
export function authClient(config, { origin = ORIGIN } = {}) {
  const basePath = config.basePath ?? '/auth';
  const jar = new Map();

  function storeCookies(response) {
    for (const header of response.headers.getSetCookie()) {
      const { name, value, expired } = parseSetCookie(header);
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** `Auth()` on `path` (relative to the origin, or a full URL on it). */
  async function request(path, init = {}) {
    const url = new URL(path, origin);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await Auth(new Request(url, { ...init, headers }), config);
    storeCookies(response);
    return response;
  }

  const auth = (action) => `${basePath}/${action}`;

  async function csrf() {
    const response = await request(auth('csrf'));
    const { csrfToken } = await response.json();
    return csrfToken;
  }

  /** A form POST with the CSRF token (and a callbackUrl on the origin). */
  async function post(path, fields = {}) {
    const csrfToken = await csrf();
    return request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${origin}/`, ...fields }),
    });
  }

  return {
    origin,
    jar,
    request,
    csrf,
    post,
    /** The session cookie's value (the database session token), if any. */
    sessionToken() {
      return jar.get('authjs.session-token') ?? jar.get('__Secure-authjs.session-token');
    },
    async session() {
      const response = await request(auth('session'));
      return response.json();
    },
    /** POST /session with `data` (the client's `update()`). */
    async updateSession(data) {
      const csrfToken = await csrf();
      const response = await request(auth('session'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ csrfToken, data }),
      });
      return response;
    },
    async signOut() {
      return post(auth('signout'));
    },
    /** Step 1 of email sign-in: ask for a code. */
    async requestEmailCode(email, providerId = 'email') {
      return post(auth(`signin/${providerId}`), { email });
    },
    /** Step 2: call back with the code, as the link in the mail would. */
    async emailCallback(email, code, providerId = 'email') {
      const query = new URLSearchParams({ token: code, email, callbackUrl: `${origin}/` });
      return request(`${auth(`callback/${providerId}`)}?${query}`);
    },
    /**
     * A whole OAuth sign-in: POST /signin/<id> → the provider's authorization
     * endpoint (over HTTP) → GET /callback/<id>?code&state. Returns the three
     * responses; `callback` is Auth.js's answer at the end.
     */
    async signInOAuth(providerId) {
      const signin = await post(auth(`signin/${providerId}`));
      const authorizeUrl = signin.headers.get('location');
      if (signin.status !== 302 || !authorizeUrl) {
        throw new Error(`sign-in did not redirect to the provider: ${signin.status}`);
      }
      const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
      await authorize.arrayBuffer();
      const back = authorize.headers.get('location');
      if (authorize.status !== 302 || !back) {
        throw new Error(`the provider did not redirect back: ${authorize.status}`);
      }
      if (new URL(back).origin !== origin) throw new Error(`redirected elsewhere: ${back}`);
      const callback = await request(back);
      return { signin, authorizeUrl: new URL(authorizeUrl), authorize, callback };
    },
  };
}

/** The Location of a redirect as a URL (throws when the response is not one). */
export function location(response) {
  const value = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !value) {
    throw new Error(`expected a redirect, got ${response.status}`);
  }
  return new URL(value);
}

/** Partner API requests by operation, from the fake's request log. */
export function partnerOps(api) {
  const counts = {};
  for (const { op } of api.requests) counts[op] = (counts[op] ?? 0) + 1;
  return counts;
}
