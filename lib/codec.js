'use strict';

const { AdapterError } = require('./errors.js');

// Values cross into Rust as JSON text. Dates are tagged as {"$date": ms} on
// the way in and revived on the way out, so they come back as Dates equal to
// what went in, whichever store held them.
//
// Both directions walk the value by hand instead of passing a replacer or
// reviver to JSON: a JS callback per property costs about three times as
// much, on the event loop, on every adapter call.

/** Dates deeper than this are left to JSON (an ISO string); no adapter value nests so far. */
const MAX_DEPTH = 64;

function tagDates(value, depth) {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) {
    const ms = value.getTime();
    return { $date: Number.isNaN(ms) ? null : ms };
  }
  if (depth >= MAX_DEPTH || typeof value.toJSON === 'function') return value;
  // Boxed primitives serialise as their primitive.
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return value;
  if (Array.isArray(value)) return value.map((item) => tagDates(item, depth + 1));
  const copy = {};
  for (const key of Object.keys(value)) setOwn(copy, key, tagDates(value[key], depth + 1));
  return copy;
}

/** `target[key] = item`, also for a key named `__proto__` (an own property, as JSON has it). */
function setOwn(target, key, item) {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = item;
  }
}

function reviveDates(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveDates(value[i]);
    return value;
  }
  if (typeof value.$date === 'number' && Object.keys(value).length === 1) {
    return new Date(value.$date);
  }
  for (const key of Object.keys(value)) {
    const item = value[key];
    const revived = reviveDates(item);
    if (revived !== item) setOwn(value, key, revived);
  }
  return value;
}

/** JSON text with tagged dates; throws on what JSON cannot hold (BigInt, cycles). */
function encode(value) {
  return JSON.stringify(tagDates(value, 0));
}

function decode(text) {
  return reviveDates(JSON.parse(text));
}

/**
 * The value of a native call's `{ ok }` / `{ error }` envelope (JSON text),
 * or its error thrown as an AdapterError.
 */
function unwrap(envelopeText) {
  const envelope = decode(envelopeText);
  if (envelope.error) {
    throw new AdapterError(envelope.error.code, envelope.error.message, envelope.error);
  }
  return envelope.ok;
}

module.exports = { encode, decode, unwrap };
