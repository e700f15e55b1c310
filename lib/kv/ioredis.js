'use strict';

// An ioredis client (or ioredis Cluster) as the store: each operation is one
// client call — a command, one MULTI, or one of the native RedisStore's Lua
// scripts by EVALSHA — so it is as atomic as on RedisStore. Values are the
// JSON text Rust sends, stored as they are.

const {
  SCRIPTS,
  isNoScript,
  isWrongType,
  groups,
  indexKeys,
  membersText,
} = require('./redis-common.js');

/** Whether `client` is an ioredis client. */
function isIoRedis(client) {
  return typeof client.pipeline === 'function' && typeof client.defineCommand === 'function';
}

/** Runs an ioredis MULTI and returns its replies, throwing the first error. */
async function exec(multi) {
  const replies = await multi.exec();
  if (replies === null) throw new Error('the transaction was aborted');
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

function ioredisKv(client) {
  // The client's own keyPrefix applies to KEYS; the token script also needs
  // it for the keys it finds in the outstanding set.
  const prefix = client.options?.keyPrefix ?? '';

  async function script({ sha, text }, keys, args) {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!isNoScript(e)) throw e;
      return client.eval(text, keys.length, ...keys, ...args);
    }
  }

  function queue(multi, change, now) {
    const { op, key, member, px } = change;
    if (op === 'set') {
      if (px == null) multi.set(key, change.value);
      else multi.set(key, change.value, 'PX', px);
    } else if (op === 'del') multi.del(key);
    else if (op === 'setAdd') {
      multi.sadd(key, member);
      if (px != null) multi.pexpire(key, px);
    } else if (op === 'setRemove') multi.srem(key, member);
    else if (op === 'indexAdd') {
      multi.zadd(key, change.expires ?? '+inf', member);
      multi.zremrangebyscore(key, '-inf', now);
    } else if (op === 'indexRemove') multi.zrem(key, member);
    else throw new Error(`unknown change ${op}`);
  }

  async function writeGroup(group) {
    const run = () => {
      const multi = client.multi();
      const now = Date.now();
      for (const change of group) queue(multi, change, now);
      return exec(multi);
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
      await (px == null ? client.set(key, value) : client.set(key, value, 'PX', px));
      return null;
    },
    del: async ({ key }) => {
      await client.del(key);
      return null;
    },
    getdel: ({ key }) => client.getdel(key),
    setMembers: async ({ key }) => membersText(await client.smembers(key)),
    indexMembers: async ({ key }) => {
      try {
        return membersText(await client.zrange(key, 0, -1));
      } catch (e) {
        if (!isWrongType(e)) throw e;
        return membersText(await client.smembers(key));
      }
    },
    write: async ({ value }) => {
      for (const group of groups(JSON.parse(value), client.isCluster === true)) {
        await writeGroup(group);
      }
      return null;
    },
    useToken: ({ key, value }) => {
      const { failures, outstanding, max, windowMs } = JSON.parse(value);
      return script(SCRIPTS.useToken, [key, failures, outstanding], [max, windowMs, prefix, key]);
    },
    acquire: ({ key, value, px }) => client.set(key, value, 'PX', px, 'NX'),
    release: async ({ key, value }) => {
      await script(SCRIPTS.release, [key], [value]);
      return null;
    },
  };
}

module.exports = { isIoRedis, ioredisKv };
