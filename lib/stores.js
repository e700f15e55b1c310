'use strict';

const { NativeMemoryStore, NativeRedisStore } = require('../binding.js');
const { AdapterError, messageOf } = require('./errors.js');
const { unwrap } = require('./codec.js');
const { settled } = require('./outbox.js');

/** Where the native handle of a native store hides (not enumerable). */
const kNative = Symbol('nextauth-chatbotkit.native');
/** A RedisStore made without `url`: the function that makes its CONFIG error. */
const kUnset = Symbol('nextauth-chatbotkit.unset');

/**
 * The process-wide memory stores by name. On globalThis, so that every copy
 * of this module (Next.js evaluates auth.ts once per bundle) finds the same.
 */
const memoryStores = (globalThis[Symbol.for('nextauth-chatbotkit.memory-stores')] ??= new Map());

/**
 * The store contract: async get / set(key, value, { px }) / del, and
 * optionally getdel. Subclass it, or pass any object of that shape.
 */
class Store {
  async get(_key) {
    throw new Error('Store.get is not implemented');
  }

  async set(_key, _value, _options) {
    throw new Error('Store.set is not implemented');
  }

  async del(_key) {
    throw new Error('Store.del is not implemented');
  }
}

/** A key as Rust receives it; a lone surrogate would silently become U+FFFD. */
function keyOf(key) {
  const text = String(key);
  if (!text.isWellFormed()) {
    throw new AdapterError('INVALID_INPUT', 'a store key must be a well-formed string');
  }
  return text;
}

function parse(text) {
  return text == null ? null : JSON.parse(text);
}

function ttlOf(options) {
  const px = options && options.px;
  return typeof px === 'number' && Number.isFinite(px) && px > 0 ? px : undefined;
}

/**
 * The native in-memory store, for development and tests: one per process
 * (every `new MemoryStore()` shares its entries), or one per `name`.
 */
class MemoryStore extends Store {
  constructor(options = {}) {
    super();
    const name = options?.name ?? 'default';
    if (typeof name !== 'string') {
      throw new AdapterError('CONFIG', 'MemoryStore `name` must be a string');
    }
    let native = memoryStores.get(name);
    if (!native) memoryStores.set(name, (native = new NativeMemoryStore()));
    Object.defineProperty(this, kNative, { value: native });
  }

  async get(key) {
    return parse(this[kNative].get(keyOf(key)));
  }

  async set(key, value, options) {
    this[kNative].set(keyOf(key), JSON.stringify(value), ttlOf(options));
  }

  async del(key) {
    this[kNative].del(keyOf(key));
  }

  async getdel(key) {
    return parse(this[kNative].getdel(keyOf(key)));
  }

  /** Entries held (expired ones not yet swept included). */
  get size() {
    return this[kNative].size;
  }

  /** Drops every expired entry now (it also happens by itself as it grows). */
  sweep() {
    this[kNative].sweep();
  }

  clear() {
    this[kNative].clear();
  }
}

function redisUrlUnset() {
  return new AdapterError(
    'CONFIG',
    "RedisStore has no `url`: set REDIS_URL in the server's environment (the quick start passes " +
      'process.env.REDIS_URL as `url`), or give `cluster`',
  );
}

/**
 * The native Redis store: `new RedisStore({ url })` for one server
 * (redis:// or rediss://), `new RedisStore({ cluster: [urls] })` for a
 * Redis Cluster. Connects on first use and reconnects by itself. Without
 * `url` (REDIS_URL unset while `next build` runs) the first use reports it.
 */
class RedisStore extends Store {
  constructor(options = {}) {
    super();
    const { url, cluster, timeout, keyPrefix, tls } = options || {};
    const unset =
      cluster === undefined && (url == null || (typeof url === 'string' && !url.trim()));
    let native;
    try {
      // Without a url the other options are still checked now (a stand-in url fills the gap).
      native = new NativeRedisStore(
        JSON.stringify({
          url: unset ? 'redis://not-set' : url,
          cluster,
          timeout,
          keyPrefix,
          ca: tls?.ca,
        }),
      );
    } catch (e) {
      throw new AdapterError('CONFIG', messageOf(e));
    }
    if (unset) {
      Object.defineProperty(this, kUnset, { value: redisUrlUnset });
      Object.defineProperty(this, kNative, {
        get() {
          throw redisUrlUnset();
        },
      });
    } else {
      Object.defineProperty(this, kNative, { value: native });
    }
  }

  async command(op, key, value, ttl) {
    return unwrap(await settled(this[kNative].command(op, keyOf(key), value, ttl)));
  }

