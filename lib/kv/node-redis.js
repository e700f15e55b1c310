'use strict';

// A node-redis (v4+) client as the store: each operation is one client call
// — a command or a Lua script by EVALSHA (a batch of changes too) — so it is
// as atomic as on RedisStore. Values are the JSON text
// Rust sends, stored as they are.

const {
  SCRIPTS,
  isNoScript,
  isWrongType,
  groups,
  writeArgs,
  membersText,
} = require('./redis-common.js');

/** Whether `client` is a node-redis client. */
function isNodeRedis(client) {
  return typeof client.sendCommand === 'function' && 'isOpen' in client;
}

function nodeRedisKv(client) {
  async function script({ sha, text }, keys, args) {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(sha, options);
    } catch (e) {
      if (!isNoScript(e)) throw e;
      return client.eval(text, options);
    }
  }

  return {
    get: (key) => client.get(key),
    set: async (key, value, px) => {
      await (px == null ? client.set(key, value) : client.set(key, value, { PX: px }));
      return null;
    },
    del: async (key) => {
      await client.del(key);
      return null;
    },
    getdel: (key) => client.getDel(key),
    setMembers: async (key) => membersText(await client.sMembers(key)),
    indexMembers: async (key) => {
      try {
        return membersText(await client.zRange(key, 0, -1));
      } catch (e) {
        if (!isWrongType(e)) throw e;
        return membersText(await client.sMembers(key));
      }
    },
    write: async (_key, value) => {
      // A node-redis cluster client is the one with a slot map.
      for (const group of groups(JSON.parse(value), 'slots' in client)) {
        const { keys, args } = writeArgs(group);
        await script(SCRIPTS.write, keys, args);
      }
      return null;
    },
    useToken: (key, value) => {
      const { failures, outstanding, max, windowMs } = JSON.parse(value);
      return script(SCRIPTS.useToken, [key, failures, outstanding], [max, windowMs, '', key]);
    },
    acquire: (key, value, px) => client.set(key, value, { PX: px, NX: true }),
    release: async (key, value) => {
      await script(SCRIPTS.release, [key], [value]);
      return null;
    },
  };
}

module.exports = { isNodeRedis, nodeRedisKv };
