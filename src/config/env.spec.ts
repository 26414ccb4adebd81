import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvValidationError, loadEnv, withoutPassword } from './env';

function problemsOf(raw: Record<string, string>): string[] {
  try {
    loadEnv(raw);
  } catch (error) {
    if (error instanceof EnvValidationError) return error.problems;
    throw error;
  }
  return [];
}

/** A valid Standard Webhooks secret: whsec_ and the base64 of 32 bytes. */
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('loadEnv', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv({});
    expect(env.app).toEqual({ port: 3000, host: '0.0.0.0', logLevel: 'info', logFormat: 'json' });
    expect(env.metrics).toEqual({ port: 9464 });
    expect(env.security).toMatchObject({ docsRequireKey: false, metricsRequireKey: false });
    expect(env.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      queuePrefix: 'jobs',
      clusterNodes: [],
      sentinels: [],
      sentinelMaster: 'mymaster',
      sentinelPassword: undefined,
      waitReplicas: 0,
      waitTimeoutMs: 500,
    });
    expect(env.worker).toEqual({
      enabled: true,
      concurrency: 10,
      claimAhead: false,
      leaseMs: 30000,
      shutdownTimeoutMs: 10000,
    });
    expect(env.jobs).toEqual({
      maxRetries: 3,
      backoffBaseMs: 1000,
      maxStalls: 2,
      attemptTimeoutMs: 300000,
      retention: { completedS: 86400, failedS: 604800 },
      eventsMaxLen: 100000,
    });
    expect(env.email.rateLimitPerS).toBe(0);
    expect(env.email).toMatchObject({
      transport: 'simulated',
      simulatedDurationMs: 2000,
      simulatedFailureRate: 0.2,
      smtp: undefined,
      smtpRequireTls: false,
      smtpTlsCaFile: undefined,
      smtpPoolSize: 5,
      smtpTimeoutMs: 30000,
    });
    expect(env.webhook).toEqual({ secret: undefined, allowPrivate: false });
  });

  it('reads every variable', () => {
    const env = loadEnv({
      PORT: '8080',
      REDIS_URL: 'rediss://:secret@cache.internal:6380',
      QUEUE_PREFIX: 'mail',
      WORKER_ENABLED: 'false',
      WORKER_CONCURRENCY: '50',
      JOB_MAX_RETRIES: '5',
      JOB_BACKOFF_BASE_MS: '250',
      JOB_LEASE_MS: '10000',
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      EMAIL_FROM: 'Ops <ops@example.com>',
      EMAIL_SIMULATED_DURATION_MS: '0',
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      EMAIL_RATE_LIMIT_PER_S: '20',
      JOB_MAX_STALLS: '4',
      JOB_ATTEMPT_TIMEOUT_MS: '60000',
      EVENTS_MAX_LEN: '5000',
      SMTP_REQUIRE_TLS: 'true',
      SMTP_POOL_SIZE: '0',
      SMTP_TIMEOUT_MS: '2500',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      METRICS_PORT: '0',
      METRICS_REQUIRE_KEY: 'true',
    });
    expect(env.app).toMatchObject({ port: 8080, logLevel: 'debug', logFormat: 'pretty' });
    expect(env.metrics.port).toBe(0);
    expect(env.security.metricsRequireKey).toBe(true);
    expect(env.redis).toMatchObject({
      url: 'rediss://:secret@cache.internal:6380',
      queuePrefix: 'mail',
    });
    expect(env.worker).toMatchObject({ enabled: false, concurrency: 50, leaseMs: 10000 });
    expect(env.jobs).toMatchObject({
      maxRetries: 5,
      backoffBaseMs: 250,
      maxStalls: 4,
      attemptTimeoutMs: 60000,
      eventsMaxLen: 5000,
    });
    expect(env.email.rateLimitPerS).toBe(20);
    expect(loadEnv({ EVENTS_ENABLED: 'false' }).jobs.eventsMaxLen).toBe(0);
    expect(env.email).toMatchObject({
      transport: 'smtp',
      smtp: { host: '127.0.0.1', port: 2525, implicitTls: false, auth: undefined },
      smtpRequireTls: true,
      smtpPoolSize: 0,
      smtpTimeoutMs: 2500,
      from: 'Ops <ops@example.com>',
      simulatedDurationMs: 0,
      simulatedFailureRate: 1,
    });
    expect(env.webhook).toEqual({ secret: SECRET, allowPrivate: true });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_URL', 'not a url'],
    ['QUEUE_PREFIX', 'has space'],
    ['QUEUE_PREFIX', 'a*b'],
    ['WORKER_ENABLED', 'maybe'],
    ['WORKER_CLAIM_AHEAD', 'sometimes'],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', '2.5'],
    ['WORKER_CONCURRENCY', '-1'],
    ['JOB_MAX_RETRIES', 'three'],
    ['JOB_BACKOFF_BASE_MS', '-5'],
    ['JOB_LEASE_MS', '10'],
    ['EMAIL_TRANSPORT', 'carrier-pigeon'],
    ['EMAIL_SIMULATED_DURATION_MS', '1e3x'],
    ['EMAIL_SIMULATED_FAILURE_RATE', '1.5'],
    ['EMAIL_SIMULATED_FAILURE_RATE', 'NaN'],
    ['SMTP_URL', 'ftp://mail'],
    ['SMTP_URL', 'smtp://mail.example.com:587/?pool=true'],
    ['SMTP_URL', 'smtp://mail.example.com/path'],
    ['SMTP_REQUIRE_TLS', 'maybe'],
    ['SMTP_POOL_SIZE', '-1'],
    ['SMTP_POOL_SIZE', '101'],
    ['SMTP_POOL_SIZE', 'five'],
    ['SMTP_TIMEOUT_MS', '50'],
    ['SMTP_TIMEOUT_MS', '1s'],
    ['SMTP_TLS_CA', '/nonexistent/ca.pem'],
    ['WEBHOOK_ALLOW_PRIVATE', 'perhaps'],
    ['EMAIL_FROM', 'nobody'],
    ['JOB_RETENTION_COMPLETED_S', '-1'],
    ['LOG_LEVEL', 'chatty'],
    ['LOG_LEVEL', 'INFO'],
    ['LOG_FORMAT', 'xml'],
    ['METRICS_PORT', '65536'],
    ['METRICS_PORT', '-1'],
    ['METRICS_REQUIRE_KEY', 'perhaps'],
    ['JOB_MAX_STALLS', '-1'],
    ['JOB_ATTEMPT_TIMEOUT_MS', '5'],
    ['EVENTS_ENABLED', 'sometimes'],
    ['EVENTS_MAX_LEN', '10'],
    ['EMAIL_RATE_LIMIT_PER_S', '1.5'],
    ['RATE_LIMIT_READS_PER_MINUTE', '-1'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '0'],
    ['TRUST_PROXY', '10.0.0.0/33'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(value);
  });

  describe('SMTP_URL', () => {
    it.each([
      ['smtp://mail.example.com', { host: 'mail.example.com', port: 587, implicitTls: false }],
      ['smtp://mail.example.com:25', { host: 'mail.example.com', port: 25, implicitTls: false }],
      ['smtps://mail.example.com', { host: 'mail.example.com', port: 465, implicitTls: true }],
      [
        'smtps://mail.example.com:2465/',
        { host: 'mail.example.com', port: 2465, implicitTls: true },
      ],
      ['smtp://[::1]:2525', { host: '::1', port: 2525, implicitTls: false }],
    ])('%s', (url, server) => {
      expect(loadEnv({ SMTP_URL: url }).email.smtp).toEqual({ ...server, auth: undefined });
    });

    it('percent-decodes the user name and password', () => {
      const env = loadEnv({
        SMTP_URL: 'smtp://user%40example.com:p%40ss%3Aw%2Frd%25%20x@mail.example.com:587',
      });
      expect(env.email.smtp?.auth).toEqual({ user: 'user@example.com', pass: 'p@ss:w/rd% x' });
    });

    it('takes a user name without a password', () => {
      expect(loadEnv({ SMTP_URL: 'smtp://apikey@mail.example.com' }).email.smtp?.auth).toEqual({
        user: 'apikey',
        pass: '',
      });
    });

    it.each([
      ['a password without a user name', 'smtp://:secret-pw@mail.example.com', 'no user name'],
      ['a malformed escape', 'smtp://user:secret%zz-pw@mail.example.com', 'malformed %-escape'],
      ['a query string', 'smtp://user:secret-pw@mail.example.com/?pool=true', 'nothing after'],
      [
        'a scheme other than smtp/smtps',
        'http://user:secret-pw@mail.example.com',
        'smtp: or smtps:',
      ],
    ])('refuses %s, and never prints the password', (_what, url, wording) => {
      const problems = problemsOf({ SMTP_URL: url });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('SMTP_URL');
      expect(problems[0]).toContain(wording);
      expect(problems[0]).not.toContain('secret');
    });
  });

  it('withoutPassword masks the password of a URL, or any credentials of a non-URL', () => {
    expect(withoutPassword('smtp://u:secret@h:25')).toBe('smtp://u:***@h:25');
    expect(withoutPassword('smtp://h:25')).toBe('smtp://h:25');
    expect(withoutPassword('smtp://u:se cret@h:bad')).toBe('smtp://***@h:bad');
  });

  describe('SMTP_TLS_CA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-spec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('takes a readable PEM file of certificates', () => {
      const path = join(dir, 'ca.pem');
      writeFileSync(path, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(loadEnv({ SMTP_TLS_CA: path }).email.smtpTlsCaFile).toBe(path);
    });

    it('refuses a file without a certificate, naming the variable and the file', () => {
      const path = join(dir, 'key.pem');
      writeFileSync(path, '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
      expect(problemsOf({ SMTP_TLS_CA: path })).toEqual([
        `SMTP_TLS_CA must be a PEM file of certificates (got "${path}": no certificate in it)`,
      ]);
    });

    it('refuses a missing file with the reason', () => {
      expect(problemsOf({ SMTP_TLS_CA: join(dir, 'missing.pem') })).toEqual([
        `SMTP_TLS_CA must be a readable PEM file (got "${join(dir, 'missing.pem')}": ENOENT)`,
      ]);
    });
  });

  describe('WEBHOOK_SECRET', () => {
    it.each([24, 32, 64])('accepts whsec_ and the base64 of %i bytes', (bytes) => {
      const secret = `whsec_${Buffer.alloc(bytes, 1).toString('base64')}`;
      expect(loadEnv({ WEBHOOK_SECRET: secret }).webhook.secret).toBe(secret);
    });

    it.each([
      ['no whsec_ prefix', Buffer.alloc(32, 1).toString('base64')],
      ['another prefix', `wh_${Buffer.alloc(32, 1).toString('base64')}`],
      ['too short a key (16 bytes)', `whsec_${Buffer.alloc(16, 1).toString('base64')}`],
      ['too long a key (65 bytes)', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
      ['not base64', 'whsec_not*base64*at*all*but*long*enough*xx'],
      ['whsec_ alone', 'whsec_'],
    ])('refuses %s, without echoing the value', (_what, secret) => {
      const problems = problemsOf({ WEBHOOK_SECRET: secret });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^WEBHOOK_SECRET must be whsec_/);
      const key = secret.replace(/^whsec_/, '');
      if (key !== '') expect(problems[0]).not.toContain(key);
    });
  });

  it('requires SMTP_URL with EMAIL_TRANSPORT=smtp', () => {
    expect(problemsOf({ EMAIL_TRANSPORT: 'smtp' })).toEqual([
      'SMTP_URL is required when EMAIL_TRANSPORT=smtp',
    ]);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'x', WORKER_CONCURRENCY: 'y' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'WORKER_CONCURRENCY']);
  });

  describe('security', () => {
    it('defaults: open, no admin keys, reads 6000/min, no proxy trusted', () => {
      expect(loadEnv({}).security).toMatchObject({
        apiKeys: [],
        adminApiKeys: [],
        rateLimitPerMinute: 600,
        rateLimitReadsPerMinute: 6000,
        trustProxy: false,
      });
    });

    it('names a bad admin key (never quoting it) and a bad proxy entry', () => {
      expect(problemsOf({ ADMIN_API_KEYS: 'short' })).toEqual([
        'ADMIN_API_KEYS entry 1 must be 16-256 printable characters, no spaces',
      ]);
      expect(problemsOf({ TRUST_PROXY: '10.0.0.1,proxy.local' })).toEqual([
        expect.stringContaining('TRUST_PROXY must be false, a hop count'),
      ]);
    });

    it('reads ADMIN_API_KEYS, RATE_LIMIT_READS_PER_MINUTE and each form of TRUST_PROXY', () => {
      const admin = 'admin-key-cccccccccccccccc';
      expect(
        loadEnv({ ADMIN_API_KEYS: ` ${admin} `, RATE_LIMIT_READS_PER_MINUTE: '0' }).security,
      ).toMatchObject({ adminApiKeys: [admin], rateLimitReadsPerMinute: 0 });
      expect(loadEnv({ TRUST_PROXY: 'false' }).security.trustProxy).toBe(false);
      expect(loadEnv({ TRUST_PROXY: '2' }).security.trustProxy).toBe(2);
      expect(loadEnv({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).security.trustProxy).toEqual([
        '10.0.0.0/8',
        '127.0.0.1',
        '::1',
      ]);
    });
  });

  it.each([
    ['fatal', 'fatal'],
    ['error', 'error'],
    ['warn', 'warn'],
    ['info', 'info'],
    ['debug', 'debug'],
    ['trace', 'trace'],
    // Nest's names, which earlier releases documented.
    ['log', 'info'],
    ['verbose', 'trace'],
  ])('LOG_LEVEL=%s logs at pino level %s', (value, level) => {
    expect(loadEnv({ LOG_LEVEL: value }).app.logLevel).toBe(level);
  });

  it('treats empty values as unset', () => {
    expect(loadEnv({ PORT: '', WORKER_CONCURRENCY: '  ' }).worker.concurrency).toBe(10);
  });
});

