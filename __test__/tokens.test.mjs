// Verification tokens: stored until `expires`, usable exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatBotKitPartnerAdapter, MemoryStore } from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { freshMemoryStore, mapStore } from './helpers/stores.mjs';

let api;
before(async () => {
  api = await startFakePartnerApi();
});
after(() => api.close());

const makeAdapter = (store) =>
  ChatBotKitPartnerAdapter({ secret: api.secret, baseUrl: api.url, store, retries: 0 });

let seq = 0;
function freshToken(ttlMs = 10 * 60_000) {
  seq += 1;
  return {
    identifier: `person${seq}@example.com`,
    token: `hashed-token-${seq}-${Math.random().toString(16).slice(2)}`,
    expires: new Date(Date.now() + ttlMs),
  };
}

/** One path segment as the store key layout encodes it (README: key layout). */
const encodeSegment = (s) =>
  encodeURIComponent(s).replace(
    /[!'()*.]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
/** Where a verification token lives: `verification:{<email>}:<token>`. */
const tokenKey = (vt) =>
  `verification:{${encodeSegment(vt.identifier.trim().toLowerCase())}}:${encodeSegment(vt.token)}`;

const kinds = {
  MemoryStore: () => new MemoryStore(),
  'JS store with getdel': () => mapStore({ withGetdel: true }),
  'JS store without getdel': () => mapStore(),
};

for (const [kind, makeStore] of Object.entries(kinds)) {
  describe(`verification tokens (${kind})`, () => {
    test('create returns the token; use returns it with expires a Date equal to the original', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken();
      const created = await adapter.createVerificationToken(vt);
      assert.deepEqual(created, vt);
      const used = await adapter.useVerificationToken({
        identifier: vt.identifier,
        token: vt.token,
      });
      assert.ok(used, 'the token was found');
      assert.ok(used.expires instanceof Date, 'expires is a Date');
      assert.equal(used.expires.getTime(), vt.expires.getTime());
      assert.deepEqual(used, vt);
    });

    test('a second use gives null', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      const params = { identifier: vt.identifier, token: vt.token };
      assert.ok(await adapter.useVerificationToken(params));
      assert.equal(await adapter.useVerificationToken(params), null);
      assert.equal(await adapter.useVerificationToken(params), null);
    });

    test('an unknown token gives null', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      assert.equal(
        await adapter.useVerificationToken({ identifier: vt.identifier, token: 'not-the-token' }),
        null,
      );
      assert.equal(
        await adapter.useVerificationToken({ identifier: 'x@example.com', token: 'never-made' }),
        null,
      );
      // One mistyped code does not void the real one.
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
        vt,
      );
    });

    test('a wrong identifier gives null and leaves the token usable with the right one', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      assert.equal(
        await adapter.useVerificationToken({ identifier: 'attacker@example.com', token: vt.token }),
        null,
      );
      const used = await adapter.useVerificationToken({
        identifier: vt.identifier,
        token: vt.token,
      });
      assert.deepEqual(used, vt);
    });

    test('an expired token gives null', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken(50);
      await adapter.createVerificationToken(vt);
      await sleep(120);
      assert.equal(
        await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
        null,
      );
    });

    test('a token created already expired is never usable', async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken(-1000);
      await adapter.createVerificationToken(vt);
      assert.equal(
        await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
        null,
      );
    });

    test('many different tokens of one identifier are each usable once', async () => {
      const adapter = makeAdapter(makeStore());
      const first = freshToken();
      const second = { ...freshToken(), identifier: first.identifier };
      await adapter.createVerificationToken(first);
      await adapter.createVerificationToken(second);
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier: first.identifier, token: second.token }),
        second,
      );
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier: first.identifier, token: first.token }),
        first,
      );
    });
  });
}

describe('verification token time-to-live', () => {
  test('the MemoryStore entry is gone after expiry', async () => {
    const store = freshMemoryStore();
    const adapter = makeAdapter(store);
    assert.equal(store.size, 0);
    const vt = freshToken(50);
    await adapter.createVerificationToken(vt);
    const key = tokenKey(vt);
    assert.ok(await store.get(key), `the token is held at ${key} until it expires`);
    await sleep(120);
    // The entry carried a time-to-live: it reads as gone, and a sweep drops
    // it (and anything else kept for this token) from memory.
    assert.equal(await store.get(key), null);
    store.sweep();
    assert.equal(store.size, 0, 'something of the expired token is still held');
  });

  test('a JS store is given px: the time left until expires', async () => {
    const sets = [];
    const inner = mapStore({ withGetdel: true });
    const store = {
      ...inner,
      async set(key, value, options) {
        sets.push({ key, value, options });
        return inner.set(key, value, options);
      },
    };
    const adapter = makeAdapter(store);
    const vt = freshToken(60_000);
    await adapter.createVerificationToken(vt);
    const tokenSets = sets.filter((s) => s.key === tokenKey(vt));
    assert.equal(tokenSets.length, 1, `sets: ${sets.map((s) => s.key).join(', ')}`);
    // Whatever else is written for the token ends with it too.
    for (const { key, options } of sets) assert.ok(options?.px > 0, `${key} has no px`);
    const px = tokenSets[0].options?.px;
    assert.equal(typeof px, 'number');
    assert.ok(px > 55_000 && px <= 60_000, `px = ${px}`);
  });
});

describe('a token is used once, even under concurrency', () => {
  for (const [kind, makeStore] of [
    ['MemoryStore', () => new MemoryStore()],
    ['JS store with getdel', () => mapStore({ withGetdel: true })],
  ]) {
    test(`200 concurrent uses of one token: exactly one wins (${kind})`, async () => {
      const adapter = makeAdapter(makeStore());
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      const params = { identifier: vt.identifier, token: vt.token };
      const results = await Promise.all(
        Array.from({ length: 200 }, () => adapter.useVerificationToken(params)),
      );
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, `${winners.length} uses succeeded`);
      assert.deepEqual(winners[0], vt);
    });
  }

  test('a JS store without getdel still works sequentially', async () => {
    const store = mapStore();
    assert.equal(store.getdel, undefined);
    const adapter = makeAdapter(store);
    for (let i = 0; i < 5; i++) {
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      const params = { identifier: vt.identifier, token: vt.token };
      assert.deepEqual(await adapter.useVerificationToken(params), vt);
      assert.equal(await adapter.useVerificationToken(params), null);
    }
    // None of the used tokens is left behind.
    const left = [...store.map.keys()].filter((k) => k.startsWith('verification:'));
    assert.deepEqual(left, []);
  });
});
