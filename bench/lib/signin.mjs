// A full email sign-in through real @auth/core, the way scripts/demo.mjs does
// it: Auth() with Request objects, a cookie jar per sign-in, the code read
// from an in-process outbox. The same provider config for every adapter.

import { cookieJarRequest } from '../../scripts/auth-request.mjs';
import { ChatBotKitEmailProvider } from '../../index.mjs';

const ORIGIN = 'http://localhost:3000';

export async function makeSignIn(adapter) {
  const outbox = new Map();
  const config = {
    basePath: '/auth',
    secret: 'bench-auth-secret-not-for-production-0123456789',
    trustHost: true,
    adapter,
    session: { strategy: 'jwt' },
    logger: { error() {}, warn() {}, debug() {} },
    providers: [
      ChatBotKitEmailProvider({
        async sendVerificationRequest({ identifier, token }) {
          outbox.set(identifier, token);
        },
      }),
    ],
  };

  return async function signIn(email) {
    const request = cookieJarRequest(config, ORIGIN);

    const { csrfToken } = await (await request('/auth/csrf')).json();
    const signin = await request('/auth/signin/email', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, csrfToken, callbackUrl: `${ORIGIN}/` }),
    });
    const code = outbox.get(email);
    outbox.delete(email);
    if (!code) {
      throw new Error(`no code was sent (${signin.status} → ${signin.headers.get('location')})`);
    }
    const callback = new URL('/auth/callback/email', ORIGIN);
    callback.search = new URLSearchParams({ token: code, email, callbackUrl: `${ORIGIN}/` });
    const back = await request(callback.pathname + callback.search);
    const location = back.headers.get('location') ?? '';
    if (location.includes('error')) throw new Error(`callback failed: ${location}`);
    const session = await (await request('/auth/session')).json();
    if (session?.user?.email !== email) {
      throw new Error(`not signed in: ${JSON.stringify(session)}`);
    }
  };
}
