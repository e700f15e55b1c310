'use strict';

// What the two Redis client modules share: the store operations themselves
// (`redisKv`), over the few commands each client spells its own way; the
// Lua scripts (from Rust, next to the native RedisStore's, so there is one
// text of each); how a batch of changes becomes the write script's
// arguments, and the cluster grouping.

const { createHash } = require('node:crypto');
const { storeScripts } = require('../../binding.js');
const { messageOf } = require('../errors.js');

/** The scripts as `{ text, sha }`: EVALSHA first, EVAL when the server has not seen it. */
const SCRIPTS = Object.fromEntries(
  Object.entries(storeScripts()).map(([name, text]) => [
    name,
    { text, sha: createHash('sha1').update(text).digest('hex') },
  ]),
);

function isNoScript(e) {
  return /NOSCRIPT/.test(messageOf(e));
}

function isWrongType(e) {
  return /WRONGTYPE/.test(messageOf(e));
}

/**
 * What decides a key's cluster slot: the text between the first `{` and the
 * next `}` when that is not empty, else the whole key (Redis's rule).
 */
function hashTag(key) {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/**
 * A batch split into groups that one MULTI can run: the whole batch on one
 * server; on a cluster one group per hash tag, in order of first use.
 */
function groups(batch, cluster) {
  if (!cluster) return [batch];
  const byTag = new Map();
  for (const change of batch) {
    const tag = hashTag(change.key);
    let group = byTag.get(tag);
    if (!group) byTag.set(tag, (group = []));
    group.push(change);
  }
  return [...byTag.values()];
}

/**
 * A group of changes as the write script's KEYS and ARGV (see WRITE_LUA in
 * src/store/redis.rs): now, then per change its kind and arguments.
 */
function writeArgs(group) {
  const keys = [];
  const args = [String(Date.now())];
  for (const change of group) {
    const { op, key } = change;
    keys.push(key);
    args.push(op);
    if (op === 'set') args.push(change.value, change.px == null ? '' : String(change.px));
    else if (op === 'setAdd') args.push(change.member, change.px == null ? '' : String(change.px));
    else if (op === 'indexAdd') {
      args.push(change.member, change.expires == null ? '' : String(change.expires));
    } else if (op === 'setRemove' || op === 'indexRemove') args.push(change.member);
  }
  return { keys, args };
}

/** The members of a set or index as Rust reads them. */
function membersText(members) {
  return JSON.stringify(members ?? []);
}

/**
 * The store operations over a Redis client, each one client call: a command
 * or a script (EVALSHA). `client` spells the commands they use in its own
 * API: `get`, `set(key, value, px?)`, `setNx(key, value, px)`, `del`,
 * `getdel`, `smembers`, `zrange(key)` (every member), `script(script, keys,
 * args)` (EVALSHA, EVAL when the server has not seen it), and says whether
 * it is a `cluster` and the key `prefix` it adds itself.
 */
function redisKv(client) {
  return {
    get: (key) => client.get(key),
    set: async (key, value, px) => {
      await client.set(key, value, px);
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
        return membersText(await client.zrange(key));
      } catch (e) {
        if (!isWrongType(e)) throw e;
        return membersText(await client.smembers(key));
      }
    },
    write: async (_key, value) => {
      for (const group of groups(JSON.parse(value), client.cluster)) {
        const { keys, args } = writeArgs(group);
        await client.script(SCRIPTS.write, keys, args);
      }
      return null;
    },
    useToken: (key, value) => {
      const { failures, outstanding, max, windowMs } = JSON.parse(value);
      // The prefix: the script also reads keys from the outstanding set.
      const args = [max, windowMs, client.prefix, key];
      return client.script(SCRIPTS.useToken, [key, failures, outstanding], args);
    },
    acquire: (key, value, px) => client.setNx(key, value, px),
    release: async (key, value) => {
      await client.script(SCRIPTS.release, [key], [value]);
      return null;
    },
  };
}

module.exports = { SCRIPTS, isNoScript, redisKv };
