// The stores every store-agnostic suite runs against. Each kind gives a fresh
// store, a way to read a raw record back (not through the adapter), and a
// cleanup. Redis-backed kinds need a running server (see redis.mjs).

import { test } from 'node:test';
import { MemoryStore, RedisStore, Store } from '../../index.js';
import { redisAvailable } from './redis.mjs';

// In CI a missing redis-server fails the run (startRedis throws); elsewhere the
// Redis-backed kinds are left out with a visible note.
export const WITH_REDIS = redisAvailable() || Boolean(process.env.CI);

/**
 * The names of the single-server kinds of storeKinds() a suite can run here;
 * without Redis (outside CI) a skipped test says what was left out.
 */
export function runnableKinds() {
  const kinds = ['memory', 'js object', 'js object without getdel'];
  if (WITH_REDIS) kinds.push('redis', 'ioredis', 'node-redis');
  else test('redis-backed store kinds', { skip: 'redis-server is not installed' }, () => {});
  return kinds;
}

/** A JS store object over a Map, honouring px like a real KV would. */
let memoryStores = 0;

/**
 * A MemoryStore of its own: `new MemoryStore()` is one process-wide store, so
 * a test that counts entries takes a fresh name.
 */
export function freshMemoryStore() {
  memoryStores += 1;
  return new MemoryStore({ name: `test-${process.pid}-${memoryStores}` });
}

export function mapStore({ withGetdel = false } = {}) {
  const map = new Map();
  const live = (key) => {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  };
  const store = {
    map,
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, options) {
      const px = options?.px;
      map.set(key, { value, expiresAt: px ? Date.now() + px : undefined });
    },
    async del(key) {
      map.delete(key);
    },
  };
  if (withGetdel) {
    store.getdel = async (key) => {
      const entry = live(key);
      map.delete(key);
      return entry?.value ?? null;
    };
  }
  return store;
}

/** A `Store` subclass, as the README shows users writing one. */
export class MapStore extends Store {
  #map = new Map();
  async get(key) {
    return this.#map.get(key) ?? null;
  }
  async set(key, value) {
    this.#map.set(key, value);
  }
  async del(key) {
    this.#map.delete(key);
  }

  /** [key, value] of everything held, for tests that measure the store. */
  entries() {
    return [...this.#map];
  }
}

/**
 * Store kinds by name. `redis` is the handle from startRedis() (only the
 * redis-backed kinds use it); with `cluster`, from startRedisCluster(), the
 * kind `redis cluster` too. Each `make()` returns { store, read, close }.
 */
export function storeKinds(redis, cluster = null) {
  const kinds = {
    memory: async () => {
      const store = freshMemoryStore();
      return { store, read: (key) => store.get(key), close: async () => {} };
    },
    'js object': async () => {
      const store = mapStore({ withGetdel: true });
      return { store, read: (key) => store.get(key), close: async () => {} };
    },
    'js object without getdel': async () => {
      const store = mapStore();
      return { store, read: (key) => store.get(key), close: async () => {} };
    },
  };
  if (redis) {
    kinds.redis = async () => {
      redis.flush();
      const store = new RedisStore({ url: redis.url });
      return { store, read: (key) => store.get(key), close: async () => store.close() };
    };
    kinds.ioredis = async () => {
      redis.flush();
      const { default: IORedis } = await import('ioredis');
      const store = new IORedis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
      const read = async (key) => {
        const text = await store.get(key);
        return text == null ? null : JSON.parse(text);
      };
      return { store, read, close: async () => store.quit() };
    };
    kinds['node-redis'] = async () => {
      redis.flush();
      const { createClient } = await import('redis');
      const store = createClient({ url: redis.url });
      await store.connect();
      const read = async (key) => {
        const text = await store.get(key);
        return text == null ? null : JSON.parse(text);
      };
      return { store, read, close: async () => store.quit() };
    };
  }
  if (cluster) {
    kinds['redis cluster'] = async () => {
      for (const node of cluster.nodes) node.flush();
      const store = new RedisStore({ cluster: cluster.urls, timeout: 3000 });
      return { store, read: (key) => store.get(key), close: async () => store.close() };
    };
  }
  return kinds;
}
