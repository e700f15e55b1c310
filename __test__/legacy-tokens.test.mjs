// Codes issued by @chatbotkit/nextauth before the upgrade
// (`verificationToken:<token>`, the token object as the original stored it)
// are accepted once, only for their own email, then deleted; misses share one
// store-wide budget an hour. On every store kind, and end to end through
// @auth/core.
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ChatBotKitPartnerAdapter,
  ChatBotKitContactAdapter,
  ChatBotKitEmailProvider,
  MemoryStore,
} from '../index.js';
import { useFakeApi } from './helpers/api.mjs';
import { WITH_REDIS, runnableKinds, storeKinds } from './helpers/stores.mjs';
import { startRedis } from './helpers/redis.mjs';
import { ORIGIN, authClient, location } from './helpers/auth.mjs';

const KINDS = runnableKinds();

const api = useFakeApi();
let redis = null;

before(async () => {
  if (WITH_REDIS) redis = await startRedis();
});

after(async () => {
  await redis?.close();
});

const inMs = (ms) => new Date(Date.now() + ms);
let serial = 0;
const newToken = () => `legacy-${process.pid}-${++serial}-${'ab'.repeat(20)}`;

for (const kindName of KINDS) {
  describe(`codes of the original package on the ${kindName} store`, () => {
    let h;
    beforeEach(async () => {
      h = await storeKinds(redis)[kindName]();
    });
    afterEach(() => h?.close());

    /** Writes a record as the original adapter did: key and JSON value. */
    async function writeOriginal(token, identifier, expires) {
      const key = `verificationToken:${token}`;
      const value = { identifier, token, expires };
      if (kindName === 'ioredis' || kindName === 'node-redis') {
        // What a Redis-backed store of the original holds: the JSON text.
        redis.cli('SET', key, JSON.stringify(value), 'PX', '900000');
      } else {
        await h.store.set(key, value, { px: 900_000 });
      }
      return key;
    }

    const adapterOn = (options = {}) =>
      ChatBotKitPartnerAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store: h.store,
        ...options,
      });

    test('accepted once, for its own email in any spelling, then deleted', async () => {
      const token = newToken();
      const expires = inMs(10 * 60_000);
      const key = await writeOriginal(token, 'ada@example.com', expires);
      const adapter = adapterOn();
      const used = await adapter.useVerificationToken({ identifier: ' Ada@Example.com', token });
      assert.deepEqual(used, { identifier: ' Ada@Example.com', token, expires });
      assert.ok(used.expires instanceof Date);
      assert.equal(await h.read(key), null, 'the original record is deleted');
      assert.equal(
        await adapter.useVerificationToken({ identifier: 'ada@example.com', token }),
        null,
      );
    });

    test("another email's use gets null and leaves the code to its owner", async () => {
      const token = newToken();
      const key = await writeOriginal(token, 'owner@example.com', inMs(60_000));
      const adapter = adapterOn();
      assert.equal(
        await adapter.useVerificationToken({ identifier: 'thief@example.com', token }),
        null,
      );
      assert.notEqual(await h.read(key), null, 'still there');
      const used = await adapter.useVerificationToken({ identifier: 'owner@example.com', token });
      assert.equal(used?.identifier, 'owner@example.com');
    });

    test('an expired one is refused and deleted', async () => {
      const token = newToken();
      const key = await writeOriginal(token, 'late@example.com', inMs(-1000));
      assert.equal(
        await adapterOn().useVerificationToken({ identifier: 'late@example.com', token }),
        null,
      );
      assert.equal(await h.read(key), null);
    });

    test('misses share one budget of 1000 an hour: past it, even a right code is refused', async () => {
      const token = newToken();
      const key = await writeOriginal(token, 'target@example.com', inMs(60_000));
      // Two adapters on one store share the budget, as instances of one app do.
      const [a, b] = [adapterOn(), adapterOn()];
      const guesses = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          (i % 2 ? a : b).useVerificationToken({
            identifier: i % 3 ? 'target@example.com' : `other${i}@example.com`,
            token: `guess${i}`,
          }),
        ),
      );
      assert.ok(guesses.every((g) => g === null));
      assert.equal(await a.useVerificationToken({ identifier: 'target@example.com', token }), null);
      assert.notEqual(await h.read(key), null, 'not consumed by a refused use');
      // The budget is the store's: one small record, whatever was guessed.
      assert.equal(await h.read('verification-legacy-failures'), 1000);
    });

    test('a right code does not spend the budget', async () => {
      const token = newToken();
      await writeOriginal(token, 'right@example.com', inMs(60_000));
      assert.ok(await adapterOn().useVerificationToken({ identifier: 'right@example.com', token }));
      assert.equal(await h.read('verification-legacy-failures'), null);
    });

    test('a burst of uses of the right code: exactly one gets it', async () => {
      const token = newToken();
      await writeOriginal(token, 'burst@example.com', inMs(60_000));
      const adapters = [adapterOn(), adapterOn()];
      const uses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          adapters[i % 2].useVerificationToken({ identifier: 'burst@example.com', token }),
        ),
      );
      assert.equal(uses.filter(Boolean).length, 1);
    });

    test('the Contact adapter accepts them too', async () => {
      const token = newToken();
      await writeOriginal(token, 'contact@example.com', inMs(60_000));
      const adapter = ChatBotKitContactAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store: h.store,
      });
      assert.ok(await adapter.useVerificationToken({ identifier: 'contact@example.com', token }));
    });
  });
}

test('a code the original mailed before the deploy signs the user in after it', async () => {
  const AUTH_SECRET = 'legacy-test-auth-secret-0123456789abcdef';
  const store = new MemoryStore();
  const user = api.addUser({ email: `inflight-${process.pid}@example.com` });
  const config = {
    basePath: '/auth',
    secret: AUTH_SECRET,
    trustHost: true,
    adapter: ChatBotKitPartnerAdapter({ secret: api.secret, baseUrl: api.url, store }),
    session: { strategy: 'jwt' },
    providers: [ChatBotKitEmailProvider({ sendVerificationRequest() {} })],
  };
  // What the original left behind for the code `c0ffee`: Auth.js hands
  // adapters the code hashed with its secret, and the original kept it as is.
  const code = 'c0ffee';
  const token = createHash('sha256').update(`${code}${AUTH_SECRET}`).digest('hex');
  await store.set(
    `verificationToken:${token}`,
    { identifier: user.email, token, expires: inMs(10 * 60_000).toISOString() },
    { px: 600_000 },
  );
  const browser = authClient(config);
  const callback = await browser.emailCallback(user.email, code);
  assert.equal(location(callback).href, `${ORIGIN}/`);
  assert.equal((await browser.session()).user.email, user.email);
  assert.equal(await store.get(`verificationToken:${token}`), null);
  // Used once: a second callback with it fails.
  const again = await authClient(config).emailCallback(user.email, code);
  assert.equal(location(again).searchParams.get('error'), 'Verification');
});
