'use strict';
// The reference for GET /jobs/status/{id}: a bare node:http server answering with
// one HGETALL of the job's hash (the key this service's status route reads).
const http = require('node:http');
const Redis = require('ioredis');

const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const HASH_PREFIX = process.env.HASH_PREFIX;
const ROUTE = '/jobs/status/';

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || !req.url.startsWith(ROUTE)) {
    res.writeHead(404).end();
    return;
  }
  const id = req.url.slice(ROUTE.length);
  redis.hgetall(HASH_PREFIX + id).then(
    (job) => {
      if (!job.job_id) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      delete job.lease_token;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job));
    },
    () => res.writeHead(503).end(),
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('status http ready'));
