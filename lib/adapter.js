'use strict';

const {
  NativeAdapter,
  NativePartner,
  adapterMethods,
  debugEnabled,
  optionDefaults,
} = require('../binding.js');
const { AdapterError, messageOf } = require('./errors.js');
const { encode, unwrap } = require('./codec.js');
const {
  MemoryStore,
  RedisStore,
  kNative,
  kUnset,
  toKeyValue,
  storeBridge,
  storeId,
} = require('./stores.js');
const { nativeOutbox, result } = require('./outbox.js');

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

/** Whether a setting read from the environment was left unset (`undefined`, `''`). */
const isUnset = (value) => value == null || (typeof value === 'string' && value.trim() === '');

/**
 * The error of a call made without the partner secret: `next build` runs
 * without runtime secrets, so construction accepts that and the first call
 * reports it.
 */
function secretUnset() {
  return new AdapterError(
    'CONFIG',
    'the ChatBotKit partner secret is not set: `secret` is empty. Set CHATBOTKIT_API_SECRET in the ' +
      "server's environment (the quick start passes process.env.CHATBOTKIT_API_SECRET as `secret`)",
  );
}

/**
 * The options the native core reads (it defaults them, `baseUrl` to
 * CHATBOTKIT_API_URL when that is set). A missing `secret` is left for the
 * caller to report (see secretUnset).
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

/** The options as the native core reads them; throws CONFIG without a secret. */
function optionsJson(picked) {
  if (isUnset(picked.secret)) throw secretUnset();
  try {
    return JSON.stringify(picked);
  } catch (e) {
    throw new AdapterError('CONFIG', `options: ${messageOf(e)}`);
  }
}

/**
 * Checks every option but the missing secret now, with the native parser
 * (a stand-in secret fills the gap), so that a wrong type still throws at
 * construction when the secret is left for the first call.
 */
function checkWithoutSecret(picked) {
  try {
    new NativePartner(optionsJson({ ...picked, secret: 'not-set' }));
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError('CONFIG', messageOf(e));
  }
}

/** Whether `store` is exactly `Class`, not a subclass that may override it. */
function isExactly(store, Class) {
  return (
    store !== null && typeof store === 'object' && Object.getPrototypeOf(store) === Class.prototype
  );
}

function nativeAdapter(picked, store) {
  const json = optionsJson(picked);
  try {
    const outbox = nativeOutbox();
    // Only the classes themselves go straight to Rust: a subclass's own
    // get/set/del must be the ones called.
    if (isExactly(store, MemoryStore)) {
      return NativeAdapter.withMemoryStore(json, outbox, store[kNative]);
    }
    if (isExactly(store, RedisStore))
      return NativeAdapter.withRedisStore(json, outbox, store[kNative]);
    const kv = toKeyValue(store);
    return NativeAdapter.withJsStore(
      json,
      outbox,
      storeBridge(kv),
      typeof kv.getdel === 'function',
      kv.sets !== undefined,
      storeId(store),
    );
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError('CONFIG', messageOf(e));
  }
}

/**
 * What the first call reports when a setting read from the environment is
 * missing (no secret, a RedisStore without `url`), or null. Everything else
 * is checked at construction.
 */
function unsetSetting(picked, store) {
  const storeUnset = store instanceof RedisStore ? store[kUnset] : undefined;
  if (!isUnset(picked.secret) && !storeUnset) return null;
  if (!(store instanceof MemoryStore || store instanceof RedisStore)) toKeyValue(store);
  checkWithoutSecret(picked);
  return isUnset(picked.secret) ? secretUnset : storeUnset;
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
  const unset = unsetSetting(picked, options.store);
  const native = unset ? null : nativeAdapter(picked, options.store);
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
      // Text when the work finished without waiting, else the call's id.
      const done = native.call(name, json);
      return unwrap(typeof done === 'string' ? done : await result(done));
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
