// Assertions the suites share.

import assert from 'node:assert/strict';
import { AdapterError } from '../../index.js';

/** Asserts `promise` rejects with an AdapterError of `code`; returns the error. */
export async function rejectsWith(promise, code) {
  let caught;
  await assert.rejects(promise, (e) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof AdapterError, `expected an AdapterError, got ${caught}`);
  assert.equal(caught.name, 'AdapterError');
  assert.equal(caught.code, code, caught.message);
  return caught;
}
