// Stores: the native MemoryStore, JS store objects and Store subclasses, and
// how the adapter survives whatever a JS store does.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, Store, AdapterError } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { freshMemoryStore, MapStore, storeKinds } from './helpers/stores.mjs';
import { rejectsWith } from './helpers/assert.mjs';

const api = useFakeApi();
const unhandled = [];
const onUnhandled = (reason) => unhandled.push(reason);
before(() => {
  process.on('unhandledRejection', onUnhandled);
});
after(() => {
  process.off('unhandledRejection', onUnhandled);
});

const makeAdapter = (store, options = {}) => partnerAdapter(api, { store, retries: 0, ...options });

const ACCOUNT = {
  userId: 'usr_someone',
  type: 'oauth',
  provider: 'github',
  providerAccountId: '12345',
  access_token: 'gho_x',
};

/** The epoch ms of a date read straight from a store (tagged or revived). */
const msOf = (value) => (value instanceof Date ? value.getTime() : value?.$date);

describe('MemoryStore', () => {
  test('get / set / del', async () => {
    const store = freshMemoryStore();
    assert.equal(await store.get('missing'), null);
    await store.set('obj', { a: 1, nested: { b: [1, 2] } });
    await store.set('str', 'text');
    await store.set('num', 42);
    assert.deepEqual(await store.get('obj'), { a: 1, nested: { b: [1, 2] } });
    assert.equal(await store.get('str'), 'text');
    assert.equal(await store.get('num'), 42);
    await store.set('str', 'replaced');
    assert.equal(await store.get('str'), 'replaced');
    await store.del('str');
    assert.equal(await store.get('str'), null);
    await store.del('never-there'); // no throw
    assert.equal(store.size, 2);
  });

  test('getdel returns the value once', async () => {
    const store = freshMemoryStore();
    await store.set('t', { v: 'once' }, { px: 60_000 });
    assert.deepEqual(await store.getdel('t'), { v: 'once' });
    assert.equal(await store.getdel('t'), null);
    assert.equal(await store.get('t'), null);
    assert.equal(await store.getdel('never'), null);
  });

  test('px: a value lives that many milliseconds', async () => {
    const store = freshMemoryStore();
    await store.set('short', 'v', { px: 40 });
    await store.set('long', 'v', { px: 60_000 });
    await store.set('forever', 'v');
    assert.equal(await store.get('short'), 'v');
    await sleep(100);
    assert.equal(await store.get('short'), null);
    assert.equal(await store.getdel('short'), null);
    assert.equal(await store.get('long'), 'v');
    assert.equal(await store.get('forever'), 'v');
  });

  test('set without px removes an earlier time-to-live', async () => {
    const store = freshMemoryStore();
    await store.set('k', 'first', { px: 40 });
    await store.set('k', 'second');
    await sleep(100);
    assert.equal(await store.get('k'), 'second');
  });

  test('many expired keys do not stay; sweep() empties expired ones', async () => {
    const store = freshMemoryStore();
    await store.set('keep', 'me');
    const ROUNDS = 8;
    const PER_ROUND = 5000;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) await store.set(`r${round}:k${i}`, i, { px: 1 });
      await sleep(10);
    }
    // 40 000 keys set, all but the last round's expired: the map holds a bounded
    // number of them, not all.
    assert.ok(store.size < 3 * PER_ROUND, `size = ${store.size}`);
    await sleep(10);
    store.sweep();
    assert.equal(store.size, 1, 'only the live key is left');
    assert.equal(await store.get('keep'), 'me');
  });

  test('clear() drops everything', async () => {
    const store = freshMemoryStore();
    await store.set('a', 1);
    await store.set('b', 2, { px: 60_000 });
    store.clear();
    assert.equal(store.size, 0);
    assert.equal(await store.get('a'), null);
  });

  test('is a Store', () => {
    assert.ok(new MemoryStore() instanceof Store);
  });
});

