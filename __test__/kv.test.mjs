// JS stores cross once: every operation the native core needs of a store
// (storeOps(), defined in src/store/js.rs) is one function of each lib/kv/
// module, and over a Redis client one client call. Counted here per adapter
// operation, with a client whose every top-level call is counted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ChatBotKitPartnerAdapter } from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { mapStore } from './helpers/stores.mjs';
import { startRedis, redisTestOptions } from './helpers/redis.mjs';

const require = createRequire(import.meta.url);
const { storeOps } = require('../binding.js');
const { ioredisKv } = require('../lib/kv/ioredis.js');
const { nodeRedisKv } = require('../lib/kv/node-redis.js');
const { plainKv } = require('../lib/kv/plain.js');
const { Locks } = require('../lib/kv/locks.js');

/** `client` with a count of the calls made on it from outside (its own inner calls not counted). */
function counted(client) {
  const calls = [];
  const proxy = new Proxy(client, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== 'function' || name === 'constructor') return value;
      return (...args) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

test('every lib/kv module implements exactly the operations the native core calls', () => {
  const ops = storeOps().sort();
  assert.ok(ops.includes('useToken') && ops.includes('write'), ops.join());
  const client = { options: {} };
  const modules = {
    ioredis: ioredisKv(client),
    'node-redis': nodeRedisKv(client),
    plain: plainKv(mapStore(), { hasGetdel: false, locks: new Locks(), timeout: 1000 }),
  };
  for (const [name, kv] of Object.entries(modules)) {
    assert.deepEqual(Object.keys(kv).sort(), ops, name);
    for (const op of ops) assert.equal(typeof kv[op], 'function', `${name}.${op}`);
  }
});

describe('one client call per core store operation', redisTestOptions(), () => {
  let api;
  let redis;
  before(async () => {
    api = await startFakePartnerApi();
    redis = await startRedis();
  });
  after(async () => {
    await redis?.close();
    await api?.close();
  });

  const clients = {
    ioredis: async () => {
      const { default: IORedis } = await import('ioredis');
      const client = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
      const reset = async () => {
        await client.flushall();
        await client.script('FLUSH');
      };
      return { client, reset, close: () => client.quit() };
    },
    'node-redis': async () => {
      const { createClient } = await import('redis');
      const client = createClient({ url: redis.url });
      await client.connect();
      const reset = async () => {
        await client.flushAll();
        await client.scriptFlush();
      };
      return { client, reset, close: () => client.quit() };
    },
  };

  // The core's store operations per adapter operation (src/adapter/), in order.
  const CORE_OPS = {
    createUser: ['acquire', 'release'], // the user-creation lease
    createVerificationToken: ['write'], // the token and its identifier's set
    useVerificationToken: ['useToken'],
    createSession: ['write', 'get'], // the session and its index; the deletion mark
    getSessionAndUser: ['get'],
    deleteSession: ['getdel', 'write'],
    linkAccount: ['get', 'write', 'get'], // a previous link; the account and index; the mark
    getUserByAccount: ['get'],
    unlinkAccount: ['getdel', 'write'],
    deleteUser: ['set', 'indexMembers', 'indexMembers', 'indexMembers', 'write'],
  };
  // The client call that does each store operation.
  const CLIENT_CALL = {
    ioredis: {
      get: 'get',
      set: 'set',
      getdel: 'getdel',
      indexMembers: 'zrange',
      write: 'evalsha',
      useToken: 'evalsha',
      acquire: 'set',
      release: 'evalsha',
    },
    'node-redis': {
      get: 'get',
      set: 'set',
      getdel: 'getDel',
      indexMembers: 'zRange',
      write: 'evalSha',
      useToken: 'evalSha',
      acquire: 'set',
      release: 'evalSha',
    },
  };

  /** Each adapter operation of CORE_OPS once, for the email `email`; the client calls of each. */
  async function clientCalls(adapter, calls, email) {
    const counts = {};
    const run = async (name, ...args) => {
      calls.length = 0;
      const result = await adapter[name](...args);
      counts[name] = [...calls];
      return result;
    };
    const expires = new Date(Date.now() + 60_000);
    const user = await run('createUser', { email, emailVerified: null });
    await run('createVerificationToken', { identifier: email, token: 'tok', expires });
    assert.ok(await run('useVerificationToken', { identifier: email, token: 'tok' }));
    await run('createSession', { sessionToken: `s-${email}`, userId: user.id, expires });
    assert.ok(await run('getSessionAndUser', `s-${email}`));
    await run('deleteSession', `s-${email}`);
    const account = { userId: user.id, type: 'oauth', provider: 'gh', providerAccountId: email };
    await run('linkAccount', account);
    assert.ok(await run('getUserByAccount', { provider: 'gh', providerAccountId: email }));
    await run('unlinkAccount', { provider: 'gh', providerAccountId: email });
    await run('deleteUser', user.id);
    return counts;
  }

  for (const [kind, make] of Object.entries(clients)) {
    test(`${kind}: each adapter operation makes one client call per store operation`, async () => {
      const { client, reset, close } = await make();
      try {
        await reset();
        const { proxy, calls } = counted(client);
        const adapter = ChatBotKitPartnerAdapter({
          secret: api.secret,
          baseUrl: api.url,
          store: proxy,
          retries: 0,
          autoCreateUser: true,
          autoDeleteUser: true,
        });
        const call = CLIENT_CALL[kind];
        const expected = Object.fromEntries(
          Object.entries(CORE_OPS).map(([name, ops]) => [name, ops.map((op) => call[op])]),
        );
        // The first use of a script on a server is EVALSHA, then EVAL (NOSCRIPT): once.
        const first = await clientCalls(adapter, calls, `first-${kind}@example.com`);
        assert.deepEqual(first.createUser, [call.acquire, call.release, 'eval']);
        assert.deepEqual(first.createVerificationToken, [call.write, 'eval']);
        assert.deepEqual(first.useVerificationToken, [call.useToken, 'eval']);
        assert.deepEqual(await clientCalls(adapter, calls, `${kind}@example.com`), expected);
      } finally {
        await close();
      }
    });
  }
});
