'use strict';
// The reference for HTTP submission: a bare node:http server calling BullMQ's queue.add,
// and GET /jobs/status/<id> reading the job (the soak run's status reads).
// BULL_JOB_OPTIONS (JSON) adds to the default job options (attempts, backoff, retention).
const http = require('node:http');
const { Queue } = require('bullmq');
const Redis = require('ioredis');

const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue(process.env.BULL_QUEUE, {
  connection,
  defaultJobOptions: {
    removeOnComplete: true,
    ...JSON.parse(process.env.BULL_JOB_OPTIONS ?? '{}'),
  },
});

const json = (res, status, body) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function status(res, id) {
  const job = await queue.getJob(id);
  if (!job) {
    json(res, 404, { error: `job ${id} not found` });
    return;
  }
  json(res, 200, {
    job_id: job.id,
    status: await job.getState(),
    retry_count: job.attemptsMade,
    created_ts: job.timestamp / 1000,
    completed_ts: job.finishedOn ? job.finishedOn / 1000 : null,
  });
}

function submit(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      json(res, 400, { error: 'bad json' });
      return;
    }
    queue.add(body.job_type, body.payload, { priority: body.priority === 'high' ? 1 : 2 }).then(
      (job) => json(res, 201, { job_id: job.id, status: 'pending' }),
      () => res.writeHead(503).end(),
    );
  });
}

const server = http.createServer((req, res) => {
  const statusRoute = /^\/jobs\/status\/([^/]+)$/.exec(req.url);
  if (req.method === 'POST' && req.url === '/submit-job') submit(req, res);
  else if (req.method === 'GET' && statusRoute) {
    status(res, decodeURIComponent(statusRoute[1])).catch(() => res.writeHead(503).end());
  } else res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('bullmq http ready'));
