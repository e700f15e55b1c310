'use strict';

// Values cross into Rust as JSON text. Dates are tagged as {"$date": ms} on
// the way in and revived on the way out, so they come back as Dates equal to
// what went in, whichever store held them.

function tagDates(key, value) {
  const raw = this[key];
  if (raw instanceof Date) {
    const ms = raw.getTime();
    return Number.isNaN(ms) ? { $date: null } : { $date: ms };
  }
  return value;
}

function reviveDates(key, value) {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof value.$date === 'number' &&
    Object.keys(value).length === 1
  ) {
    return new Date(value.$date);
  }
  return value;
}

/** JSON text with tagged dates; throws on what JSON cannot hold (BigInt, cycles). */
function encode(value) {
  return JSON.stringify(value, tagDates);
}

function decode(text) {
  return JSON.parse(text, reviveDates);
}

module.exports = { encode, decode, reviveDates };
