'use strict';

// The one owner of JS stores: which module serves a store object, and the
// locks of each store object. Every module exposes each operation the
// native core's store needs (`storeOps()`, defined in src/store/js.rs) as
// one function `(key, value, px)` that resolves to text or null: the core makes ONE call per operation, whatever the store, and
// drive.js runs it on the JS thread.
//
// - ioredis.js: an ioredis client (commands, MULTI, Lua scripts);
// - node-redis.js: a node-redis client (the same);
// - plain.js: any other `{ px }` store (Store subclasses, plain objects,
//   Upstash / Vercel KV), sets, indexes and counters built in JS.

const { MemoryStore, RedisStore } = require('../stores.js');
const { AdapterError } = require('../errors.js');
const { Locks } = require('./locks.js');
const { isIoRedis, ioredisKv } = require('./ioredis.js');
const { isNodeRedis, nodeRedisKv } = require('./node-redis.js');
const { plainKv } = require('./plain.js');

// One set of locks per store object, whichever adapters use it (one adapter
// per request is common), so single use and counting hold across them. A
// WeakMap: the locks go with the object.
const storeLocks = new WeakMap();

function locksOf(store) {
  let locks = storeLocks.get(store);
  if (locks === undefined) storeLocks.set(store, (locks = new Locks()));
  return locks;
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
 * The operations over a JS store, as `{ kind, ops }`. `timeout`: the
 * adapter's deadline for one store operation (a plain store's lock is held
 * no longer).
 */
function kvFor(store, { timeout }) {
  if (store === null || (typeof store !== 'object' && typeof store !== 'function')) {
    throw new AdapterError(
      'CONFIG',
      '`store` is required: a MemoryStore, a RedisStore, or an object with async get/set/del',
    );
  }
  if (isIoRedis(store)) return { kind: 'ioredis', ops: ioredisKv(store) };
  if (isNodeRedis(store)) return { kind: 'node-redis', ops: nodeRedisKv(store) };
  for (const method of ['get', 'set', 'del']) {
    if (typeof store[method] !== 'function') {
      throw new AdapterError(
        'CONFIG',
        `the store has no ${method}() method: it needs async get, set(key, value, { px }) and del`,
      );
    }
  }
  const ops = plainKv(store, {
    hasGetdel: usableGetdel(store),
    locks: locksOf(store),
    timeout,
  });
  return { kind: 'plain', ops };
}

module.exports = { kvFor, locksOf };