  async get(key) {
    return parse(await this.command('get', key));
  }

  async set(key, value, options) {
    await this.command('set', key, JSON.stringify(value), ttlOf(options));
  }

  async del(key) {
    await this.command('del', key);
  }

  async getdel(key) {
    return parse(await this.command('getdel', key));
  }

  /** Closes the connection. Optional: an idle process exits without it. */
  close() {
    if (!this[kUnset]) this[kNative].close();
  }
}

/** Text for Rust from whatever a JS store returned. */
function toText(value) {
  if (value == null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isIoRedis(client) {
  return typeof client.pipeline === 'function' && typeof client.defineCommand === 'function';
}

/** Runs an ioredis MULTI and returns its replies, throwing the first error. */
async function execIoRedis(multi) {
  const replies = await multi.exec();
  if (replies === null) throw new Error('the transaction was aborted');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

// An index an earlier version kept as a plain set becomes a sorted set, its
// members scored +inf (their expiry unknown). The same script as the native
// store's.
const INDEX_TO_SORTED = `
if redis.call('TYPE', KEYS[1]).ok ~= 'set' then return 0 end
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
for _, member in ipairs(members) do redis.call('ZADD', KEYS[1], '+inf', member) end
return #members
`;

/** Runs `step` on a sorted-set index, converting a plain-set one first if need be. */
async function onSortedIndex(step, convert) {
  try {
    return await step();
  } catch (e) {
    if (!/WRONGTYPE/.test(messageOf(e))) throw e;
    await convert();
    return step();
  }
}

function isNodeRedis(client) {
  return typeof client.sendCommand === 'function' && 'isOpen' in client;
}

/**
 * A Redis client's per-user index operations: a sorted set scored by expiry,
 * pruned of the expired on every add.
 */
function sortedIndex({ add, prune, remove, members, convert }) {
  return {
    add: (key, member, expires, now) =>
      onSortedIndex(
        async () => {
          await add(key, member, expires);
          await prune(key, now);
        },
        () => convert(key),
      ),
    remove: (key, member) =>
      onSortedIndex(
        () => remove(key, member),
        () => convert(key),
      ),
    members: (key) =>
      onSortedIndex(
        () => members(key),
        () => convert(key),
      ),
  };
}

/**
 * The store as { get, set, del, getdel?, sets?, text? } with the `{ px }`
 * contract. ioredis (`set(k, v, 'PX', ms)`) and node-redis
 * (`set(k, v, { PX: ms })`) are string stores (`text: true`): their `set`
 * takes the JSON text as Rust sends it. `{ px }`-shaped clients (Upstash,
 * Vercel KV, plain objects) get the values as objects.
 */
function toKeyValue(store) {
  if (store === null || (typeof store !== 'object' && typeof store !== 'function')) {
    throw new AdapterError(
      'CONFIG',
      '`store` is required: a MemoryStore, a RedisStore, or an object with async get/set/del',
    );
  }
  if (isIoRedis(store)) {
    return {
      text: true,
      get: (key) => store.get(key),
      set: (key, text, options) => {
        const px = ttlOf(options);
        return px === undefined ? store.set(key, text) : store.set(key, text, 'PX', Math.ceil(px));
      },
      del: (key) => store.del(key),
      getdel: (key) => store.getdel(key),
      sets: {
        add: (key, member, px) =>
          px === undefined
            ? store.sadd(key, member)
            : execIoRedis(store.multi().sadd(key, member).pexpire(key, px)),
        remove: (key, member) => store.srem(key, member),
        members: (key) => store.smembers(key),
        // SET NX starts the window only for a new counter; INCR keeps it.
        incr: async (key, px) =>
          (await execIoRedis(store.multi().set(key, '0', 'PX', px, 'NX').incr(key)))[1],
        setnx: (key, text, px) => store.set(key, text, 'PX', px, 'NX'),
      },
      index: sortedIndex({
        add: (key, member, expires) => store.zadd(key, expires ?? '+inf', member),
        prune: (key, now) => store.zremrangebyscore(key, '-inf', now),
        remove: (key, member) => store.zrem(key, member),
        members: (key) => store.zrange(key, 0, -1),
        convert: (key) => store.eval(INDEX_TO_SORTED, 1, key),
      }),
    };
  }
  if (isNodeRedis(store)) {
    return {
      text: true,
      get: (key) => store.get(key),
      set: (key, text, options) => {
        const px = ttlOf(options);
        return px === undefined
          ? store.set(key, text)
          : store.set(key, text, { PX: Math.ceil(px) });
      },
      del: (key) => store.del(key),
      getdel: (key) => store.getDel(key),
      sets: {
        add: (key, member, px) =>
          px === undefined
            ? store.sAdd(key, member)
            : store.multi().sAdd(key, member).pExpire(key, px).exec(),
        remove: (key, member) => store.sRem(key, member),
        members: (key) => store.sMembers(key),
        incr: async (key, px) =>
          (await store.multi().set(key, '0', { PX: px, NX: true }).incr(key).exec())[1],
        setnx: (key, text, px) => store.set(key, text, { PX: px, NX: true }),
      },
      index: sortedIndex({
        add: (key, member, expires) =>
          store.zAdd(key, { score: expires ?? Infinity, value: member }),
        prune: (key, now) => store.zRemRangeByScore(key, '-inf', now),
        remove: (key, member) => store.zRem(key, member),
        members: (key) => store.zRange(key, 0, -1),
        convert: (key) => store.eval(INDEX_TO_SORTED, { keys: [key] }),
      }),
    };
  }
  for (const method of ['get', 'set', 'del']) {
    if (typeof store[method] !== 'function') {
      throw new AdapterError(
        'CONFIG',
        `the store has no ${method}() method: it needs async get, set(key, value, { px }) and del`,
      );
    }
  }
  return {
    get: (key) => store.get(key),
    set: (key, value, options) =>
      options ? store.set(key, value, options) : store.set(key, value),
    del: (key) => store.del(key),
    // Without it the core does get-then-del, one at a time per key.
    getdel: usableGetdel(store) ? (key) => store.getdel(key) : undefined,
  };
}

// One id per JS store object, whichever adapters use it: the native core
// names the store's locks with it, so single use and counting hold across
// every adapter over one store (one adapter per request is common). A
// WeakMap: the id goes with the object.
const storeIds = new WeakMap();
let lastStoreId = 0;

function storeId(store) {
  let id = storeIds.get(store);
  if (id === undefined) {
    id = ++lastStoreId;
    storeIds.set(store, id);
  }
  return id;
}

/**
 * Whether the store's getdel may stand in for its get and del: not when a
 * subclass of a native store overrides get or del but inherits the native
 * getdel, which would read and delete past the subclass's own methods.
 */
function usableGetdel(store) {
  if (typeof store.getdel !== 'function') return false;
  for (const Native of [MemoryStore, RedisStore]) {
    const { get, del, getdel } = Native.prototype;
    if (store instanceof Native && store.getdel === getdel) {
      return store.get === get && store.del === del;
    }
  }
  return true;
}

/**
 * The function Rust calls for each operation on a JS store. It never lets a
 * non-Error escape: whatever the store throws becomes an Error whose message
 * Rust turns into a STORE error.
 */
function storeBridge(kv) {
  return async function bridge({ op, key, value, px }) {
    try {
      switch (op) {
        case 'get':
          return toText(await kv.get(key));
        case 'getdel':
          return toText(await kv.getdel(key));
        case 'set':
          await kv.set(key, kv.text ? value : JSON.parse(value), px != null ? { px } : undefined);
          return null;
        case 'del':
          await kv.del(key);
          return null;
        case 'sadd':
          await kv.sets.add(key, value, px ?? undefined);
          return null;
        case 'srem':
          await kv.sets.remove(key, value);
          return null;
        case 'smembers':
          return JSON.stringify(await kv.sets.members(key));
        case 'incr':
          return String(await kv.sets.incr(key, px));
        case 'zadd': {
          const [member, expires, now] = JSON.parse(value);
          await kv.index.add(key, member, expires, now);
          return null;
        }
        case 'zrem':
          await kv.index.remove(key, value);
          return null;
        case 'zmembers':
          return JSON.stringify(await kv.index.members(key));
        case 'setnx':
          // A Redis client answers whether it set; a plain store is asked
          // to set only if absent (Upstash and Vercel KV honour `nx`) and
          // Rust reads back who holds it.
          if (kv.sets) return (await kv.sets.setnx(key, value, px)) == null ? null : 'OK';
          await kv.set(key, JSON.parse(value), { px, nx: true });
          return null;
        default:
          throw new Error(`unknown store operation ${op}`);
      }
    } catch (e) {
      throw new Error(messageOf(e));
    }
  };
}

module.exports = {
  Store,
  MemoryStore,
  RedisStore,
  kNative,
  kUnset,
  toKeyValue,
  storeBridge,
  storeId,
};
