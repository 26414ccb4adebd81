// npm run screenshots: renders the dashboard with a demo workload into docs/images/.
// Starts its own redis-server (free port, temp dir), the built API and two workers, sends
// a few minutes of mixed jobs (some failing, some scheduled, a few cancelled), then takes
// PNGs in headless Chromium (CHROMIUM_PATH, or chromium / chromium-browser on the PATH).
const { spawn, execFileSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, rmSync, existsSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { chromium } = require('playwright-core');

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'docs', 'images');
/** Minutes of workload before the pictures, so the per-minute chart has a shape. */
const MINUTES = Number(process.env.DEMO_MINUTES ?? 3);

const RECIPIENTS = [
  'alice@example.com',
  'bob@example.org',
  'carol@example.net',
  'dave@example.com',
  'erin@example.org',
  'frank@example.com',
  'grace@example.net',
  'heidi@example.com',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function findChromium() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  return null;
}

async function until(probe, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function main() {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    throw new Error(
      "No Chromium: set CHROMIUM_PATH or install Debian's chromium (apt-get install chromium)",
    );
  }
  if (
    !existsSync(join(ROOT, 'dist', 'main.js')) ||
    !existsSync(join(ROOT, 'dist', 'dashboard-ui'))
  ) {
    throw new Error('Build first: npm run build');
  }
  const children = [];
  const dir = mkdtempSync(join(tmpdir(), 'jobq-screenshots-'));
  const stop = () => {
    for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const redisPort = await freePort();
    const redis = spawn(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    children.push(redis);
    const apiPort = await freePort();
    const base = `http://127.0.0.1:${apiPort}`;
    const env = {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      QUEUE_PREFIX: 'demo',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
      EMAIL_TRANSPORT: 'simulated',
      EMAIL_SIMULATED_DURATION_MS: '400',
      EMAIL_SIMULATED_FAILURE_RATE: '0.3',
      JOB_MAX_RETRIES: '1',
      JOB_BACKOFF_BASE_MS: '3000',
      WORKER_CONCURRENCY: '4',
    };
    delete env.API_KEYS;
    delete env.ADMIN_API_KEYS;
    await until(async () => {
      const probe = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: 'ignore' });
      return (await new Promise((resolve) => probe.on('exit', resolve))) === 0;
    }, 'redis-server');
    children.push(
      spawn('node', ['dist/main.js'], {
        cwd: ROOT,
        env: { ...env, WORKER_ENABLED: 'false' },
        stdio: 'inherit',
      }),
    );
    for (let i = 0; i < 2; i++)
      children.push(spawn('node', ['dist/worker.js'], { cwd: ROOT, env, stdio: 'inherit' }));
    await until(async () => (await fetch(`${base}/health`)).ok, 'the API');

    const submit = async (job) => {
      const res = await fetch(`${base}/submit-job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job),
      });
      if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
      return (await res.json()).job_id;
    };
    const email = (i, extra = {}) => ({
      job_type: 'send_email',
      priority: i % 4 === 0 ? 'high' : 'low',
      payload: {
        to: RECIPIENTS[i % RECIPIENTS.length],
        subject: `Order #${10_000 + i} shipped`,
        body: 'Your order is on its way.',
      },
      ...extra,
    });

    console.log(`Demo workload for ${MINUTES} min on ${base} (Redis on port ${redisPort})...`);
    const scheduled = [];
    let i = 0;
    const end = Date.now() + MINUTES * 60_000;
    while (Date.now() < end) {
      // A rate that swells and ebbs, from about 2 to 8 jobs a second.
      const phase = (Date.now() / 60_000) * Math.PI;
      const burst = Math.round(5 + 3 * Math.sin(phase));
      for (let k = 0; k < burst; k++) await submit(email(i++));
      if (i % 25 < burst) {
        scheduled.push(await submit(email(i++, { delay_ms: (10 + (i % 50)) * 60_000 })));
      }
      await sleep(1000);
    }
    for (const id of scheduled.slice(0, 2)) {
      await fetch(`${base}/jobs/${id}/cancel`, { method: 'POST' });
    }
    // A backlog for the counts, sent after the workers slowed down.
    for (let k = 0; k < 40; k++) await submit(email(i++));

    mkdirSync(OUT, { recursive: true });
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({
        viewport: { width: 1440, height: 1000 },
        deviceScaleFactor: 1,
      });
      await page.goto(`${base}/dashboard`);
      await page.locator('tbody tr[data-job-id]').first().waitFor();
      await page.waitForTimeout(2500);
      await page.screenshot({ path: join(OUT, 'dashboard-overview.png'), fullPage: true });

      await page.getByTestId('search').fill('carol@example.net');
      await page.getByTestId('search').press('Enter');
      await page.waitForTimeout(1500);
      await page.locator('section.jobs').screenshot({ path: join(OUT, 'dashboard-search.png') });

      // A job that failed once and was retried, else any failed one.
      const list = await (await fetch(`${base}/jobs?limit=500`)).json();
      const job =
        list.jobs.find((j) => j.status === 'completed' && j.retry_count > 0) ??
        list.jobs.find((j) => j.status === 'failed') ??
        list.jobs[0];
      await page.getByTestId('search').fill('');
      await page.evaluate('window.scrollTo(0, 0)');
      await page.goto(`${base}/dashboard#/jobs/${job.job_id}`);
      await page.getByTestId('job-view-status').waitFor();
      await page.waitForTimeout(1500);
      await page.screenshot({ path: join(OUT, 'dashboard-job.png') });
    } finally {
      await browser.close();
    }
    for (const name of ['dashboard-overview.png', 'dashboard-search.png', 'dashboard-job.png']) {
      console.log(`  docs/images/${name}`);
    }
  } finally {
    stop();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
