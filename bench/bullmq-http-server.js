'use strict';
// The reference for HTTP submission: a bare node:http server calling BullMQ's queue.add.
const http = require('node:http');
const { Queue } = require('bullmq');
const Redis = require('ioredis');

const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue(process.env.BULL_QUEUE, {
  connection,
  defaultJobOptions: { removeOnComplete: true },
});

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/submit-job') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    queue.add(body.job_type, body.payload, { priority: body.priority === 'high' ? 1 : 2 }).then(
      (job) => {
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ job_id: job.id, status: 'pending' }));
      },
      () => res.writeHead(503).end(),
    );
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('bullmq http ready'));
