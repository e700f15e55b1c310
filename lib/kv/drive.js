'use strict';

// Drives an adapter call over a JS store on the JS thread (the other half of
// src/napi/driven.rs). A turn of the call answers its envelope text (done),
// a store step (run it through the store's lib/kv module, then `resume`),
// or its id (it waits for something native — the Partner API, a timer —
// and the outbox says when to `poll` it again). A store step that outlives
// its deadline is given up: the outbox wakes the call, which then goes on
// without it, and the step's late outcome is dropped.

const { storeOps } = require('../../binding.js');
const { messageOf } = require('../errors.js');

// A step names its operation by its index in this list.
const STORE_OPS = storeOps();
const { settled, whenWoken, forget } = require('../outbox.js');

/** Text (or null) for Rust from what a kv operation resolved to. */
function textOf(value) {
  if (value == null) return null;
  return typeof value === 'string' ? value : String(value);
}

/**
 * Runs a store step (`[id, seq, op, key, value, px]`, see StoreStep in
 * binding.d.ts), then hands the call's next answer to `next`.
 */
function runStep(native, ops, step, next) {
  const [id, seq, op, key, value, px] = step;
  let over = false;
  whenWoken(id, () => {
    if (over) return;
    over = true;
    next(native.poll(id));
  });
  const settle = (value, error) => {
    if (over) return;
    over = true;
    forget(id);
    next(native.resume(id, seq, value, error));
  };
  try {
    ops[STORE_OPS[op]](key, value, px).then(
      (value) => settle(textOf(value), null),
      (e) => settle(null, messageOf(e)),
    );
  } catch (e) {
    settle(null, messageOf(e));
  }
}

/**
 * The envelope text of a call over a JS store, from its first answer. One
 * promise for the whole call: each step goes on from the store's own
 * promise, without one of ours per step.
 */
function drive(native, ops, first) {
  return new Promise((resolve) => {
    const next = (answer) => {
      if (typeof answer === 'string') resolve(answer);
      else if (typeof answer === 'number') {
        settled(answer).then((envelope) => next(envelope ?? native.poll(answer)));
      } else runStep(native, ops, answer, next);
    };
    next(first);
  });
}

module.exports = { drive };
