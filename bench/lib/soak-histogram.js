'use strict';
/**
 * Latency histogram of the soak run: buckets 1 % wide on a log scale from 0.01 ms, so
 * an hour of 500 requests/s takes a few hundred counters, windows merge into thirds of
 * the run, and a percentile is the upper edge of its bucket (at most 1 % above the
 * exact value).
 */
const FLOOR_MS = 0.01;
const LOG_GROWTH = Math.log(1.01);

function bucketOf(ms) {
  return ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
}

class Histogram {
  constructor() {
    this.counts = new Map();
    this.count = 0;
  }

  /** Rebuilds a histogram sent over IPC (`toJSON()`). */
  static from(json) {
    const h = new Histogram();
    for (const [bucket, n] of json) h.add(bucket, n);
    return h;
  }

  add(bucket, n) {
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += n;
  }

  record(ms) {
    this.add(bucketOf(ms), 1);
  }

  merge(other) {
    for (const [bucket, n] of other.counts) this.add(bucket, n);
    return this;
  }

  /** p in 0..100; NaN when empty. */
  percentile(p) {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket);
      if (seen >= rank) return FLOOR_MS * Math.exp(bucket * LOG_GROWTH);
    }
    return NaN; // not reached: the counts add up to this.count
  }

  toJSON() {
    return [...this.counts];
  }
}

module.exports = { Histogram };
