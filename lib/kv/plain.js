'use strict';

// A plain `{ px }` store: a `Store` subclass, a plain object, an Upstash or
// Vercel KV client — anything with async get / set(key, value, { px }) / del,
// and perhaps getdel. Values go in as objects (the store serialises them as
// it likes) and come back to Rust as JSON text.
//
// Such a store has no sets, counters or scripts, so they are built here: a
// set is a JSON array of strings, a per-user index a JSON object of
// member → expiry (epoch ms, null for good), a counter a number, each read,
// changed and written back under a lock of the store object's (see
// locks.js). That is atomic within this process; across processes only the
// store's own getdel is.

/** Text for Rust from whatever the store returned. */
function toText(value) {
  if (value == null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function ttlOptions(px) {
  return px != null ? { px } : undefined;
}

/** Who holds the lease `value` (its JSON or the object), if it has not ended. */
function leaseHolder(value) {
  let lease = value;
  if (typeof lease === 'string') {
    try {
      lease = JSON.parse(lease);
    } catch {
      return null;
    }
  }
  if (lease === null || typeof lease !== 'object') return null;
  if (typeof lease.until === 'number' && lease.until <= Date.now()) return null;
  return typeof lease.holder === 'string' ? lease.holder : null;
}

/** A set's members; anything else reads as empty (an index is a hint, the records the truth). */
function membersOf(value) {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? value.filter((m) => typeof m === 'string') : [];
}

/**
 * An index as a Map of member → expiry. An earlier version kept a JSON
 * array of members: read as members for good.
 */
function indexOf(value) {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return new Map();
    }
  }
  if (Array.isArray(value)) {
    return new Map(value.filter((m) => typeof m === 'string').map((m) => [m, null]));
  }
  if (value === null || typeof value !== 'object') return new Map();
  return new Map(Object.entries(value));
}

function countOf(value) {
  const n = Number(typeof value === 'string' ? value.trim().replace(/^"|"$/g, '') : value);
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * The store operations over `store`. `hasGetdel`: its getdel may be used;
 * `locks`: the store object's locks; `timeout`: how long one operation may
 * hold a lock (the core's deadline for it).
 */
function plainKv(store, { hasGetdel, locks, timeout }) {
  const exclusive = (name, work) => locks.exclusive(name, timeout, work);
  const get = (key) => store.get(key);
  const set = (key, value, px) => {
    const options = ttlOptions(px);
    return options ? store.set(key, value, options) : store.set(key, value);
  };
  const del = (key) => store.del(key);

  // Without the store's getdel: get then del, one at a time per key, so of
  // two uses of one token in this process only one reads it.
  const getdel = hasGetdel
    ? (key) => store.getdel(key)
    : (key) =>
        exclusive(key, async () => {
          const value = await get(key);
          if (value != null) await del(key);
          return value;
        });

  const setAdd = (key, member, px) =>
    exclusive(key, async () => {
      const members = membersOf(await get(key));
      const known = members.includes(member);
      if (known && px == null) return;
      if (!known) members.push(member);
      await set(key, members, px);
    });

  const setRemove = (key, member) =>
    exclusive(key, async () => {
      const members = membersOf(await get(key));
      const left = members.filter((m) => m !== member);
      if (left.length === members.length) return;
      await (left.length === 0 ? del(key) : set(key, left));
    });

  const writeIndex = (key, index) =>
    index.size === 0 ? del(key) : set(key, Object.fromEntries(index));

  // Enters the member, dropping the entries that have expired.
  const indexAdd = (key, member, expires) =>
    exclusive(key, async () => {
      const index = indexOf(await get(key));
      index.set(member, expires ?? null);
      const now = Date.now();
      for (const [m, at] of index) if (typeof at === 'number' && at <= now) index.delete(m);
      await writeIndex(key, index);
    });

  const indexRemove = (key, member) =>
    exclusive(key, async () => {
      const index = indexOf(await get(key));
      if (index.delete(member)) await writeIndex(key, index);
    });

  // Read, add one, write; each write restarts the window.
  const incr = (key, px) =>
    exclusive(key, async () => {
      const count = countOf(await get(key)) + 1;
      await set(key, count, px);
      return count;
    });

  // See the native core's Store::use_token: the attempt is counted before
  // the code is tested, in one critical section per identifier.
  async function countedUse({ token, failures, outstanding, max, windowMs }) {
    const codes = membersOf(await get(outstanding));
    // No code to guess: nothing is counted, so nothing is written.
    if (codes.length === 0) return getdel(token);
    const attempt = await incr(failures, windowMs);
    if (attempt <= max) {
      const found = await getdel(token);
      if (found != null) {
        await del(failures);
        await setRemove(outstanding, token);
        return found;
      }
    }
    // Only the attempt that reached the limit voids (a later one could beat
    // an earlier one, within the limit, to the right code); the codes first,
    // the count last, so a request that sees the count start again finds no
    // code left to test.
    if (attempt === max) {
      for (const key of [...codes, outstanding, failures]) await del(key);
    }
    return null;
  }

  return {
    get: async (key) => toText(await get(key)),
    set: async (key, value, px) => {
      await set(key, JSON.parse(value), px);
      return null;
    },
    del: async (key) => {
      await del(key);
      return null;
    },
    getdel: async (key) => toText(await getdel(key)),
    setMembers: async (key) => JSON.stringify(membersOf(await get(key))),
    indexMembers: async (key) => JSON.stringify([...indexOf(await get(key)).keys()]),
    write: async (_key, value) => {
      for (const change of JSON.parse(value)) {
        const { op, key, member, px } = change;
        if (op === 'set') await set(key, JSON.parse(change.value), px);
        else if (op === 'del') await del(key);
        else if (op === 'setAdd') await setAdd(key, member, px);
        else if (op === 'setRemove') await setRemove(key, member);
        else if (op === 'indexAdd') await indexAdd(key, member, change.expires);
        else if (op === 'indexRemove') await indexRemove(key, member);
        else throw new Error(`unknown change ${op}`);
      }
      return null;
    },
    useToken: async (key, value) => {
      const use = JSON.parse(value);
      use.token = key;
      if (use.max === 0) return toText(await getdel(key));
      // Named apart from the keys' own locks, which the steps take.
      return toText(await exclusive(`\0use\0${use.failures}`, () => countedUse(use)));
    },
    // Asked to set only if absent (`nx`, which Upstash and Vercel KV honour)
    // after a read that finds no live holder; the value read back says who
    // got it.
    acquire: (key, value, px) =>
      exclusive(key, async () => {
        const current = await get(key);
        if (current != null) {
          if (leaseHolder(current) !== null) return null;
          // A lease past its end is free even if the store ignored `px`.
          await del(key);
        }
        const lease = JSON.parse(value);
        await store.set(key, lease, { px, nx: true });
        const holder = leaseHolder(await get(key));
        return holder !== null && holder === lease.holder ? 'OK' : null;
      }),
    // Read, compare, delete: the lease's expiry bounds what a race across
    // processes costs.
    release: (key, value) =>
      exclusive(key, async () => {
        if (leaseHolder(await get(key)) === value) await del(key);
        return null;
      }),
  };
}

module.exports = { plainKv };
