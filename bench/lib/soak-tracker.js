'use strict';
/**
 * The soak run's loss check: every accepted job is looked up in its system's own job
 * state a few seconds after it was submitted, and again every few seconds until it is
 * completed or failed. A job whose record is gone before it was ever seen finished is
 * lost. Retention cannot pass for a loss: a job is kept `retention` after it finishes,
 * and it was seen unfinished (or submitted) at the previous look-up, so a record missing
 * less than `retention` after that look-up was not removed by retention. A record
 * missing later than that (the checks fell behind) is counted as unverified, not as
 * safe. The completed jobs' end-to-end latency (accepted -> completed, read from their
 * records) is collected on the way.
 */
const { setTimeout: sleep } = require('node:timers/promises');
const { Histogram } = require('./soak-histogram');

const BATCH = 1000;
const LOOP_MS = 200;
/** Ids kept of the lost / unverified jobs, for the report. */
const KEEP_IDS = 20;

/** First-in first-out queue of jobs by due time (each queue is appended in due order). */
class DueQueue {
  constructor() {
    this.items = [];
    this.head = 0;
  }

  get size() {
    return this.items.length - this.head;
  }

  push(item) {
    this.items.push(item);
  }

  /** Removes and returns the first item if it is due at `now` (every item with `now` = Infinity). */
  shiftDue(now) {
    if (this.size === 0 || this.items[this.head].dueAt > now) return undefined;
    const item = this.items[this.head++];
    if (this.head > 10000 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const newWindow = () => ({ completed: 0, failed: 0, e2e: new Histogram() });

class JobTracker {
  /**
   * readStates(ids) -> [{ state: 'completed' | 'failed' | 'pending' | 'missing', e2eMs }]
   * (e2eMs for completed jobs).
   */
  constructor(readStates, { firstCheckMs = 5000, recheckMs = 5000, retentionMs }) {
    Object.assign(this, { readStates, firstCheckMs, recheckMs, retentionMs });
    this.firstChecks = new DueQueue();
    this.rechecks = new DueQueue();
    this.totals = { accepted: 0, completed: 0, failed: 0, unfinished: 0, lost: 0, unverified: 0 };
    this.lostIds = [];
    this.unverifiedIds = [];
    this.window = newWindow();
    this.readErrors = 0;
    this.running = undefined;
  }

  get pending() {
    return this.firstChecks.size + this.rechecks.size;
  }

  /** Accepted jobs: ids and the time each was submitted (epoch ms). */
  add(ids, at) {
    for (let i = 0; i < ids.length; i++) {
      this.firstChecks.push({ id: ids[i], seenAt: at[i], dueAt: at[i] + this.firstCheckMs });
    }
    this.totals.accepted += ids.length;
  }

  /** Completions and end-to-end latency since the previous call. */
  takeWindow() {
    const w = this.window;
    this.window = newWindow();
    return w;
  }

  /** Looks up every job due by `now`; `final`: the last look-up, unfinished ones are counted as such. */
  async checkDue(now = Date.now(), final = false) {
    for (;;) {
      const due = [];
      while (due.length < BATCH) {
        const job = this.firstChecks.shiftDue(now) ?? this.rechecks.shiftDue(now);
        if (!job) break;
        due.push(job);
      }
      if (due.length === 0) return;
      const askedAt = Date.now();
      let states;
      try {
        states = await this.readStates(due.map((job) => job.id));
      } catch {
        // Not an answer about these jobs: look again later.
        this.readErrors += 1;
        for (const job of due) this.rechecks.push({ ...job, dueAt: askedAt + this.recheckMs });
        if (final) throw new Error('the job store did not answer the final check');
        return;
      }
      states.forEach((s, i) => this.record(due[i], s, askedAt, final));
    }
  }

  record(job, { state, e2eMs }, askedAt, final) {
    if (state === 'completed') {
      this.totals.completed += 1;
      this.window.completed += 1;
      if (Number.isFinite(e2eMs)) this.window.e2e.record(e2eMs);
    } else if (state === 'failed') {
      this.totals.failed += 1;
      this.window.failed += 1;
    } else if (state === 'missing') {
      const inTime = askedAt - job.seenAt < this.retentionMs;
      this.totals[inTime ? 'lost' : 'unverified'] += 1;
      const ids = inTime ? this.lostIds : this.unverifiedIds;
      if (ids.length < KEEP_IDS) ids.push(job.id);
    } else if (final) {
      this.totals.unfinished += 1;
    } else {
      this.rechecks.push({ id: job.id, seenAt: askedAt, dueAt: askedAt + this.recheckMs });
    }
  }

  /** Checks due jobs in the background until stop(). */
  start() {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await this.checkDue();
        await sleep(LOOP_MS);
      }
    })();
    this.running = {
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  /**
   * After the load: waits up to `drainMs` for every job to finish (looking each up as it
   * comes due), then looks up all the rest once more.
   */
  async drain(drainMs) {
    await this.running?.stop();
    const deadline = Date.now() + drainMs;
    while (this.pending > 0 && Date.now() < deadline) {
      await this.checkDue();
      await sleep(LOOP_MS);
    }
    await this.checkDue(Infinity, true);
  }
}

module.exports = { JobTracker };
