'use strict';
// Command-line flags of the soak run (bench/soak.js): defaults, validation, --help.
const { join } = require('node:path');

/** name: [default, what it sets, { min, max, integer }] */
const NUMERIC = {
  minutes: [10, 'minutes of load, measured', { min: 0.05 }],
  'warmup-s': [30, 'seconds of load before them (not sampled; jobs checked)', {}],
  rate: [500, 'submits per second (open loop), per system', { min: 1 }],
  workers: [2, 'worker processes per system', { min: 1, integer: true }],
  concurrency: [20, 'jobs in flight per worker (WORKER_CONCURRENCY)', { min: 1, integer: true }],
  'sample-s': [10, 'seconds between samples', { min: 0.5 }],
  'max-slope-mb-h': [10, 'largest memory slope allowed, MB per hour', { min: 0 }],
  'max-p99-drift': [0.2, 'largest rise of the submit p99, last third over first', { min: 0 }],
  'send-ms': [20, 'simulated send duration, ms (EMAIL_SIMULATED_DURATION_MS)', { min: 0 }],
  'failure-rate': [0.05, 'share of sends that fail (EMAIL_SIMULATED_FAILURE_RATE)', { max: 1 }],
  'backoff-base-ms': [100, 'retry backoff base, ms (JOB_BACKOFF_BASE_MS)', { integer: true }],
  'retention-s': [60, 'seconds completed jobs are kept (JOB_RETENTION_COMPLETED_S)', { min: 1 }],
  'high-share': [0.3, 'share of submits with priority high', { max: 1 }],
  'status-every': [5, 'a status read after every n-th submit (0: none)', { integer: true }],
  'drain-s': [60, 'seconds to wait after the load for jobs to finish', { min: 0 }],
};
const SYSTEMS = ['jobq', 'bullmq'];

function usage() {
  const lines = [
    'Usage: node bench/soak.js [flags]   (npm run soak -- [flags] builds first)',
    '',
    '  --system jobq|bullmq   the system to soak alone (default jobq: this service)',
    '  --beside bullmq        soak this service and BullMQ at the same time, each at --rate',
    '  --out <path>           report files <path>.json and <path>.md',
    '                         (default bench/results/soak-<system>)',
  ];
  for (const [name, [fallback, text]] of Object.entries(NUMERIC)) {
    lines.push(`  --${`${name} <n>`.padEnd(21)}${text} (default ${fallback})`);
  }
  return lines.join('\n');
}

class UsageError extends Error {}

/** Parses `--name value` / `--name=value` flags; throws UsageError with the reason. */
function parseOptions(argv) {
  const raw = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: usage() };
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    raw[m[1]] = value;
  }
  const options = {};
  for (const [name, [fallback, , { min = 0, max = Infinity, integer = false }]] of Object.entries(
    NUMERIC,
  )) {
    const key = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const text = raw[name];
    delete raw[name];
    if (text === undefined) {
      options[key] = fallback;
      continue;
    }
    const n = Number(text);
    if (
      text.trim() === '' ||
      !Number.isFinite(n) ||
      n < min ||
      n > max ||
      (integer && !Number.isInteger(n))
    ) {
      const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
      throw new UsageError(
        `--${name} must be ${integer ? 'an integer' : 'a number'} ${range} (got "${text}")`,
      );
    }
    options[key] = n;
  }
  const system = raw.system ?? 'jobq';
  if (!SYSTEMS.includes(system))
    throw new UsageError(`--system must be jobq or bullmq (got "${system}")`);
  if (raw.beside !== undefined && raw.beside !== 'bullmq') {
    throw new UsageError(`--beside takes bullmq (got "${raw.beside}")`);
  }
  if (raw.beside !== undefined && system !== 'jobq') {
    throw new UsageError('--beside bullmq runs this service beside BullMQ: leave out --system');
  }
  options.systems = raw.beside ? ['jobq', 'bullmq'] : [system];
  const name = raw.beside ? 'jobq-beside-bullmq' : system;
  options.out = (raw.out ?? join(__dirname, '..', 'results', `soak-${name}`)).replace(
    /\.(json|md)$/,
    '',
  );
  delete raw.system;
  delete raw.beside;
  delete raw.out;
  const unknown = Object.keys(raw);
  if (unknown.length > 0) throw new UsageError(`unknown flag --${unknown[0]}`);
  return options;
}

module.exports = { parseOptions, usage, UsageError, NUMERIC };
