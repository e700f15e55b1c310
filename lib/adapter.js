'use strict';

const {
  NativeAdapter,
  NativeMemoryStore,
  adapterMethods,
  debugEnabled,
  optionDefaults,
} = require('../binding.js');
const { AdapterError, messageOf } = require('./errors.js');
const { encode, unwrap } = require('./codec.js');
const { MemoryStore, RedisStore, kNative, kUnset } = require('./stores.js');
const { kvFor } = require('./kv/index.js');
const { drive } = require('./kv/drive.js');
const { settled } = require('./outbox.js');

// DEBUG=nextauth-chatbotkit logs one line per adapter call: the method, its
// outcome and its time. Arguments and results are never logged.
const debug = debugEnabled();

function log(name, outcome, started) {
  const ms = (performance.now() - started).toFixed(1);
  process.stderr.write(`nextauth-chatbotkit ${name} ${outcome} ${ms}ms\n`);
}

// The options the native core reads (src/options.rs owns them and their
// defaults); everything else (`store`, ...) is ignored.
const NATIVE_OPTIONS = optionDefaults()
  .filter((option) => option.scope === 'adapter')
  .map((option) => option.name);

/**
 * The options the native core reads (it defaults them, `baseUrl` to
 * CHATBOTKIT_API_URL when that is set, and makes each call report an unset
 * `secret`: `next build` runs without runtime secrets).
 */
function pickNativeOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new AdapterError('CONFIG', 'options must be an object with at least `secret`');
  }
  const picked = {};
  for (const name of NATIVE_OPTIONS) {
    const value = options[name];
    if (value === undefined) continue;
    // JSON would turn NaN (e.g. Number(process.env.UNSET)) into null, which
    // reads as "use the default": refuse it here instead.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new AdapterError('CONFIG', `\`${name}\` must be a finite number`);
    }
    picked[name] = value;
  }
  return picked;
}

/** The options as the native core reads them. */
function optionsJson(picked) {
  try {
    return JSON.stringify(picked);
  } catch (e) {
    throw new AdapterError('CONFIG', `options: ${messageOf(e)}`);
  }
}

/** Whether `store` is exactly `Class`, not a subclass that may override it. */
function isExactly(store, Class) {
  return (
    store !== null && typeof store === 'object' && Object.getPrototypeOf(store) === Class.prototype
  );
}

/**
 * `storeUnset`: the store is a RedisStore without `url` (REDIS_URL unset while
 * `next build` runs); the options are still checked now, over a stand-in
 * store that no call reaches.
 */
function nativeAdapter(picked, store, storeUnset) {
  const json = optionsJson(picked);
  try {
    if (storeUnset) return { native: NativeAdapter.withMemoryStore(json, new NativeMemoryStore()) };
    // Only the classes themselves go straight to Rust: a subclass's own
    // get/set/del must be the ones called.
    if (isExactly(store, MemoryStore)) {
      return { native: NativeAdapter.withMemoryStore(json, store[kNative]) };
    }
    if (isExactly(store, RedisStore)) {
      return { native: NativeAdapter.withRedisStore(json, store[kNative]) };
    }
    const native = NativeAdapter.withJsStore(json);
    return { native, ops: kvFor(store, { timeout: native.storeTimeoutMs }).ops };
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError('CONFIG', messageOf(e));
  }
}

/**
 * The Auth.js / NextAuth.js adapter: users are ChatBotKit partner users,
 * everything else lives in `options.store`. Returns a plain object of
 * functions that do not depend on `this`, as Auth.js calls them unbound.
 */
function ChatBotKitPartnerAdapter(options) {
  return adapterFor(options, 'partner');
}

/** The adapter over one directory of users: 'partner' or 'contact'. */
function adapterFor(options, directory) {
  const picked = pickNativeOptions(options);
  picked.directory = directory;
  const storeUnset = options.store instanceof RedisStore ? options.store[kUnset] : undefined;
  const { native, ops } = nativeAdapter(picked, options.store, storeUnset);
  const driven = native.driven;
  // An unset secret is reported by the native adapter itself, and first.
  const unset = storeUnset && native.hasSecret ? storeUnset : null;
  const adapter = {};
  for (const name of adapterMethods()) {
    const call = async (...args) => {
      if (unset) throw unset();
      let json;
      try {
        json = encode(args);
      } catch (e) {
        throw new AdapterError(
          'INVALID_INPUT',
          `${name}: the arguments cannot be serialised (${messageOf(e)})`,
        );
      }
      // Text when the work finished without waiting; else the call's id
      // (the outbox hands over its envelope), or, over a JS store, a store
      // step to run (see kv/drive.js).
      const answer = native.call(name, json);
      if (typeof answer === 'string') return unwrap(answer);
      return unwrap(driven ? await drive(native, ops, answer) : await settled(answer));
    };
    adapter[name] = !debug
      ? call
      : async (...args) => {
          const started = performance.now();
          try {
            const result = await call(...args);
            log(name, 'ok', started);
            return result;
          } catch (e) {
            log(name, e.code ?? 'error', started);
            throw e;
          }
        };
  }
  return adapter;
}

module.exports = { ChatBotKitPartnerAdapter, adapterFor, pickNativeOptions, optionsJson };
