import Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Page, Request } from 'playwright-core';
import { ApiClient } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { CHROMIUM_MISSING, findChromium, launchChromium } from './support/browser';
import { emailJob, request } from './support/http';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { setTimeout as sleep } from 'node:timers/promises';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { measure } = require('../scripts/build-dashboard.js') as {
  measure: (dir?: string) => { file: string; bytes: number; gzip: number }[];
};

const BUILD_DIR = join(__dirname, '..', 'dist', 'dashboard-ui');
const TRANSFER_LIMIT_BYTES = 250 * 1024;

const chromiumPath = findChromium();
if (!chromiumPath) console.warn(CHROMIUM_MISSING);
/** Skipped only when no Chromium is installed (the notice above and in npm test says so). */
const describeInBrowser = chromiumPath ? describe : describe.skip;

const NOT_BUILT = 'The dashboard is not built: run `npm run build` before these tests.';

describe('dashboard bundle', () => {
  it('is built, and all its files come to at most 250 KB gzipped', () => {
    if (!existsSync(join(BUILD_DIR, 'index.html'))) throw new Error(NOT_BUILT);
    const files = measure(BUILD_DIR);
    const total = files.reduce((sum, f) => sum + f.gzip, 0);
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        'index.html',
        expect.stringMatching(/^assets\/app-\w+\.js$/),
        expect.stringMatching(/^assets\/app-\w+\.css$/),
      ]),
    );
    expect(total).toBeLessThanOrEqual(TRANSFER_LIMIT_BYTES);
  });
});

/**
 * Polls what the page shows until it meets the expectation (the page offers no event to
 * await); the last failed expectation is reported at the deadline.
 */
function poll<T>(probe: () => Promise<T>, { timeout = 10_000 } = {}) {
  const run = async (check: (value: T) => void): Promise<void> => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await probe();
      try {
        check(value);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await sleep(50);
    }
  };
  return {
    toBe: (expected: T) => run((v) => expect(v).toBe(expected)),
    toEqual: (expected: unknown) => run((v) => expect(v).toEqual(expected)),
    toMatch: (pattern: RegExp) => run((v) => expect(v).toMatch(pattern)),
  };
}

/** Everything one page did: console errors, requests, responses. */
interface PageLog {
  errors: string[];
  requests: Request[];
}

