'use strict';
// Seeded pseudo-random numbers for the chaos run: everything it decides at random
// (job mix, kill schedule, which worker dies, send durations, SMTP replies) comes
// from a seed it prints, so a failing run can be replayed.
const { randomInt } = require('node:crypto');

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits: turns a text (a job id, a seed given as a word) into a number. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An integer in [min, max], both included. */
function intBetween(rng, min, max) {
  return min + Math.floor(rng() * (max - min + 1));
}

/** CHAOS_SEED as given (a decimal number, or any text, hashed), or a fresh random one. */
function parseSeed(value) {
  if (value === undefined || value.trim() === '') return randomInt(1, 2 ** 31);
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(BigInt(text) % 4294967296n) : hash32(text);
}

/** An independent stream for one purpose, derived from the run's seed and a label. */
function stream(seed, label) {
  return mulberry32((seed ^ hash32(label)) >>> 0);
}

module.exports = { mulberry32, hash32, intBetween, parseSeed, stream };
