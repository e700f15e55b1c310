'use strict';

// What the two Redis client modules share: the Lua scripts (from Rust, next
// to the native RedisStore's, so there is one text of each), how a batch of
// changes becomes the write script's arguments, and the cluster grouping.

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

module.exports = { SCRIPTS, isNoScript, isWrongType, groups, writeArgs, membersText };
