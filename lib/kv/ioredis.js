'use strict';

// An ioredis client (or ioredis Cluster) as the store: each operation is one
// client call — a command or a Lua script by EVALSHA (a batch of changes
// too: an EVALSHA costs the client far less than a MULTI) — so it is as
// atomic as on RedisStore. Values are the JSON text Rust sends, stored as
// they are.

const { isNoScript, redisKv } = require('./redis-common.js');

/** Whether `client` is an ioredis client. */
function isIoRedis(client) {
  return typeof client.pipeline === 'function' && typeof client.defineCommand === 'function';
}

/**
 * At most this many commands leave in one socket write. Unbounded, every
 * call in flight fell into one batch: the whole batch went to Redis, then
 * all its replies came back and were handled, then the next batch went,
 * with Redis and this thread never working at once. Quick runs, token pairs
 * at c16: 9–12 k pairs/s unbounded, 16–21 k with 8 (bench/notes.md).
 */
const MAX_COMMANDS_PER_WRITE = 8;

/**
 * `coalesce()` before a client call: the commands sent until the microtasks
 * of this turn have run go out in writes of up to MAX_COMMANDS_PER_WRITE
 * instead of one each (the stream is corked until the next tick, as
 * ioredis's own auto-pipelining waits for it). At high concurrency the
 * replies of many calls arrive together and each call's next command
 * follows at once: a write per command was the largest cost of a call over
 * this store. Only a connected single-server client is corked (a Cluster
 * has no one stream; an offline client queues commands itself).
 */
function writeCoalescer(client) {
  let corked = null;
  let held = 0;
  const uncork = () => {
    const stream = corked;
    corked = null;
    stream.uncork();
  };
  return () => {
    if (corked !== null) {
      if (++held === MAX_COMMANDS_PER_WRITE) {
        // This batch leaves now; the command about to be sent starts the next.
        corked.uncork();
        corked.cork();
        held = 0;
      }
      return;
    }
    if (client.status !== 'ready') return;
    const stream = client.stream;
    if (!stream || !stream.writable) return;
    stream.cork();
    corked = stream;
    held = 0;
    process.nextTick(uncork);
  };
}

function ioredisKv(client) {
  const coalesce = writeCoalescer(client);
  const ops = redisKv({
    get: (key) => client.get(key),
    set: (key, value, px) =>
      px == null ? client.set(key, value) : client.set(key, value, 'PX', px),
    setNx: (key, value, px) => client.set(key, value, 'PX', px, 'NX'),
    del: (key) => client.del(key),
    getdel: (key) => client.getdel(key),
    smembers: (key) => client.smembers(key),
    zrange: (key) => client.zrange(key, 0, -1),
    // ioredis flattens array arguments: keys and args go as they are.
    script: ({ sha, text }, keys, args) =>
      client.evalsha(sha, keys.length, keys, args).catch((e) => {
        if (!isNoScript(e)) throw e;
        return client.eval(text, keys.length, keys, args);
      }),
    cluster: client.isCluster === true,
    // The client's own keyPrefix applies to KEYS, not to the keys the token
    // script reads from the outstanding set.
    prefix: client.options?.keyPrefix ?? '',
  });
  for (const [name, op] of Object.entries(ops)) {
    ops[name] = (key, value, px) => {
      coalesce();
      return op(key, value, px);
    };
  }
  return ops;
}

module.exports = { isIoRedis, ioredisKv };
