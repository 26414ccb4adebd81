'use strict';
/**
 * The soak run's open-loop HTTP load, in a process of its own so that the run's
 * sampling and checking never delay a request. Request i is due at start + i / rate,
 * whether or not earlier ones were answered (no limit on requests in flight), and its
 * latency counts from that due time: a stall of the server shows up in full, also for
 * the requests that queued behind it (no coordinated omission). How late the load
 * itself sent each request is reported too (`sendLag`), so a stall of this process
 * can be told apart from one of the server.
 *
 * Every request is `POST /submit-job` (a share `highShare` with priority high, spread
 * evenly, the rest low), and every `statusEvery`-th one is followed, at the same due
 * time, by `GET /jobs/status/<the latest accepted id>`.
 *
 * Started by the run with an IPC channel; options as JSON in argv[2]. Messages to
 * the run: { type: 'accepted', ids, at } (at = due time, epoch ms) about every
 * 250 ms; { type: 'window', ... } in answer to each { type: 'window' } (counts and
 * latency histograms since the previous one); { type: 'done' } once every request
 * is answered. Waits for { type: 'start' } before the first request.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Histogram } = require('./soak-histogram');

const { baseUrl, rate, durationMs, highShare, statusEvery, payload, timeoutMs } = JSON.parse(
  process.argv[2],
);
const target = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true }); // maxSockets: unlimited (the default)
const intervalMs = 1000 / rate;
const total = Math.round((rate * durationMs) / 1000);
const bodies = {
  high: Buffer.from(JSON.stringify({ job_type: 'send_email', priority: 'high', payload })),
  low: Buffer.from(JSON.stringify({ job_type: 'send_email', priority: 'low', payload })),
};

const counters = () => ({ sent: 0, ok: 0, errors: {}, latency: new Histogram() });
const newWindow = () => ({
  submit: counters(),
  status: counters(),
  sendLag: new Histogram(),
  maxSendLagMs: 0,
});

let window = newWindow();
let accepted = { ids: [], at: [] };
let latestId;
let inFlight = 0;
let next = 0;
let startedAt = 0;
let scheduleDone = false;
let doneSent = false;

function flushAccepted() {
  if (accepted.ids.length === 0) return;
  process.send({ type: 'accepted', ...accepted });
  accepted = { ids: [], at: [] };
}

function finishIfDone() {
  if (!scheduleDone || inFlight > 0 || doneSent) return;
  doneSent = true;
  flushAccepted();
  process.send({ type: 'done', requests: total });
}

/** One request; `onOk(body)` runs when it is answered with `expected`. */
function send(kind, method, path, body, dueAt, expected, onOk) {
  inFlight += 1;
  window[kind].sent += 1;
  let settled = false;
  const settle = (error, statusCode, text) => {
    if (settled) return;
    settled = true;
    inFlight -= 1;
    const counts = window[kind];
    if (!error && statusCode === expected) {
      counts.ok += 1;
      counts.latency.record(performance.now() - dueAt);
      onOk?.(text);
    } else {
      const key = error ?? String(statusCode);
      counts.errors[key] = (counts.errors[key] ?? 0) + 1;
    }
    finishIfDone();
  };
  const headers = body
    ? { 'content-type': 'application/json', 'content-length': body.length }
    : undefined;
  const req = http.request(
    { agent, host: target.hostname, port: target.port, path, method, headers, timeout: timeoutMs },
    (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => settle(undefined, res.statusCode, Buffer.concat(chunks).toString()));
      res.on('error', (error) => settle(error.code ?? 'response error'));
    },
  );
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
  req.on('error', (error) => settle(error.code ?? error.message));
  req.end(body);
}

function submit(i, dueAt) {
  const high = Math.floor((i + 1) * highShare) > Math.floor(i * highShare);
  send('submit', 'POST', '/submit-job', bodies[high ? 'high' : 'low'], dueAt, 201, (text) => {
    const id = JSON.parse(text).job_id;
    latestId = id;
    accepted.ids.push(id);
    accepted.at.push(performance.timeOrigin + dueAt);
  });
}

/** Sends every request that is due, then sleeps until the next one is. */
function pump() {
  const now = performance.now();
  while (next < total && startedAt + next * intervalMs <= now) {
    const dueAt = startedAt + next * intervalMs;
    window.sendLag.record(now - dueAt);
    window.maxSendLagMs = Math.max(window.maxSendLagMs, now - dueAt);
    submit(next, dueAt);
    if (statusEvery > 0 && next % statusEvery === statusEvery - 1 && latestId) {
      send('status', 'GET', `/jobs/status/${latestId}`, undefined, dueAt, 200);
    }
    next += 1;
  }
  if (next < total) {
    setTimeout(pump, Math.max(0, startedAt + next * intervalMs - performance.now()));
  } else {
    scheduleDone = true;
    finishIfDone();
  }
}

function windowReport() {
  const w = window;
  window = newWindow();
  const part = ({ sent, ok, errors, latency }) => ({ sent, ok, errors, latency: latency.toJSON() });
  return {
    type: 'window',
    submit: part(w.submit),
    status: part(w.status),
    sendLagP99Ms: w.sendLag.percentile(99),
    maxSendLagMs: w.maxSendLagMs,
    inFlight,
  };
}

process.on('message', (message) => {
  if (message.type === 'start') {
    startedAt = performance.now();
    setInterval(flushAccepted, 250).unref();
    pump();
  } else if (message.type === 'window') {
    process.send(windowReport());
  }
});
console.log('soak load ready');
// The run is gone (it ended or was killed): stop sending.
process.once('disconnect', () => process.exit(0));
