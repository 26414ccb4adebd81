#!/usr/bin/env node
// Deletes every key under QUEUE_PREFIX (default "jobs") on REDIS_URL (default
// redis://127.0.0.1:6379): job hashes, ready lists, delayed / in-flight sets,
// leases, wake-up set. Reads .env like the service does, so it targets the same
// queue. Asks first: pass --yes, or type the prefix at the prompt.
//
//   npm run cleanup              asks on a terminal, refuses without one
//   npm run cleanup -- --yes     no question
//   jobq cleanup --yes           the same code (runCleanup), from the CLI
//
// Stop the API and workers first: a running service recreates keys as it works.
//
// Through Sentinel (REDIS_SENTINELS) or on a cluster (REDIS_CLUSTER_NODES) it opens
// its connection with the service's own factory (dist/, so run `npm run build`
// first) and, on a cluster, scans the primary that holds the queue's hash tag.
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const Redis = require('ioredis');

const PREFIX_RULE = /^[A-Za-z0-9_.:{}-]{1,64}$/; // as src/config/env.ts
const BATCH = 500;

function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** SCAN's MATCH is a glob: escape the characters it treats specially. */
function globEscape(text) {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function ask(question) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    rl.on('SIGINT', () => {
      rl.close();
      resolve(null);
    });
  });
}

async function countKeys(redis, pattern) {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

async function deleteKeys(redis, pattern) {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (let i = 0; i < keys.length; i += BATCH) {
      deleted += await redis.unlink(...keys.slice(i, i + BATCH));
    }
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/**
 * Deletes every key under the prefix and returns the exit code: 0 done (or nothing
 * to delete), 1 refused, not confirmed or Redis unreachable, 2 a bad prefix.
 * `redisUrl` and `prefix` default to REDIS_URL and QUEUE_PREFIX (environment, then
 * .env). Without `yes` it asks on a terminal and refuses without one.
 */
async function runCleanup({ yes = false, redisUrl, prefix: givenPrefix } = {}) {
  if (existsSync('.env')) process.loadEnvFile('.env'); // never overrides the environment
  const url = redisUrl || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  let prefix = (givenPrefix ?? (process.env.QUEUE_PREFIX || 'jobs')).trim();
  if (!PREFIX_RULE.test(prefix)) {
    console.error(
      `QUEUE_PREFIX must be 1-64 characters of letters, digits, _ . : - { } (got "${prefix}")`,
    );
    return 2;
  }
  const viaFactory = !redisUrl && (process.env.REDIS_CLUSTER_NODES || process.env.REDIS_SENTINELS);
  // On a cluster the service hash-tags the prefix (as clusterPrefix in src/config/env.ts).
  if (viaFactory && process.env.REDIS_CLUSTER_NODES && !/\{[^{}]+\}/.test(prefix)) {
    prefix = `{${prefix}}`;
  }
  const pattern = `${globEscape(prefix)}:*`;
  const where = `${prefix}:* on ${viaFactory ? 'the configured Redis' : redactUrl(url)}`;

  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!yes && !interactive) {
    console.error(
      `Refusing to delete the keys ${where} without confirmation: there is no terminal to ask on.\n` +
        'Run it with --yes (npm run cleanup -- --yes) to delete without asking.',
    );
    return 1;
  }

  const opened = viaFactory ? await openWithFactory(prefix) : await openStandalone(url);
  if (typeof opened === 'string') {
    console.error(opened);
    return 1;
  }
  const { client, redis } = opened;
  try {
    if (!yes) {
      const found = await countKeys(redis, pattern);
      if (found === 0) {
        console.log(`No keys match ${where}: nothing to delete.`);
        return 0;
      }
      console.log(`This deletes the ${found} key(s) matching ${where}.`);
      const answer = await ask(`Type the prefix (${prefix}) to confirm: `);
      if (answer !== prefix) {
        console.error('Not confirmed: nothing deleted.');
        return 1;
      }
    }

    const deleted = await deleteKeys(redis, pattern);
    console.log(`Deleted ${deleted} key(s) matching ${where}.`);
    return 0;
  } finally {
    client.disconnect();
  }
}

/** A plain connection to REDIS_URL; an error message when it cannot be reached. */
async function openStandalone(url) {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  let connectionError;
  redis.on('error', (error) => (connectionError = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    return `Cannot reach Redis at ${redactUrl(url)}: ${(connectionError ?? error).message}`;
  }
  return { client: redis, redis };
}

/**
 * Sentinel or cluster, as the service connects (its config and connection factory,
 * from dist/). `redis` is the connection that holds the queue's keys.
 */
async function openWithFactory(prefix) {
  const dist = join(__dirname, '..', 'dist');
  if (!existsSync(join(dist, 'redis', 'redis-connection.js'))) {
    return 'REDIS_CLUSTER_NODES / REDIS_SENTINELS need the built service: run npm run build first.';
  }
  const { loadEnv } = require(join(dist, 'config', 'env.js'));
  const { createRedisConnection, queueNode, waitUntilReady } = require(
    join(dist, 'redis', 'redis-connection.js'),
  );
  const settings = loadEnv({ ...process.env, QUEUE_PREFIX: prefix }).redis;
  const client = createRedisConnection(settings, `${settings.queuePrefix}:cleanup:${process.pid}`);
  if (!(await waitUntilReady(client, 5000))) {
    client.disconnect();
    return 'Cannot reach Redis through REDIS_CLUSTER_NODES / REDIS_SENTINELS within 5 s.';
  }
  // On a cluster the prefix is hash-tagged: every key of the queue is on one primary.
  return { client, redis: queueNode(client, settings.queuePrefix) };
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--yes', '-y', '--help', '-h'].includes(a));
  if (args.includes('--help') || args.includes('-h') || unknown.length > 0) {
    if (unknown.length > 0) console.error(`Unknown argument: ${unknown.join(' ')}`);
    console.error(
      'Usage: node scripts/cleanup.js [--yes]\n' +
        'Deletes every key under QUEUE_PREFIX (default "jobs") on REDIS_URL.',
    );
    return unknown.length > 0 ? 2 : 0;
  }
  return runCleanup({ yes: args.includes('--yes') || args.includes('-y') });
}

module.exports = { runCleanup };

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`Cleanup failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
