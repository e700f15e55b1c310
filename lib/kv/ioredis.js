'use strict';

// An ioredis client (or ioredis Cluster) as the store: each operation is one
// client call — a command or a Lua script by EVALSHA (a batch of changes
// too: an EVALSHA costs the client far less than a MULTI) — so it is as
// atomic as on RedisStore. Values are the JSON text Rust sends, stored as
// they are.

const {
  SCRIPTS,
  isNoScript,
  isWrongType,
  groups,
  writeArgs,
  membersText,
} = require('./redis-common.js');

/** Whether `client` is an ioredis client. */
function isIoRedis(client) {
  return typeof client.pipeline === 'function' && typeof client.defineCommand === 'function';
}

/**
 * `coalesce()` before a client call: the commands sent until the microtasks
 * of this turn have run go out in one socket write instead of one each
 * (the stream is corked until the next tick, as ioredis's own
 * auto-pipelining waits for it). At high concurrency the replies of many
 * calls arrive together and each call's next command follows at once: a
 * write per command was the largest cost of a call over this store. Only a
 * connected single-server client is corked (a Cluster has no one stream;
 * an offline client queues commands itself).
 */
function writeCoalescer(client) {
  let corked = null;
  const uncork = () => {
    const stream = corked;
    corked = null;
    stream.uncork();
  };
  return () => {
    if (corked !== null || client.status !== 'ready') return;
    const stream = client.stream;
    if (!stream || !stream.writable) return;
    stream.cork();
    corked = stream;
    process.nextTick(uncork);
  };
}

function ioredisKv(client) {
  const coalesce = writeCoalescer(client);
  // The client's own keyPrefix applies to KEYS; the token script also needs
  // it for the keys it finds in the outstanding set.
  const prefix = client.options?.keyPrefix ?? '';

  // EVALSHA, or EVAL when the server has not seen the script. ioredis
  // flattens array arguments: keys and args go as they are, unspread.
  function script({ sha, text }, keys, args) {
    return client.evalsha(sha, keys.length, keys, args).catch((e) => {
      if (!isNoScript(e)) throw e;
      return client.eval(text, keys.length, keys, args);
    });
  }

  const ops = {
    get: (key) => client.get(key),
    set: async (key, value, px) => {
      await (px == null ? client.set(key, value) : client.set(key, value, 'PX', px));
      return null;
    },
    del: async (key) => {
      await client.del(key);
      return null;
    },
    getdel: (key) => client.getdel(key),
    setMembers: async (key) => membersText(await client.smembers(key)),
    indexMembers: async (key) => {
      try {
        return membersText(await client.zrange(key, 0, -1));
      } catch (e) {
        if (!isWrongType(e)) throw e;
        return membersText(await client.smembers(key));
      }
    },
    write: async (_key, value) => {
      for (const group of groups(JSON.parse(value), client.isCluster === true)) {
        const { keys, args } = writeArgs(group);
        await script(SCRIPTS.write, keys, args);
      }
      return null;
    },
    useToken: (key, value) => {
      const { failures, outstanding, max, windowMs } = JSON.parse(value);
      return script(SCRIPTS.useToken, [key, failures, outstanding], [max, windowMs, prefix, key]);
    },
    acquire: (key, value, px) => client.set(key, value, 'PX', px, 'NX'),
    release: async (key, value) => {
      await script(SCRIPTS.release, [key], [value]);
      return null;
    },
  };
  for (const [name, op] of Object.entries(ops)) {
    ops[name] = (key, value, px) => {
      coalesce();
      return op(key, value, px);
    };
  }
  return ops;
}

module.exports = { isIoRedis, ioredisKv };
