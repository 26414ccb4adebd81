'use strict';
// The chaos run's client: submits its planned jobs over HTTP at a steady rate,
// one POST /submit-job per job with an Idempotency-Key of its own. A submission
// that fails with a connection error, a timeout or a 503 is sent again (same key,
// same body) after a short backoff until it gets 201 or 200; other answers are
// recorded as anomalies (and also retried, except 400 and 409, which cannot succeed).
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');

const ATTEMPT_TIMEOUT_MS = 10000;

/** One POST with a JSON body; resolves with { status, body } or rejects on a transport error. */
function postJson(agent, base, path, headers, payload, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode, body });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.code = 'CHAOS_TIMEOUT';
      req.destroy(error);
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}

class Submitter {
  /**
   * jobs: [{ index, group, key, body }]; targets: group -> base URL; rate: jobs per
   * second; rng: for the retry jitter; deadline: epoch ms after which nobody retries.
   */
  constructor({ jobs, targets, rate, rng, deadline }) {
    this.jobs = jobs;
    this.rate = rate;
    this.rng = rng;
    this.deadline = deadline;
    this.targets = {};
    for (const [group, url] of Object.entries(targets)) {
      this.targets[group] = {
        base: new URL(url),
        agent: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      };
    }
    this.launched = 0;
    this.accepted = 0;
    this.created = 0; // 201
    this.replayed = 0; // 200: the same key again, the job of the first request
    this.retries = 0;
    this.connectionErrors = 0;
    this.unavailable = 0; // 503
    this.timeouts = 0;
    /** Answers other than 201, 200, 503: status -> count. */
    this.unexpected = new Map();
    this.unexpectedSamples = [];
    /** index -> job id (first accepted answer). */
    this.jobIds = new Map();
    /** Jobs that could not be submitted (deadline, 400, 409). */
    this.givenUp = [];
    this.inFlight = 0;
  }

  /** Launches job i at t0 + i / rate; resolves when every submission has an outcome. */
  async run() {
    const t0 = Date.now();
    this.startedAt = t0;
    const pending = [];
    while (this.launched < this.jobs.length) {
      const due = Math.min(
        this.jobs.length,
        Math.floor(((Date.now() - t0) * this.rate) / 1000) + 1,
      );
      while (this.launched < due) pending.push(this.submit(this.jobs[this.launched++]));
      if (this.launched < this.jobs.length) await sleep(4);
    }
    this.launchedAt = Date.now();
    await Promise.all(pending);
    this.finishedAt = Date.now();
  }

  async submit(job) {
    const target = this.targets[job.group];
    const payload = Buffer.from(JSON.stringify(job.body));
    const headers = { 'idempotency-key': job.key };
    this.inFlight += 1;
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          this.retries += 1;
          if (Date.now() > this.deadline) {
            this.givenUp.push({ index: job.index, reason: 'deadline' });
            return;
          }
          // Exponential backoff with jitter, 100 ms doubling to 2 s: while an API or
          // Redis is down, the waiting submissions do not turn into a retry storm.
          const backoff = Math.min(100 * 2 ** (attempt - 1), 2000);
          await sleep(backoff / 2 + this.rng() * (backoff / 2));
        }
        let res;
        try {
          res = await postJson(
            target.agent,
            target.base,
            '/submit-job',
            headers,
            payload,
            ATTEMPT_TIMEOUT_MS,
          );
        } catch (error) {
          if (error.code === 'CHAOS_TIMEOUT') this.timeouts += 1;
          else this.connectionErrors += 1;
          continue;
        }
        if (res.status === 201 || res.status === 200) {
          this.record(job, res);
          return;
        }
        if (res.status === 503) {
          this.unavailable += 1;
          continue;
        }
        this.unexpected.set(res.status, (this.unexpected.get(res.status) ?? 0) + 1);
        if (this.unexpectedSamples.length < 10) {
          this.unexpectedSamples.push({ index: job.index, status: res.status, body: res.body });
        }
        if (res.status === 400 || res.status === 409) {
          this.givenUp.push({ index: job.index, reason: `HTTP ${res.status}` });
          return;
        }
      }
    } finally {
      this.inFlight -= 1;
    }
  }

  record(job, res) {
    const id = res.body && typeof res.body === 'object' ? res.body.job_id : undefined;
    if (typeof id !== 'string') {
      this.unexpected.set('no job_id', (this.unexpected.get('no job_id') ?? 0) + 1);
      this.givenUp.push({ index: job.index, reason: 'no job_id in the answer' });
      return;
    }
    if (res.status === 201) this.created += 1;
    else this.replayed += 1;
    this.jobIds.set(job.index, id);
    this.accepted += 1;
  }

  /**
   * Sends every accepted job's request once more (same key, same body): each must
   * answer 200 with the job id of its first answer, also across the API and Redis
   * restarts. Returns { checked, same, different: [...], created: [...], errors }.
   */
  async replayAll(concurrency = 32) {
    const result = { checked: 0, same: 0, different: [], created: [], errors: 0 };
    const queue = this.jobs.filter((job) => this.jobIds.has(job.index));
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const target = this.targets[job.group];
        const payload = Buffer.from(JSON.stringify(job.body));
        let res;
        for (let attempt = 0; attempt < 5 && !res; attempt++) {
          try {
            res = await postJson(
              target.agent,
              target.base,
              '/submit-job',
              { 'idempotency-key': job.key },
              payload,
              ATTEMPT_TIMEOUT_MS,
            );
            if (res.status === 503) res = undefined;
          } catch {
            res = undefined;
          }
          if (!res) await sleep(100);
        }
        result.checked += 1;
        const expected = this.jobIds.get(job.index);
        const id = res?.body?.job_id;
        if (!res) result.errors += 1;
        else if (res.status === 200 && id === expected) result.same += 1;
        else if (res.status === 201) result.created.push({ key: job.key, expected, id });
        else result.different.push({ key: job.key, expected, status: res.status, id });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return result;
  }

  close() {
    for (const { agent } of Object.values(this.targets)) agent.destroy();
  }
}

module.exports = { Submitter, postJson };
