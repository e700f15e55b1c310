'use strict';

// What the two Redis client modules share: the Lua scripts (the native
// RedisStore's own, from Rust, so there is one text of each), how a batch
// of changes becomes commands, and the cluster grouping.

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

/** The per-user index keys of a batch (an earlier version's plain set may need converting). */
function indexKeys(batch) {
  return batch.filter((c) => c.op === 'indexAdd' || c.op === 'indexRemove').map((c) => c.key);
}

/** The members of a set or index as Rust reads them. */
function membersText(members) {
  return JSON.stringify(members ?? []);
}

module.exports = { SCRIPTS, isNoScript, isWrongType, groups, indexKeys, membersText };
