'use strict';

// Per-key locks of one JS store object, shared by every adapter over it: a
// plain store's read-change-write (a set, an index, a counter, a lease, a
// token's counted use) runs with no other change of the same name in
// between, within this process. A hold lasts at most `maxHoldMs`: the native
// core gives up on a store call after its deadline, and a store promise that
// never settles must not block the key for good.

class Locks {
  #tails = new Map();

  /** Runs `work()` once every earlier holder of `name` is done (or timed out). */
  async exclusive(name, maxHoldMs, work) {
    const before = this.#tails.get(name);
    let release;
    const mine = new Promise((resolve) => (release = resolve));
    this.#tails.set(name, mine);
    let expiry;
    try {
      if (before !== undefined) await before;
      expiry = setTimeout(release, maxHoldMs).unref();
      return await work();
    } finally {
      clearTimeout(expiry);
      release();
      if (this.#tails.get(name) === mine) this.#tails.delete(name);
    }
  }
}

module.exports = { Locks };
