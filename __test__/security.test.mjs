// Issue 11: races, duplicates and amplification, on every store kind — the
// native MemoryStore and RedisStore (one server and a Cluster), JS objects
// with and without getdel, a Store subclass, and ioredis / node-redis
// clients. Each test is an attack a caller can make with the public API.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { ChatBotKitPartnerAdapter, RedisStore } from '../index.js';
import { startFakePartnerApi } from '../testing/index.mjs';
import { MapStore, storeKinds } from './helpers/stores.mjs';
import { redisAvailable, startRedis, startRedisCluster } from './helpers/redis.mjs';
import { keys } from './helpers/keys.mjs';
import { rejectsWith } from './helpers/assert.mjs';
import { inMs, oauthAccount, verificationToken } from './helpers/records.mjs';

const WITH_REDIS = redisAvailable() || Boolean(process.env.CI);
if (!WITH_REDIS)
  test('redis-backed store kinds', { skip: 'redis-server is not installed' }, () => {});

let api;
let redis = null;
let cluster = null;

before(async () => {
  api = await startFakePartnerApi();
  if (WITH_REDIS) {
    redis = await startRedis();
    cluster = await startRedisCluster();
  }
});

after(async () => {
  await api?.close();
  await redis?.close();
  await cluster?.close();
});

beforeEach(() => api.reset());

const lines = (text) => (text === '' ? [] : text.split('\n'));
let serial = 0;
const uniq = (prefix) => `${prefix}-${process.pid}-${++serial}`;

/** Bytes of every key and value on the Redis nodes given (MEMORY USAGE). */
function redisBytes(nodes) {
  let bytes = 0;
  for (const node of nodes) {
    for (const key of lines(node.cli('KEYS', '*'))) {
      bytes += Number(node.cli('MEMORY', 'USAGE', key)) || 0;
    }
  }
  return bytes;
}

/** Writes a raw record as another process would, whatever the client. */
function writerFor(store) {
  if (typeof store.defineCommand === 'function') {
    return (key, value, px) => store.set(key, JSON.stringify(value), 'PX', px);
  }
  if (typeof store.sendCommand === 'function') {
    return (key, value, px) => store.set(key, JSON.stringify(value), { PX: px });
  }
  return (key, value, px) => store.set(key, value, { px });
}

/** Bytes of [key, value] entries of a JS store. */
const entryBytes = (entries) =>
  entries.reduce((n, [key, value]) => n + key.length + JSON.stringify(value ?? null).length, 0);

/**
 * Every store kind, each with `bytes()`: what the store holds (for
 * MemoryStore, which shows no keys, 64 bytes per entry: a lower bound).
 */
function kinds() {
  const base = storeKinds(redis);
  const out = {
    memory: async () => {
      const h = await base.memory();
      return { ...h, bytes: () => h.store.size * 64 };
    },
    'js object': async () => {
      const h = await base['js object']();
      return { ...h, bytes: () => entryBytes([...h.store.map].map(([k, e]) => [k, e.value])) };
    },
    'js object without getdel': async () => {
      const h = await base['js object without getdel']();
      return { ...h, bytes: () => entryBytes([...h.store.map].map(([k, e]) => [k, e.value])) };
    },
    'Store subclass': async () => {
      const store = new MapStore();
      return { store, close: async () => {}, bytes: () => entryBytes(store.entries()) };
    },
  };
  if (WITH_REDIS) {
    for (const name of ['redis', 'ioredis', 'node-redis']) {
      out[name] = async () => ({ ...(await base[name]()), bytes: () => redisBytes([redis]) });
    }
    out['redis cluster'] = async () => {
      for (const node of cluster.nodes) node.flush();
      const store = new RedisStore({ cluster: cluster.urls, timeout: 3000 });
      return { store, close: async () => store.close(), bytes: () => redisBytes(cluster.nodes) };
    };
  }
  return out;
}

const KINDS = Object.keys(kinds());

function adapterOver(store, options = {}) {
  return ChatBotKitPartnerAdapter({
    secret: api.secret,
    baseUrl: api.url,
    store,
    retries: 0,
    autoCreateUser: true,
    autoDeleteUser: true,
    ...options,
  });
}