describe('loadEnv: Redis Cluster and Sentinel', () => {
  it('hash-tags the queue prefix on a cluster, and leaves a prefix that has a tag alone', () => {
    const env = loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' });
    expect(env.redis.clusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(env.redis.queuePrefix).toBe('{jobs}');
    expect(
      loadEnv({ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'app:{mail}' }).redis.queuePrefix,
    ).toBe('app:{mail}');
    expect(loadEnv({ QUEUE_PREFIX: 'mail' }).redis.queuePrefix).toBe('mail');
  });

  it('reads the Sentinel and WAIT settings', () => {
    const env = loadEnv({
      REDIS_SENTINELS: 's1:26379,s2:26379',
      REDIS_SENTINEL_MASTER: 'queue-master',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT_MS: '250',
    });
    expect(env.redis).toMatchObject({
      queuePrefix: 'jobs',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelMaster: 'queue-master',
      sentinelPassword: 'sentinel-secret',
      waitReplicas: 1,
      waitTimeoutMs: 250,
    });
  });

  it('names each bad Redis variable', () => {
    expect(
      problemsOf({
        REDIS_CLUSTER_NODES: 'a:1,nohost',
        REDIS_SENTINELS: 'b:99999',
        REDIS_SENTINEL_MASTER: 'bad name',
        REDIS_WAIT_REPLICAS: '-1',
        REDIS_WAIT_TIMEOUT_MS: '0',
      }),
    ).toEqual([
      'REDIS_CLUSTER_NODES entry 2 must be host:port',
      'REDIS_SENTINELS port must be between 1 and 65535 (got "b:99999")',
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS cannot both be set: pick one mode',
      'REDIS_SENTINEL_MASTER must be 1-128 characters of letters, digits, _ . - (got "bad name")',
      'REDIS_WAIT_REPLICAS must be an integer between 0 and 100 (got "-1")',
      'REDIS_WAIT_TIMEOUT_MS must be an integer between 1 and 4000 (got "0")',
    ]);
  });
});