function watch(page: Page, expectedError: (message: ConsoleMessage) => boolean): PageLog {
  const log: PageLog = { errors: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' && !expectedError(message)) {
      log.errors.push(`${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => log.errors.push(`page error: ${error.message}`));
  page.on('request', (r) => log.requests.push(r));
  return log;
}

/** Whether this server has the live event stream (GET /events), asked as the page would. */
async function hasEventStream(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<boolean> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/events`, { headers, signal: abort.signal });
  abort.abort();
  return res.status !== 404;
}

/** Whether this server has the per-job event stream (GET /jobs/{id}/events). */
async function hasJobEventStream(baseUrl: string): Promise<boolean> {
  const res = await request(`${baseUrl}/jobs/00000000-0000-4000-8000-000000000000/events`);
  // An unknown job is JOB.NOT_FOUND on the route; no route at all is ROUTE.NOT_FOUND.
  return res.status !== 404 || res.body.code !== 'ROUTE.NOT_FOUND';
}

/** Chromium logs every 4xx/5xx of a fetch; these are the ones a test expects. */
const failedLoad = (message: ConsoleMessage, status: number, path: RegExp): boolean =>
  message.text().includes(`status of ${status}`) &&
  path.test(new URL(message.location().url).pathname);

describeInBrowser('dashboard in headless Chromium', () => {
  const prefix = uniquePrefix('dashboard');
  let redis: Redis;
  let api: TestApi;
  let client: ApiClient;
  let worker: TestWorker | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let liveEvents: boolean;
  let liveJobEvents: boolean;

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: SHARED_REDIS_URL,
    QUEUE_PREFIX: prefix,
    JOB_RETENTION_COMPLETED_S: '0',
    JOB_RETENTION_FAILED_S: '0',
    ...extra,
  });

  async function restartWorker(extra: Record<string, string> = {}): Promise<void> {
    await worker?.close();
    worker = await startWorker(env(extra));
  }

  /** Opens the dashboard in a fresh tab and waits for the first counts. */
  async function openDashboard(hash = ''): Promise<{ page: Page; log: PageLog }> {
    const page = await context.newPage();
    const log = watch(
      page,
      // Until the event streams exist, their 404 is how the page learns to poll.
      (m) =>
        (!liveEvents && failedLoad(m, 404, /^\/events$/)) ||
        (!liveJobEvents && failedLoad(m, 404, /^\/jobs\/[0-9a-f-]{36}\/events$/)),
    );
    await page.goto(`${api.baseUrl}/dashboard${hash}`);
    await page
      .getByTestId('count-completed')
      .filter({ hasText: /^\d[\d,]*$/ })
      .waitFor();
    return { page, log };
  }

  const count = async (page: Page, state: string): Promise<number> =>
    Number((await page.getByTestId(`count-${state}`).textContent())!.replace(/,/g, ''));

  const row = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"]`);

  async function search(page: Page, text: string): Promise<void> {
    await page.getByTestId('search').fill(text);
    await page.getByTestId('search').press('Enter');
  }

  async function confirmDialog(page: Page): Promise<void> {
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm').waitFor({ state: 'detached' });
  }

  beforeAll(async () => {
    if (!existsSync(join(BUILD_DIR, 'index.html'))) throw new Error(NOT_BUILT);
    redis = connect();
    api = await startApi(env());
    client = new ApiClient(api.baseUrl);
    await restartWorker();
    liveEvents = await hasEventStream(api.baseUrl);
    liveJobEvents = await hasJobEventStream(api.baseUrl);
    if (!liveEvents || !liveJobEvents) {
      console.warn(
        'This server has no GET /events or GET /jobs/{id}/events: the dashboard tests assert its ' +
          'polling path (counts by polling /stats, the job timeline from its fields) instead of live events.',
      );
    }
    browser = await launchChromium(chromiumPath!);
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  });

  afterEach(async () => {
    await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await api?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('loads with no console error, only from this server, within the transfer budget, under its CSP', async () => {
    const { page, log } = await openDashboard();
    await page.getByTestId('job-table').waitFor();
    await page.getByTestId('chart-throughput').locator('canvas').waitFor();
    // The live event stream stays open, so the network never goes idle: wait for the
    // page to settle on its mode instead.
    await poll(() => page.getByTestId('live-mode').getAttribute('data-mode')).toBe(
      liveEvents ? 'live' : 'polling',
    );

    expect(log.errors).toEqual([]);
    const origin = new URL(api.baseUrl).origin;
    const hosts = log.requests.map((r) => new URL(r.url()).origin);
    expect(new Set(hosts)).toEqual(new Set([origin]));

    // What the page itself (HTML, script, stylesheet, icon) cost on the wire.
    const assets = log.requests.filter((r) => new URL(r.url()).pathname.startsWith('/dashboard'));
    expect(assets.map((r) => new URL(r.url()).pathname)).toEqual(
      expect.arrayContaining([
        '/dashboard',
        expect.stringMatching(/^\/dashboard\/assets\/app-\w+\.js$/),
        expect.stringMatching(/^\/dashboard\/assets\/app-\w+\.css$/),
      ]),
    );
    let transferred = 0;
    for (const r of assets) {
      const sizes = await r.sizes();
      transferred += sizes.responseBodySize + sizes.responseHeadersSize;
    }
    expect(transferred).toBeLessThanOrEqual(TRANSFER_LIMIT_BYTES);
    const script = assets.find((r) => r.url().endsWith('.js'))!;
    expect((await script.response())!.headers()['content-encoding']).toBe('gzip');

    const res = await request(`${api.baseUrl}/dashboard`);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    await page.close();
  });

  it('updates the counts after jobs are submitted, live through /events or, without it, by polling', async () => {
    const { page, log } = await openDashboard();
    // The path this server offers: live events once GET /events exists, polling until then.
    await poll(() => page.getByTestId('live-mode').getAttribute('data-mode')).toBe(
      liveEvents ? 'live' : 'polling',
    );
    const before = await count(page, 'completed');
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.submitId(emailJob('low', `count${i}@example.com`)),
      ),
    );
    await Promise.all(ids.map((id) => client.waitForStatus(id, 'completed')));
    await poll(() => count(page, 'completed'), { timeout: 15_000 }).toBe(before + 5);

    // The job view's timeline: the job's own events when live, its fields otherwise.
    const id = await client.submitId(emailJob('high', 'timeline@example.com'));
    await page.goto(`${api.baseUrl}/dashboard#/jobs/${id}`);
    const view = page.getByTestId('job-view');
    await poll(() => view.getByTestId('job-view-status').textContent(), { timeout: 15_000 }).toBe(
      'completed',
    );
    const source = view.getByTestId('timeline-source');
    const timeline = view.getByTestId('timeline');
    if (liveJobEvents) {
      await poll(() => source.getAttribute('data-source')).toMatch(/^(live|ended)$/);
      await poll(() => timeline.locator('.event-name').allTextContents()).toEqual(
        expect.arrayContaining(['processing', 'completed']),
      );
    } else {
      expect(await source.getAttribute('data-source')).toBe('polling');
      expect(await timeline.locator('.event-name').allTextContents()).toEqual([
        'submitted',
        'processing',
        'completed',
      ]);
    }
    // Every field of the job is shown.
    const fields = await view.getByTestId('job-fields').locator('dt').allTextContents();
    expect(fields).toEqual(expect.arrayContaining(Object.keys((await client.job(id)).body)));
    expect(log.errors).toEqual([]);
  });

  it('finds a job by its recipient, and by its id', async () => {
    const wanted = await client.submitId(emailJob('low', 'needle.search@example.com'));
    await client.submitId(emailJob('low', 'haystack@example.com'));
    const { page, log } = await openDashboard();
    await search(page, 'Needle.Search@example.com');
    await poll(() => page.locator('[data-testid="job-table"] tbody tr[data-job-id]').count()).toBe(
      1,
    );
    await expect(row(page, wanted).textContent()).resolves.toContain(wanted);

    await search(page, wanted.toUpperCase());
    await poll(() =>
      page.locator('[data-testid="job-table"] tbody tr[data-job-id]').getAttribute('data-job-id'),
    ).toBe(wanted);
    expect(log.errors).toEqual([]);
  });

  it('pages through jobs with the cursor, newest first', async () => {
    const to = 'pager@example.com';
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await client.submitId(emailJob('low', to)));
    const { page } = await openDashboard();
    await search(page, to);
    // Read in one go in the page: the table may re-render between two separate reads.
    const shown = () =>
      page.evaluate<string[]>(
        "[...document.querySelectorAll('tbody tr[data-job-id]')].map((r) => r.dataset.jobId)",
      );
    await poll(shown).toEqual(ids.slice().reverse().slice(0, 25));
    await page.getByTestId('page-next').click();
    await poll(shown).toEqual(ids.slice().reverse().slice(25));
    await expect(page.getByTestId('page-next').isDisabled()).resolves.toBe(true);
    await page.getByTestId('page-previous').click();
    await poll(shown).toEqual(ids.slice().reverse().slice(0, 25));
  });

  it('retries a failed job from its button, and the table shows it completing', async () => {
    await restartWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '0' });
    const id = await client.submitId(emailJob('low', 'retry.me@example.com'));
    await client.waitForStatus(id, 'failed');
    await restartWorker();

    const { page, log } = await openDashboard();
    await search(page, 'retry.me@example.com');
    await poll(() => row(page, id).getAttribute('data-status')).toBe('failed');
    await row(page, id).locator('button[data-action="retry"]').click();
    await confirmDialog(page);
    await poll(() => row(page, id).getAttribute('data-status'), { timeout: 15_000 }).toBe(
      'completed',
    );
    expect((await client.job(id)).body).toMatchObject({ status: 'completed', retry_count: 0 });
    expect(log.errors).toEqual([]);
  });

  it('cancels a scheduled job from the job view', async () => {
    const id = await client.submitId({
      ...emailJob('low', 'cancel.me@example.com'),
      delay_ms: 600_000,
    });
    const { page, log } = await openDashboard(`#/jobs/${id}`);
    const view = page.getByTestId('job-view');
    await poll(() => view.getByTestId('job-view-status').textContent()).toBe('pending');
    await view.locator('button[data-action="cancel"]').click();
    await expect(page.getByTestId('confirm').textContent()).resolves.toContain(id);
    await confirmDialog(page);
    await poll(() => view.getByTestId('job-view-status').textContent(), { timeout: 10_000 }).toBe(
      'cancelled',
    );
    expect((await client.job(id)).body.status).toBe('cancelled');
    // Asked first: a dismissed confirmation changes nothing.
    const other = await client.submitId({
      ...emailJob('low', 'keep.me@example.com'),
      delay_ms: 600_000,
    });
    await page.goto(`${api.baseUrl}/dashboard#/jobs/${other}`);
    await poll(() => view.getByTestId('job-view-status').textContent()).toBe('pending');
    await view.locator('button[data-action="cancel"]').click();
    await page.getByTestId('confirm-no').click();
    expect((await client.job(other)).body.status).toBe('pending');
    expect(log.errors).toEqual([]);
  });
});

