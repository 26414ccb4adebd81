import Redis from 'ioredis';
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApi, startWorker, testEnv } from './support/apps';
import { emailJob, JsonResponse, request, waitForStatus } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, uniquePrefix } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { waitFor } from './support/wait';

/**
 * A Redis that wants a password (requirepass, or an ACL user) and a Redis that
 * speaks only TLS, both reached through REDIS_URL alone. A wrong password leaves
 * the API up, answering 503 promptly rather than hanging.
 */

type Job = Record<string, unknown>;

/** Every request must be answered within this long: a hang fails the test. */
const PROMPT_MS = 5000;

const prompt = () => AbortSignal.timeout(PROMPT_MS);
const submit = (base: string) =>
  request(`${base}/submit-job`, { method: 'POST', json: emailJob(), signal: prompt() });
const status = (base: string, id: string): Promise<JsonResponse<Job>> =>
  request<Job>(`${base}/jobs/status/${id}`, { signal: prompt() });
const health = (base: string) => request(`${base}/health`, { signal: prompt() });

function expectUnavailable(res: JsonResponse): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({
    statusCode: 503,
    error: 'Service Unavailable',
    message: expect.any(String),
    code: 'STORE.UNAVAILABLE',
  });
}

describe('Redis with a password, through REDIS_URL', () => {
  const PASSWORD = 's3cret-pass';
  const prefix = uniquePrefix('auth');
  let server: TestRedisServer | undefined;
  let admin: Redis | undefined;
  const apps: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await TestRedisServer.start({ config: { requirepass: PASSWORD } });
    admin = connect(server.url);
  });

  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    admin?.disconnect();
    await server?.destroy();
  });

  const port = (): number => (server as TestRedisServer).port;

  async function api(url: string, env: Record<string, string> = {}): Promise<string> {
    const app = await startApi({ REDIS_URL: url, QUEUE_PREFIX: prefix, ...env });
    apps.push(app);
    return app.baseUrl;
  }

  it('the server really wants the password', async () => {
    const anonymous = connect(`redis://127.0.0.1:${port()}`);
    try {
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  it('API and worker authenticate with redis://:password@host: /health 200, submit -> completed', async () => {
    const url = (server as TestRedisServer).url;
    expect(url).toBe(`redis://:${PASSWORD}@127.0.0.1:${port()}`);
    const base = await api(url);
    apps.push(await startWorker({ REDIS_URL: url, QUEUE_PREFIX: prefix }));

    expect((await health(base)).status).toBe(200);
    const res = await submit(base);
    expect(res.status).toBe(201);
    const id = res.body.job_id as string;
    const done = await waitForStatus(base, id, 'completed');
    expect(done.retry_count).toBe(0);
    // Stored on this server, under the test's prefix.
    expect(await (admin as Redis).hget(`${prefix}:hash:${id}`, 'status')).toBe('completed');
  });

  it('an ACL user whose password has URL-special characters (redis://user:percent-encoded@host)', async () => {
    const user = 'jobq-service';
    const password = 'p@ss:w/rd%?#&=+ é';
    await (admin as Redis).acl('SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', '+@all');
    const url = `redis://${user}:${encodeURIComponent(password)}@127.0.0.1:${port()}`;
    const base = await api(url, { WORKER_ENABLED: 'true' });

    expect((await health(base)).status).toBe(200);
    const res = await submit(base);
    expect(res.status).toBe(201);
    await waitForStatus(base, res.body.job_id as string, 'completed');
    // The service's connections are logged in as that user.
    const clients = await (admin as Redis).client('LIST');
    expect(String(clients)).toMatch(new RegExp(`name=${prefix}:\\d+ .*user=${user}`));
  });

  it.each([
    ['a wrong password', () => `redis://:wrong-pass@127.0.0.1:${port()}`],
    ['no password', () => `redis://127.0.0.1:${port()}`],
  ])(
    'with %s the API still starts, and /health and submit answer 503 promptly',
    async (_what, url) => {
      const base = await api(url());
      const down = await health(base);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'error', redis: 'down' });
      expectUnavailable(await submit(base));
      expectUnavailable(await status(base, '0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7'));
      // Still refused a moment later: reconnect attempts do not get it in.
      expect((await health(base)).status).toBe(503);
      expectUnavailable(await submit(base));
    },
  );
});