describe('JS store callbacks: a value or a STORE error, never a crash', () => {
  /** A store whose `get` is `get`; set/del are no-ops. */
  const storeWithGet = (get) => ({ get, set: async () => {}, del: async () => {} });

  test('get resolving to an object', async () => {
    const adapter = makeAdapter(storeWithGet(async () => ({ ...ACCOUNT })));
    assert.deepEqual(await adapter.getAccount('12345', 'github'), ACCOUNT);
  });

  test('get resolving to JSON text', async () => {
    const adapter = makeAdapter(storeWithGet(async () => JSON.stringify(ACCOUNT)));
    assert.deepEqual(await adapter.getAccount('12345', 'github'), ACCOUNT);
  });

  test('get resolving to null or undefined means absent', async () => {
    assert.equal(await makeAdapter(storeWithGet(async () => null)).getAccount('1', 'x'), null);
    assert.equal(await makeAdapter(storeWithGet(async () => undefined)).getAccount('1', 'x'), null);
  });

  test('get returning a plain value, not a promise', async () => {
    const adapter = makeAdapter(storeWithGet(() => ({ ...ACCOUNT })));
    assert.deepEqual(await adapter.getAccount('12345', 'github'), ACCOUNT);
    assert.equal(await makeAdapter(storeWithGet(() => null)).getAccount('1', 'x'), null);
  });

  test('get rejecting', async () => {
    const adapter = makeAdapter(storeWithGet(async () => Promise.reject(new Error('kv down'))));
    const error = await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
    assert.match(error.message, /kv down/);
  });

  test('get rejecting with something that is not an Error', async () => {
    for (const reason of ['a string', undefined, null, 42, { weird: true }]) {
      const adapter = makeAdapter(storeWithGet(() => Promise.reject(reason)));
      await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
    }
  });

  test('get throwing synchronously', async () => {
    const adapter = makeAdapter(
      storeWithGet(() => {
        throw new TypeError('sync boom');
      }),
    );
    const error = await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
    assert.match(error.message, /sync boom/);
    const throwsNull = makeAdapter(
      storeWithGet(() => {
        throw null; // eslint-disable-line no-throw-literal
      }),
    );
    await rejectsWith(throwsNull.getAccount('1', 'x'), 'STORE');
  });

  test('get whose promise never settles fails with STORE within the timeout', async () => {
    const adapter = makeAdapter(
      storeWithGet(() => new Promise(() => {})),
      { timeout: 300 },
    );
    const start = Date.now();
    await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
    const took = Date.now() - start;
    assert.ok(took < 1500, `took ${took} ms`);
  });

  test('get resolving to text that is not a JSON record is a STORE error', async () => {
    for (const value of ['not json {', '[1,2,3]', 42, true]) {
      const adapter = makeAdapter(storeWithGet(async () => value));
      await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
    }
  });

  test('set and getdel failing are STORE errors too', async () => {
    const failing = {
      get: async () => null,
      set: async () => {
        throw new Error('read-only replica');
      },
      del: async () => {},
      getdel: () => {
        throw new Error('getdel boom');
      },
    };
    const adapter = makeAdapter(failing);
    const vt = { identifier: 'a@example.com', token: 't', expires: new Date(Date.now() + 60_000) };
    const error = await rejectsWith(adapter.createVerificationToken(vt), 'STORE');
    assert.match(error.message, /read-only replica/);
    await rejectsWith(adapter.useVerificationToken(vt), 'STORE');
  });

  test('the base Store class used as is: STORE errors, not a crash', async () => {
    const adapter = makeAdapter(new Store());
    await rejectsWith(adapter.getAccount('1', 'x'), 'STORE');
  });

  test('after all of that, the process is fine and nothing went unhandled', async () => {
    const adapter = makeAdapter(new MemoryStore());
    const vt = { identifier: 'b@example.com', token: 't', expires: new Date(Date.now() + 60_000) };
    await adapter.createVerificationToken(vt);
    assert.deepEqual(await adapter.useVerificationToken(vt), vt);
    await sleep(20);
    assert.deepEqual(unhandled, []);
  });
});