describeInBrowser('dashboard with API_KEYS set', () => {
  const prefix = uniquePrefix('dashboard-keys');
  const USER_KEY = 'dashboard-user-key-0123456789';
  const ADMIN_KEY = 'dashboard-admin-key-0123456789';
  let redis: Redis;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(BUILD_DIR, 'index.html'))) throw new Error(NOT_BUILT);
    redis = connect();
    api = await startApi({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      API_KEYS: USER_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
    });
    browser = await launchChromium(chromiumPath!);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('asks for a key once, works with it, keeps it for the tab, never puts it in a URL, and says when an admin key is needed', async () => {
    const client = new ApiClient(api.baseUrl, { authorization: `Bearer ${USER_KEY}` });
    await client.submitId(emailJob('low', 'keyed@example.com'));
    const context = await browser.newContext();
    const page = await context.newPage();
    const log = watch(
      page,
      (m) =>
        // Before a key is entered the API answers 401; the page then asks for one.
        failedLoad(m, 401, /^\/(stats|jobs|events)$/) ||
        // The refused purge below, and /events while this server has none.
        failedLoad(m, 403, /^\/jobs\/purge$/) ||
        failedLoad(m, 404, /^\/events$/),
    );
    await page.goto(`${api.baseUrl}/dashboard`);
    const prompt = page.getByTestId('key-prompt');
    await prompt.waitFor();
    await prompt.locator('input[type="password"]').fill(USER_KEY);
    await prompt.locator('button[type="submit"]').click();
    await prompt.waitFor({ state: 'detached' });
    await page.getByTestId('count-ready').filter({ hasText: /^\d+$/ }).waitFor();
    await poll(() => page.locator('tbody tr[data-job-id]').count()).toBe(1);

    // Kept for the tab: a reload does not ask again.
    await page.reload();
    await page.getByTestId('count-ready').filter({ hasText: /^\d+$/ }).waitFor();
    expect(await prompt.count()).toBe(0);

    // Steering needs an admin key here: the page says so, and takes one.
    await page.getByTestId('purge').click();
    await page.getByTestId('confirm-yes').click();
    await expect(page.getByTestId('confirm-error').textContent()).resolves.toMatch(/admin API key/);
    await page.getByTestId('confirm').getByRole('button', { name: 'Change key' }).click();
    await prompt.locator('input[type="password"]').fill(ADMIN_KEY);
    await prompt.locator('button[type="submit"]').click();
    await page.getByTestId('purge').click();
    await confirmDialogOf(page);
    await expect(page.getByTestId('notice').textContent()).resolves.toMatch(
      /Deleted \d+ completed job/,
    );

    const urls = log.requests.map((r) => r.url());
    for (const url of urls) {
      expect(url).not.toContain(USER_KEY);
      expect(url).not.toContain(ADMIN_KEY);
    }
    const keyed = log.requests.filter((r) => /^\/(stats|jobs)/.test(new URL(r.url()).pathname));
    expect(keyed.length).toBeGreaterThan(0);
    expect(log.errors).toEqual([]);
    await context.close();
  });

  async function confirmDialogOf(page: Page): Promise<void> {
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm').waitFor({ state: 'detached' });
  }
});
