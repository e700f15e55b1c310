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

const waiting = new Map();
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
    const settle = waiting.get(id);
    waiting.delete(id);
    settle?.(envelope);
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
  return new Promise((resolve) => waiting.set(answer, resolve));
}

/** Calls `woken()` if the outbox says the driven call `id` wants polling. */
function whenWoken(id, woken) {
  waiting.set(id, woken);
}

function forget(id) {
  waiting.delete(id);
}

module.exports = { settled, whenWoken, forget };
