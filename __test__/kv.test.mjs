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

  test('ioredis: the commands of one turn leave in writes of at most 8, not one write or one each', async () => {
    const { client, reset, close } = await clients.ioredis();
    try {
      await reset();
      await client.ping(); // connected: its stream is the one written to
      const adapter = ChatBotKitPartnerAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store: client,
      });
      const expires = new Date(Date.now() + 60_000);
      const vt = (i) => ({ identifier: `w${i}@example.com`, token: `t${i}`, expires });
      await adapter.createVerificationToken(vt('first')); // the script, loaded
      const writes = [];
      const stream = client.stream;
      const writev = stream._writev.bind(stream);
      stream._writev = (chunks, callback) => {
        writes.push(chunks.length);
        writev(chunks, callback);
      };
      const write = stream._write.bind(stream);
      stream._write = (chunk, encoding, callback) => {
        writes.push(1);
        write(chunk, encoding, callback);
      };
      // 40 calls started in one turn: 40 commands (one EVALSHA each).
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) => adapter.createVerificationToken(vt(i))),
      );
      made.forEach((token, i) => assert.equal(token.token, `t${i}`));
      const commands = writes.reduce((a, b) => a + b, 0);
      assert.ok(commands >= 40, `${commands} commands written (${writes})`);
      assert.ok(
        writes.length >= 5,
        `${writes.length} writes for 40 commands: one batch (${writes})`,
      );
      assert.ok(writes.length <= 20, `${writes.length} writes for 40 commands (${writes})`);
    } finally {
      await close();
    }
  });

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

// The crossings themselves: an adapter call over a JS store is driven on the
// JS thread (src/napi/driven.rs, lib/kv/drive.js); every store operation is
// one step handed to JS. Counted on the native adapter, with each kind's
// real lib/kv module behind it.
describe('one crossing per core store operation, and no call left behind', () => {
  const { drive } = require('../lib/kv/drive.js');
  const { kvFor } = require('../lib/kv/index.js');
  const { encode, unwrap } = require('../lib/codec.js');
  const { NativeAdapter } = require('../binding.js');

  function nativeOver(store, options = {}) {
    const native = NativeAdapter.withJsStore(
      JSON.stringify({ secret: 's', baseUrl: 'http://127.0.0.1:9', retries: 0, ...options }),
    );
    const { ops } = kvFor(store, { timeout: native.storeTimeoutMs });
    const steps = [];
    const counting = Object.fromEntries(
      Object.entries(ops).map(([op, run]) => [
        op,
        (...step) => {
          steps.push(op);
          return run(...step);
        },
      ]),
    );
    const call = async (name, ...args) => {
      const answer = native.call(name, encode(args));
      return unwrap(typeof answer === 'string' ? answer : await drive(native, counting, answer));
    };
    return { native, steps, call };
  }

  for (const [kind, withGetdel] of [
    ['js object', true],
    ['js object without getdel', false],
  ]) {
    test(`${kind}: each store operation of a call is one step`, async () => {
      const { native, steps, call } = nativeOver(mapStore({ withGetdel }));
      const expires = new Date(Date.now() + 60_000);
      const run = async (name, ...args) => {
        steps.length = 0;
        const result = await call(name, ...args);
        return { result, steps: [...steps] };
      };
      const token = { identifier: 'a@example.com', token: 'tok', expires };
      assert.deepEqual((await run('createVerificationToken', token)).steps, ['write']);
      const used = await run('useVerificationToken', { identifier: 'a@example.com', token: 'tok' });
      assert.equal(used.result.token, 'tok');
      assert.deepEqual(used.steps, ['useToken']);
      const session = { sessionToken: 'sess', userId: 'usr_1', expires };
      assert.deepEqual((await run('createSession', session)).steps, ['write', 'get']);
      assert.deepEqual((await run('deleteSession', 'sess')).steps, ['getdel', 'write']);
      assert.equal(native.callsInProgress, 0);
    });
  }

  test('a store that throws is a STORE error, and the call is over', async () => {
    const store = mapStore();
    store.get = async () => {
      throw new Error('boom at session:secret-token-123');
    };
    const { native, call } = nativeOver(store);
    await assert.rejects(call('getSessionAndUser', 'secret-token-123'), (e) => {
      assert.equal(e.code, 'STORE');
      assert.match(e.message, /get\(\) failed: boom/);
      assert.doesNotMatch(e.message, /secret-token-123/);
      return true;
    });
    assert.equal(native.callsInProgress, 0);
  });

  test('a store that never settles is a STORE error at the deadline; its late answer is dropped', async () => {
    const store = mapStore();
    let settle;
    store.get = () => new Promise((resolve) => (settle = resolve));
    const { native, call } = nativeOver(store, { timeout: 150 });
    const started = performance.now();
    await assert.rejects(call('getSessionAndUser', 'sess'), (e) => {
      assert.equal(e.code, 'STORE');
      assert.match(e.message, /did not settle within 150 ms/);
      return true;
    });
    assert.ok(performance.now() - started < 2_000);
    assert.equal(native.callsInProgress, 0);
    settle({ late: true }); // nothing left to resume: ignored
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(native.callsInProgress, 0);
  });
});
