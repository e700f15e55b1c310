'use strict';

// Drives an adapter call over a JS store on the JS thread (the other half of
// src/napi/driven.rs). A turn of the call answers its envelope text (done),
// a store step (run it through the store's lib/kv module, then `resume`),
// or its id (it waits for something native — the Partner API, a timer —
// and the outbox says when to `poll` it again). A store step that outlives
// its deadline is given up: the outbox wakes the call, which then goes on
// without it, and the step's late outcome is dropped.

const { messageOf } = require('../errors.js');
const { settled, whenWoken, forget } = require('../outbox.js');

/** Text (or null) for Rust from what a kv operation resolved to. */
function textOf(value) {
  if (value == null) return null;
  return typeof value === 'string' ? value : String(value);
}

function runStep(native, ops, step) {
  return new Promise((resolve) => {
    const { id, seq } = step;
    let over = false;
    whenWoken(id, () => {
      if (over) return;
      over = true;
      resolve(native.poll(id));
    });
    const settle = (value, error) => {
      if (over) return;
      over = true;
      forget(id);
      resolve(native.resume(id, seq, value, error));
    };
    try {
      ops[step.op](step).then(
        (value) => settle(textOf(value), null),
        (e) => settle(null, messageOf(e)),
      );
    } catch (e) {
      settle(null, messageOf(e));
    }
  });
}

/** The envelope text of a call over a JS store, from its first answer. */
async function drive(native, ops, answer) {
  while (typeof answer !== 'string') {
    if (typeof answer === 'number') {
      const envelope = await settled(answer);
      answer = envelope ?? native.poll(answer);
    } else {
      answer = await runStep(native, ops, answer);
    }
  }
  return answer;
}

module.exports = { drive };
