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

module.exports = {
  Store,
  MemoryStore,
  RedisStore,
  kNative,
  kUnset,
};