describe('store shapes', () => {
  test('a Store subclass (MapStore) works', async () => {
    const user = api.addUser({ email: `mapstore.${Date.now()}@example.com`, name: 'Map' });
    const store = new MapStore();
    assert.ok(store instanceof Store);
    const adapter = makeAdapter(store);

    const vt = { identifier: user.email, token: 'tok', expires: new Date(Date.now() + 60_000) };
    await adapter.createVerificationToken(vt);
    assert.deepEqual(await adapter.useVerificationToken(vt), vt);
    assert.equal(await adapter.useVerificationToken(vt), null);

    const session = {
      sessionToken: 'sess-map',
      userId: user.id,
      expires: new Date(Date.now() + 60_000),
    };
    assert.deepEqual(await adapter.createSession(session), session);
    const found = await adapter.getSessionAndUser('sess-map');
    assert.deepEqual(found?.session, session);
    assert.equal(found?.user.id, user.id);
    await adapter.deleteSession('sess-map');
    assert.equal(await adapter.getSessionAndUser('sess-map'), null);
  });

  test('a plain object missing del is a CONFIG error at construction', () => {
    const store = { get: async () => null, set: async () => {} };
    assert.throws(
      () => makeAdapter(store),
      (e) => e instanceof AdapterError && e.code === 'CONFIG' && /del/.test(e.message),
    );
  });

  test('a plain object missing get or set, or no store, is a CONFIG error', () => {
    for (const store of [
      { set: async () => {}, del: async () => {} },
      { get: async () => null, del: async () => {} },
      { get: 'not a function', set: async () => {}, del: async () => {} },
      undefined,
      null,
      42,
      'redis://localhost',
    ]) {
      assert.throws(
        () => makeAdapter(store),
        (e) => e instanceof AdapterError && e.code === 'CONFIG',
        `store ${String(store)}`,
      );
    }
  });
});

describe('records written by the adapter can be read through the store', () => {
  for (const kind of ['memory', 'js object']) {
    const makeStore = async () => (await storeKinds(null)[kind]()).store;
    test(`sessions and accounts (${kind})`, async () => {
      const user = api.addUser({ email: `records.${kind}.${Date.now()}@example.com` });
      const store = await makeStore();
      const adapter = makeAdapter(store);
      const expires = new Date(Date.now() + 60_000);
      await adapter.createSession({ sessionToken: 'tok123', userId: user.id, expires });
      const session = await store.get('session:tok123');
      assert.ok(session, 'the session is at session:<token>');
      assert.equal(session.sessionToken, 'tok123');
      assert.equal(session.userId, user.id);
      assert.equal(msOf(session.expires), expires.getTime());

      await adapter.linkAccount({ ...ACCOUNT, userId: user.id });
      const account = await store.get('account:github:12345');
      assert.ok(account, 'the account is at account:<provider>:<providerAccountId>');
      assert.equal(account.userId, user.id);
      assert.equal(account.access_token, 'gho_x');

      await adapter.deleteSession('tok123');
      assert.equal(await store.get('session:tok123'), null);
    });

    test(`keyPrefix is prepended to every key (${kind})`, async () => {
      const user = api.addUser({ email: `prefix.${kind}.${Date.now()}@example.com` });
      const store = await makeStore();
      const adapter = makeAdapter(store, { keyPrefix: 'myapp:' });
      const expires = new Date(Date.now() + 60_000);
      await adapter.createSession({ sessionToken: 'pfx', userId: user.id, expires });
      assert.equal(await store.get('session:pfx'), null);
      const session = await store.get('myapp:session:pfx');
      assert.equal(session?.userId, user.id);
    });
  }
});
