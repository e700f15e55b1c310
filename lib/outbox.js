'use strict';

// The JS half of src/napi/outbox.rs, registered once per JS environment (the
// main thread, each worker thread): results of native calls that had to wait
// arrive here a few per event-loop turn, so that a burst of finished calls
// (and the code awaiting each of them, e.g. the rest of an Auth.js request)
// cannot hold the event loop for the whole burst: timers and other requests
// run in between.
//
// How many per turn adapts to what a result costs: the time from one batch
// to the next turn (the awaiting code's work included) is measured, and a
// batch aims at TURN_BUDGET_MS, between 1 and MAX_PER_TURN results.

const { registerOutbox } = require('../binding.js');

const MAX_PER_TURN = 16;
const TURN_BUDGET_MS = 0.25;

/**
 * What waits for each call id (a callback, until the call's result or
 * wake-up arrives). Ids come from Rust in sequence, so the calls in flight
 * sit in a window of recent ids: a fixed array indexed by the id modulo its
 * size holds them, and an id whose slot is still taken (its call outlived
 * `size - 1` newer ones) goes to a Map. Not a Map alone: one that churns
 * leaves its earlier backing tables in old space, still pointing at the
 * callbacks of finished calls, so the scavenger promoted every call's state
 * and the process spent its time in GC (bench/notes.md).
 */
class CallTable {
  constructor(size) {
    this.ids = new Float64Array(size).fill(-1);
    this.callbacks = new Array(size).fill(null);
    this.overflow = new Map();
  }

  hold(id, callback) {
    const i = id % this.ids.length;
    if (this.callbacks[i] === null || this.ids[i] === id) {
      this.ids[i] = id;
      this.callbacks[i] = callback;
      if (this.overflow.size > 0) this.overflow.delete(id);
    } else {
      this.overflow.set(id, callback);
    }
  }

  /** The callback held for `id` (undefined if none), no longer held. */
  release(id) {
    const i = id % this.ids.length;
    if (this.ids[i] === id && this.callbacks[i] !== null) {
      const callback = this.callbacks[i];
      this.callbacks[i] = null;
      return callback;
    }
    const callback = this.overflow.get(id);
    if (callback !== undefined) this.overflow.delete(id);
    return callback;
  }
}

const waiting = new CallTable(4096);
let perTurn = MAX_PER_TURN;
let msPerResult = 0; // moving average
let batchStarted = 0;
let batchSize = 0;

/** `continued`: called for the turn after a full batch, so that batch can be timed. */
function deliver(continued) {
  const started = performance.now();
  if (continued) {
    const sample = (started - batchStarted) / batchSize;
    msPerResult = msPerResult === 0 ? sample : msPerResult * 0.7 + sample * 0.3;
    perTurn = Math.max(1, Math.min(MAX_PER_TURN, Math.floor(TURN_BUDGET_MS / msPerResult)));
  }
  const done = outbox.take(perTurn);
  for (let i = 0; i < done.length; i++) {
    const { id, envelope } = done[i];
    waiting.release(id)?.(envelope);
  }
  // A full batch: there may be more; take them in the next turn.
  if (done.length === perTurn) {
    batchStarted = started;
    batchSize = done.length;
    setImmediate(deliver, true);
  }
}

const outbox = registerOutbox(() => deliver(false));

/**
 * What a native call that settles through the outbox answered: its envelope
 * text when the work completed without waiting, else the promise of it (the
 * answer is the call's id). For a call driven on the JS thread
 * (src/napi/driven.rs) the promise may instead resolve to null: the call
 * was woken and wants polling.
 */
function settled(answer) {
  if (typeof answer === 'string') return answer;
  return new Promise((resolve) => waiting.hold(answer, resolve));
}

/** Calls `woken()` if the outbox says the driven call `id` wants polling. */
function whenWoken(id, woken) {
  waiting.hold(id, woken);
}

function forget(id) {
  waiting.release(id);
}

module.exports = { settled, whenWoken, forget, CallTable };
