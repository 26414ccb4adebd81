'use strict';
// What the chaos run reads back from Redis, and the invariants it checks on it.
// Keys are the service's layout (src/queue/job-keys.ts): <prefix>:hash:<id>,
// <prefix>:queue:high|low, <prefix>:delayed, <prefix>:inflight.

const FINAL = new Set(['completed', 'failed']);

/** Statuses of `ids` (one pipelined HGET each); throws while Redis is unreachable. */
async function readStatuses(client, prefix, ids) {
  const statuses = new Map();
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    const pipeline = client.pipeline();
    for (const id of chunk) pipeline.hget(`${prefix}:hash:${id}`, 'status');
    const replies = await pipeline.exec();
    replies.forEach(([error, status], n) => {
      if (error) throw error;
      statuses.set(chunk[n], status);
    });
  }
  return statuses;
}

/** Ready, delayed and in-flight jobs under `prefix`: all 0 once the queue has drained. */
async function queueCounts(client, prefix) {
  const [[, high], [, low], [, delayed], [, inflight]] = await client
    .pipeline()
    .llen(`${prefix}:queue:high`)
    .llen(`${prefix}:queue:low`)
    .zcard(`${prefix}:delayed`)
    .zcard(`${prefix}:inflight`)
    .exec();
  return { high, low, delayed, inflight };
}

/** Every field of each job hash; a missing job maps to an empty object. */
async function readJobs(client, prefix, ids) {
  const jobs = new Map();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const pipeline = client.pipeline();
    for (const id of chunk) pipeline.hgetall(`${prefix}:hash:${id}`);
    const replies = await pipeline.exec();
    replies.forEach(([error, fields], n) => {
      if (error) throw error;
      jobs.set(chunk[n], fields);
    });
  }
  return jobs;
}

/** Ids of every job hash under `prefix`, found by SCAN. */
async function scanJobIds(client, prefix) {
  const ids = new Set();
  const head = `${prefix}:hash:`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
    for (const key of keys) ids.add(key.slice(head.length));
    cursor = next;
  } while (cursor !== '0');
  return ids;
}

async function countKeys(client, pattern) {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

function subjectIndex(fields) {
  try {
    const match = /^chaos #(\d+)$/.exec(JSON.parse(fields.payload).subject);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The per-job invariants for one group.
 * accepted: [{ job (planned), id }]; jobs: id -> hash fields; scanned: ids found by SCAN.
 */
function checkGroup({ accepted, jobs, scanned, maxRetries }) {
  const r = {
    accepted: accepted.length,
    completed: [],
    failed: [],
    lost: [],
    stuck: [],
    badStatus: [],
    overRetries: [],
    failedWithoutError: [],
    failedEarly: [],
    leaseLeft: [],
    noCompletedTs: [],
    mismatched: [],
    orphans: [],
    statusOf: new Map(),
  };
  const acceptedIds = new Set();
  const byIndex = new Map();
  for (const { job, id } of accepted) {
    acceptedIds.add(id);
    byIndex.set(job.index, id);
    const f = jobs.get(id) ?? {};
    if (!f.job_id) {
      r.lost.push(id);
      continue;
    }
    r.statusOf.set(id, f.status);
    const retries = Number(f.retry_count);
    if (f.status === 'completed') r.completed.push(id);
    else if (f.status === 'failed') r.failed.push(id);
    else if (f.status === 'pending' || f.status === 'processing') r.stuck.push(id);
    else r.badStatus.push(id);
    if (!(retries <= maxRetries)) r.overRetries.push(id);
    if (f.status === 'failed') {
      if (!f.last_error) r.failedWithoutError.push(id);
      // No failure in this run is permanent (simulated failures, SMTP 451): every
      // failed job must have used all its retries.
      if (retries !== maxRetries) r.failedEarly.push(id);
    }
    if (FINAL.has(f.status)) {
      if (f.lease_token) r.leaseLeft.push(id);
      if (!f.completed_ts) r.noCompletedTs.push(id);
    }
    if (f.job_id !== id || f.priority !== job.body.priority || subjectIndex(f) !== job.index) {
      r.mismatched.push(id);
    }
  }
  for (const id of scanned) {
    if (acceptedIds.has(id)) continue;
    r.orphans.push(id);
  }
  return { r, byIndex, acceptedIds };
}

/** Orphan job hashes whose subject names a key that already has its accepted job. */
function doubleJobs(orphanFields, byIndex) {
  const doubles = [];
  for (const [id, fields] of orphanFields) {
    const index = subjectIndex(fields);
    if (index !== undefined && byIndex.has(index)) {
      doubles.push({ index, ids: [byIndex.get(index), id] });
    }
  }
  return doubles;
}

/**
 * The SMTP group's delivery rule (at least once):
 *  - a completed job was delivered at least once: its successful attempt got a 250;
 *  - a delivery beyond that first one needs an attempt whose result was lost: the
 *    worker running it was killed (at most WORKER_CONCURRENCY attempts per killed
 *    SMTP worker), or its lease expired and another worker recovered the job (each
 *    counted in a "Recovered N job(s)" line). So
 *      extra deliveries = sum over jobs of (deliveries - 1 if completed, else deliveries)
 *    must not exceed  SMTP worker kills x WORKER_CONCURRENCY + jobs recovered in the SMTP group;
 *  - no delivery for a job this run did not submit to the SMTP group.
 */
function checkDeliveries({ acceptedIds, statusOf, peer, smtpKills, concurrency, smtpRecovered }) {
  const out = {
    delivered: 0,
    deliveries: 0,
    attempts: 0,
    duplicates: [],
    extra: 0,
    completedUndelivered: [],
    unknown: [],
    bound: smtpKills * concurrency + smtpRecovered,
  };
  for (const id of peer.deliveries.keys()) {
    if (!acceptedIds.has(id)) out.unknown.push(id);
  }
  for (const [, count] of peer.attempts) out.attempts += count;
  for (const id of acceptedIds) {
    const d = peer.deliveries.get(id) ?? 0;
    const status = statusOf.get(id);
    out.deliveries += d;
    if (d > 0) out.delivered += 1;
    if (d > 1) out.duplicates.push({ id, deliveries: d, status });
    if (status === 'completed' && d === 0) out.completedUndelivered.push(id);
    out.extra += Math.max(0, d - (status === 'completed' ? 1 : 0));
  }
  return out;
}

module.exports = {
  FINAL,
  readStatuses,
  queueCounts,
  readJobs,
  scanJobIds,
  countKeys,
  checkGroup,
  doubleJobs,
  checkDeliveries,
};