/**
 * TLS needs openssl (for a throwaway self-signed certificate) and a redis-server
 * built with TLS. Decided once, at load time; a skip says why.
 */
function tlsSupport(): { supported: true } | { supported: false; reason: string } {
  const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (openssl.error || openssl.status !== 0) {
    return {
      supported: false,
      reason:
        'openssl is not installed; it makes the self-signed test certificate (apt-get install -y openssl)',
    };
  }
  // A TLS-capable build checks its TLS settings and refuses to start without a CA;
  // a build without TLS rejects the directive. Either way it exits at once.
  const probe = spawnSync(
    'redis-server',
    ['--port', '0', '--save', '', '--appendonly', 'no', '--tls-port', '65535'],
    { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' },
  );
  const output = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  if (/tls-ca-cert|tls-cert-file|Failed to configure TLS/i.test(output)) return { supported: true };
  if (probe.error || /Bad directive|not supported|not available|unknown/i.test(output)) {
    const said = probe.error?.message ?? output.trim().split('\n').slice(-2).join(' / ');
    return { supported: false, reason: `redis-server has no TLS support here: ${said}` };
  }
  return { supported: true }; // no clear answer: run, and fail loudly if TLS does not work
}

const tls = tlsSupport();
if (!tls.supported) {
  console.warn(`SKIPPING the Redis TLS tests (test/redis-auth.e2e-spec.ts): ${tls.reason}`);
}
const describeTls = tls.supported ? describe : describe.skip;

describeTls('Redis over TLS only (rediss://), the service trusting a self-signed CA', () => {
  const prefix = uniquePrefix('tls');
  let dir = '';
  let certFile = '';
  let redisServer: ChildProcess | undefined;
  let redisOutput = '';
  let tlsPort = 0;
  let probe: Redis | undefined;
  const children: NodeProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobq-tls-'));
    certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    // Node checks an IP address against the certificate's IP SANs (the CN is not enough).
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    tlsPort = await freePort();
    // No plain-text port at all: the only way in is TLS.
    redisServer = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        certFile,
        '--tls-key-file',
        keyFile,
        '--tls-ca-cert-file',
        certFile,
        '--tls-auth-clients',
        'no',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    redisServer.stdout?.setEncoding('utf8').on('data', (chunk: string) => (redisOutput += chunk));
    redisServer.stderr?.setEncoding('utf8').on('data', (chunk: string) => (redisOutput += chunk));
    probe = new Redis({
      host: '127.0.0.1',
      port: tlsPort,
      tls: { ca: readFileSync(certFile) },
      maxRetriesPerRequest: 1,
      protocol: 2,
    });
    probe.on('error', () => undefined);
    const client = probe;
    await waitFor(async () => (await client.ping()) === 'PONG', {
      what: `redis-server over TLS on ${tlsPort}`,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nredis-server said:\n${redisOutput}`);
    });
  });

  afterAll(async () => {
    for (const child of children.splice(0)) await child.kill();
    probe?.disconnect();
    const server = redisServer;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `node dist/main.js` with its in-process worker, once it listens. */
  async function startMain(extraEnv: Record<string, string>): Promise<string> {
    const port = await freePort();
    const child = spawnNode(
      'dist/main.js',
      testEnv({
        REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
        QUEUE_PREFIX: prefix,
        HOST: '127.0.0.1',
        PORT: String(port),
        WORKER_ENABLED: 'true',
        LOG_LEVEL: 'log',
        ...extraEnv,
      }),
    );
    children.push(child);
    await child.waitForOutput('API listening');
    return `http://127.0.0.1:${port}`;
  }

  it('with NODE_EXTRA_CA_CERTS: /health 200, submit 201, and the job completes', async () => {
    const base = await startMain({ NODE_EXTRA_CA_CERTS: certFile });
    expect((await health(base)).status).toBe(200);
    const res = await submit(base);
    expect(res.status).toBe(201);
    const id = res.body.job_id as string;
    const done = await waitForStatus(base, id, 'completed');
    expect(done.retry_count).toBe(0);
    expect(await (probe as Redis).hget(`${prefix}:hash:${id}`, 'status')).toBe('completed');
  });

  it('without it the certificate is not trusted (verification is on): 503, not a hang', async () => {
    const base = await startMain({});
    const down = await health(base);
    expect(down.status).toBe(503);
    expectUnavailable(await submit(base));
  });
});
