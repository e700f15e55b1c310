// What every platform binary must do where it can run: load from the file the
// loader should pick for this platform, keep a verification token on a
// MemoryStore, and carry a real @auth/core email sign-in (code request,
// callback, session, sign-out) against the fake Partner API.
//
// Part of `npm test` on the build machine; `npm run test:platforms` also runs
// it in-process with other Node binaries: arm64 Node under qemu-user, node.exe
// under Wine, Node 22 and 24. There NEXTAUTH_CHATBOTKIT_EXPECT_BINARY names
// the platform (e.g. `linux-arm64-gnu`) whose binary must be the one loaded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, MemoryStore } from '../index.js';
import { useFakeApi } from './helpers/api.mjs';
import { authClient, location } from './helpers/auth.mjs';

const require = createRequire(import.meta.url);

const api = useFakeApi();

test('the native binary for this platform is the one loaded', () => {
  const loaded = Object.keys(require.cache).filter((file) => file.endsWith('.node'));
  assert.equal(loaded.length, 1, `one .node loaded: ${loaded.join(', ')}`);
  const expected = process.env.NEXTAUTH_CHATBOTKIT_EXPECT_BINARY;
  const name = path.basename(loaded[0]);
  if (expected) assert.equal(name, `nextauth-chatbotkit.${expected}.node`);
  else assert.match(name, new RegExp(`^nextauth-chatbotkit\\.${process.platform}-${process.arch}`));
});

test('a verification token round trip on a MemoryStore', async () => {
  const adapter = ChatBotKitPartnerAdapter({
    secret: api.secret,
    baseUrl: api.url,
    store: new MemoryStore(),
  });
  const expires = new Date(Date.now() + 60_000);
  const identifier = `smoke-${process.pid}@example.com`;
  await adapter.createVerificationToken({ identifier, token: 't1', expires });
  const used = await adapter.useVerificationToken({ identifier, token: 't1' });
  assert.equal(used?.expires?.getTime(), expires.getTime());
  assert.equal(await adapter.useVerificationToken({ identifier, token: 't1' }), null);
});

test('email sign-in with @auth/core: code, callback, session, sign-out', async () => {
  const outbox = [];
  const config = {
    basePath: '/auth',
    secret: 'platform-smoke-auth-secret-0123456789',
    trustHost: true,
    adapter: ChatBotKitPartnerAdapter({
      secret: api.secret,
      baseUrl: api.url,
      store: new MemoryStore(),
      autoCreateUser: true,
    }),
    providers: [
      ChatBotKitEmailProvider({
        async sendVerificationRequest({ identifier, token }) {
          outbox.push({ to: identifier, code: token });
        },
      }),
    ],
  };
  const browser = authClient(config);
  const email = `smoke-${process.platform}-${process.arch}-${process.pid}@example.com`;

  const ask = await browser.requestEmailCode(email);
  assert.equal(location(ask).pathname, '/auth/verify-request');
  assert.equal(outbox.at(-1)?.to, email);

  const callback = await browser.emailCallback(email, outbox.at(-1).code);
  assert.equal(location(callback).pathname, '/');
  assert.ok(browser.sessionToken(), 'the session cookie is set');
  const user = [...api.users.values()].find((u) => u.email === email);
  assert.ok(user, 'the ChatBotKit partner user was created');

  const session = await browser.session();
  assert.equal(session?.user?.email, email);

  await browser.signOut();
  assert.equal(browser.sessionToken(), undefined, 'signed out');
  assert.equal(await browser.session(), null);
});
