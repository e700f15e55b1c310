'use strict';

// The JS half of src/outbox.rs: results of native calls that had to wait
// arrive here, at most RESULTS_PER_TURN per event-loop turn, so that a burst
// of finished calls (and the code awaiting each of them) cannot hold the
// event loop for the whole burst: timers and other requests run in between.

const { NativeOutbox } = require('../binding.js');

const RESULTS_PER_TURN = 16;

const waiting = new Map();
let outbox = null;

function onReady() {
  const done = outbox.take(RESULTS_PER_TURN);
  for (let i = 0; i < done.length; i++) {
    const { id, envelope } = done[i];
    const settle = waiting.get(id);
    waiting.delete(id);
    settle?.(envelope);
  }
  // A full batch: there may be more; take them in the next turn.
  if (done.length === RESULTS_PER_TURN) setImmediate(onReady);
}

/** This JS environment's outbox (one per process or worker thread). */
function nativeOutbox() {
  outbox ??= new NativeOutbox(onReady);
  return outbox;
}

/** The envelope text of the pending call `id`. */
function result(id) {
  return new Promise((resolve) => waiting.set(id, resolve));
}

module.exports = { nativeOutbox, result };
