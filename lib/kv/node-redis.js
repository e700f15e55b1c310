'use strict';

// A node-redis (v4+) client as the store: each operation is one client call
// — a command, one MULTI, or one of the native RedisStore's Lua scripts by
// EVALSHA — so it is as atomic as on RedisStore. Values are the JSON text
// Rust sends, stored as they are.

const {
  SCRIPTS,
  isNoScript,
  isWrongType,
  groups,
  indexKeys,
  membersText,
} = require('./redis-common.js');

/** Whether `client` is a node-redis client. */
function isNodeRedis(client) {
  return typeof client.sendCommand === 'function' && 'isOpen' in client;
}

/** A failed MULTI as its first command's error (its own message says only how many failed). */
function firstError(e) {
  if (Array.isArray(e?.replies) && Array.isArray(e.errorIndexes) && e.errorIndexes.length) {
    return e.replies[e.errorIndexes[0]];
  }
  return e;
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

  function queue(multi, change, now) {
    const { op, key, member, px } = change;
    if (op === 'set') multi.set(key, change.value, px == null ? undefined : { PX: px });
    else if (op === 'del') multi.del(key);
    else if (op === 'setAdd') {
      multi.sAdd(key, member);
      if (px != null) multi.pExpire(key, px);
    } else if (op === 'setRemove') multi.sRem(key, member);
    else if (op === 'indexAdd') {
      multi.zAdd(key, { score: change.expires ?? Infinity, value: member });
      multi.zRemRangeByScore(key, '-inf', now);
    } else if (op === 'indexRemove') multi.zRem(key, member);
    else throw new Error(`unknown change ${op}`);
  }

  async function writeGroup(group) {
    const run = async () => {
      const multi = client.multi();
      const now = Date.now();
      for (const change of group) queue(multi, change, now);
      try {
        await multi.exec();
      } catch (e) {
        throw firstError(e);
      }
    };
    try {
      await run();
    } catch (e) {
      if (!isWrongType(e)) throw e;
      // A per-user index from an earlier version (a plain set): converted,
      // then the batch again (every change in it is repeatable).
      for (const key of indexKeys(group)) await script(SCRIPTS.indexToSorted, [key], []);
      await run();
    }
  }

  return {
    get: ({ key }) => client.get(key),
    set: async ({ key, value, px }) => {
      await (px == null ? client.set(key, value) : client.set(key, value, { PX: px }));
      return null;
    },
    del: async ({ key }) => {
      await client.del(key);
      return null;
    },
    getdel: ({ key }) => client.getDel(key),
    setMembers: async ({ key }) => membersText(await client.sMembers(key)),
    indexMembers: async ({ key }) => {
      try {
        return membersText(await client.zRange(key, 0, -1));
      } catch (e) {
        if (!isWrongType(e)) throw e;
        return membersText(await client.sMembers(key));
      }
    },
    write: async ({ value }) => {
      // A node-redis cluster client is the one with a slot map.
      for (const group of groups(JSON.parse(value), 'slots' in client)) await writeGroup(group);
      return null;
    },
    useToken: ({ key, value }) => {
      const { failures, outstanding, max, windowMs } = JSON.parse(value);
      return script(SCRIPTS.useToken, [key, failures, outstanding], [max, windowMs, '', key]);
    },
    acquire: ({ key, value, px }) => client.set(key, value, { PX: px, NX: true }),
    release: async ({ key, value }) => {
      await script(SCRIPTS.release, [key], [value]);
      return null;
    },
  };
}

module.exports = { isNodeRedis, nodeRedisKv };
