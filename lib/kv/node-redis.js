'use strict';

// A node-redis (v4+) client as the store: each operation is one client call
// — a command or a Lua script by EVALSHA (a batch of changes too) — so it is
// as atomic as on RedisStore. Values are the JSON text
// Rust sends, stored as they are.

const { isNoScript, redisKv } = require('./redis-common.js');

/** Whether `client` is a node-redis client. */
function isNodeRedis(client) {
  return typeof client.sendCommand === 'function' && 'isOpen' in client;
}

function nodeRedisKv(client) {
  return redisKv({
    get: (key) => client.get(key),
    set: (key, value, px) =>
      px == null ? client.set(key, value) : client.set(key, value, { PX: px }),
    setNx: (key, value, px) => client.set(key, value, { PX: px, NX: true }),
    del: (key) => client.del(key),
    getdel: (key) => client.getDel(key),
    smembers: (key) => client.sMembers(key),
    zrange: (key) => client.zRange(key, 0, -1),
    script: async ({ sha, text }, keys, args) => {
      const options = { keys, arguments: args.map(String) };
      try {
        return await client.evalSha(sha, options);
      } catch (e) {
        if (!isNoScript(e)) throw e;
        return client.eval(text, options);
      }
    },
    // A node-redis cluster client is the one with a slot map.
    cluster: 'slots' in client,
    prefix: '',
  });
}

module.exports = { isNodeRedis, nodeRedisKv };