for (const kind of KINDS) {
  describe(`on the ${kind} store`, () => {
    let h;
    before(async () => {
      h = await kinds()[kind]();
      h.write = writerFor(h.store);
    });
    after(async () => {
      await h?.close();
    });

    // --- High: the attempt limit holds under concurrency --------------------

    test('100 concurrent wrong guesses, then the right code in the same burst: null', async () => {
      const adapter = adapterOver(h.store);
      const identifier = `${uniq('burst')}@example.com`;
      await adapter.createVerificationToken(verificationToken(identifier, 'right-code'));
      const guesses = Array.from({ length: 100 }, (_, i) =>
        adapter.useVerificationToken({ identifier, token: `wrong-${i}` }),
      );
      const right = adapter.useVerificationToken({ identifier, token: 'right-code' });
      const results = await Promise.all([...guesses, right]);
      assert.deepEqual(
        results.filter((r) => r !== null),
        [],
      );
      assert.equal(await adapter.useVerificationToken({ identifier, token: 'right-code' }), null);
    });

    test('the limit holds across several adapters over one store', async () => {
      const adapters = Array.from({ length: 5 }, () => adapterOver(h.store));
      const identifier = `${uniq('many')}@example.com`;
      await adapters[0].createVerificationToken(verificationToken(identifier, 'right-code'));
      const guesses = Array.from({ length: 100 }, (_, i) =>
        adapters[i % 5].useVerificationToken({ identifier, token: `wrong-${i}` }),
      );
      const right = adapters[3].useVerificationToken({ identifier, token: 'right-code' });
      const results = await Promise.all([...guesses, right]);
      assert.equal(results.at(-1), null);
      assert.equal(results.filter((r) => r !== null).length, 0);
    });

    test('within the limit the right code still signs in, once', async () => {
      const adapter = adapterOver(h.store);
      const identifier = `${uniq('fine')}@example.com`;
      await adapter.createVerificationToken(verificationToken(identifier, 'right-code'));
      for (let i = 0; i < 4; i++) {
        assert.equal(await adapter.useVerificationToken({ identifier, token: `typo-${i}` }), null);
      }
      const used = await adapter.useVerificationToken({ identifier, token: 'right-code' });
      assert.equal(used?.token, 'right-code');
      assert.equal(await adapter.useVerificationToken({ identifier, token: 'right-code' }), null);
    });

    // --- Medium: single use belongs to the store, not the adapter -----------

    for (const maxVerificationAttempts of [5, 0]) {
      test(`30 adapters over one store, one token: exactly one winner (limit ${maxVerificationAttempts})`, async () => {
        const adapters = Array.from({ length: 30 }, () =>
          adapterOver(h.store, { maxVerificationAttempts }),
        );
        const identifier = `${uniq('once')}@example.com`;
        await adapters[0].createVerificationToken(verificationToken(identifier, 'the-code'));
        const results = await Promise.all(
          adapters.map((a) => a.useVerificationToken({ identifier, token: 'the-code' })),
        );
        assert.equal(results.filter((r) => r !== null).length, 1);
      });
    }

    // --- Medium: no duplicate partner users ---------------------------------

    test('10 concurrent createUser for one email over two adapters make one partner user', async () => {
      api.setLatency(20);
      const [a, b] = [adapterOver(h.store), adapterOver(h.store)];
      const email = `${uniq('dup')}@example.com`;
      const spellings = [email, ` ${email.toUpperCase()} `];
      const settled = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).createUser({ email: spellings[i % 2], emailVerified: null }),
        ),
      );
      const made = [...api.users.values()].filter((u) => u.email?.toLowerCase() === email);
      assert.equal(made.length, 1, 'one partner user');
      assert.equal(made[0].email, email, 'created with the normalised email');
      for (const s of settled) {
        if (s.status === 'fulfilled') assert.equal(s.value.id, made[0].id);
        else assert.equal(s.reason.code, 'DUPLICATE_USER', s.reason.message);
      }
      assert.ok(settled.some((s) => s.status === 'fulfilled'));
    });

    test('a creation lease held by another process is waited for, then its user answers', async () => {
      const adapter = adapterOver(h.store);
      const email = `${uniq('lease')}@example.com`;
      // Another process holds the lease and creates the user meanwhile.
      await h.write(
        keys.userCreation(email),
        { holder: 'another-process', until: Date.now() + 400 },
        400,
      );
      const othersCreate = sleep(100).then(() => api.addUser({ email }));
      const user = await adapter.createUser({ email, emailVerified: null });
      await othersCreate;
      const made = [...api.users.values()].filter((u) => u.email === email);
      assert.equal(made.length, 1);
      assert.equal(user.id, made[0].id);
    });

    // --- Medium: unauthenticated storage amplification ---------------------

    test('250 failed uses for identifiers with no code leave under 4 KiB', async () => {
      const adapter = adapterOver(h.store);
      const before = h.bytes();
      for (let i = 0; i < 250; i++) {
        const identifier =
          i % 2 ? `${'x'.repeat(15_000)}${i}@example.com` : `${uniq('nobody')}@example.com`;
        assert.equal(await adapter.useVerificationToken({ identifier, token: 'guess' }), null);
      }
      const grown = h.bytes() - before;
      assert.ok(grown < 4096, `${grown} bytes`);
    });

    test('identifiers over 320 bytes: INVALID_INPUT to create, null to use, nothing written', async () => {
      const adapter = adapterOver(h.store);
      const before = h.bytes();
      const long = `${'a'.repeat(309)}@example.com`; // 321 bytes
      await rejectsWith(
        adapter.createVerificationToken(verificationToken(long, 'code')),
        'INVALID_INPUT',
      );
      await rejectsWith(
        adapter.createVerificationToken(verificationToken(` ${long} `, 'code')),
        'INVALID_INPUT',
      );
      assert.equal(await adapter.useVerificationToken({ identifier: long, token: 'code' }), null);
      assert.equal(h.bytes(), before);
      const edge = `  ${'a'.repeat(308)}@example.com  `; // 320 bytes once trimmed
      await adapter.createVerificationToken(verificationToken(edge, 'code'));
      assert.equal(
        (await adapter.useVerificationToken({ identifier: edge, token: 'code' }))?.token,
        'code',
      );
    });
  });
}
