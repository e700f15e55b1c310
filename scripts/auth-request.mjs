// Drives @auth/core's Auth() with Request objects and a cookie jar, as a
// browser would: shared by the demo and the sign-in benchmark.

import { Auth } from '@auth/core';

/** A `request(path, init)` that keeps the cookies Auth.js sets between calls. */
export function cookieJarRequest(config, origin) {
  const jar = new Map();
  return async function request(path, init = {}) {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await Auth(new Request(new URL(path, origin), { ...init, headers }), config);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
}
