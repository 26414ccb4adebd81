import { isIP } from 'node:net';

/**
 * The service's environment, parsed and validated in one place. Every namespace
 * (app, redis, worker, email, webhook) reads from `loadEnv`, so a bad value is
 * reported once, at start-up, naming the variable.
 */
import { readFileSync } from 'node:fs';

/** false: the peer is the client; a hop count; or the addresses / CIDRs of trusted proxies. */
export type TrustProxy = false | number | string[];

export type EmailTransportKind = 'simulated' | 'smtp';
/** pino's levels, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
/** Nest's names, as earlier releases accepted them: still understood. */
export const LOG_LEVEL_ALIASES: Readonly<Record<string, LogLevelName>> = {
  log: 'info',
  verbose: 'trace',
};
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Env {
  app: {
    port: number;
    host: string;
    logLevel: LogLevelName;
    /** JSON lines (for collectors) or coloured text (for people). */
    logFormat: LogFormat;
  };
  metrics: {
    /** Port of the headless worker's /metrics and /health server; 0 = none. */
    port: number;
  };
  redis: RedisSettings;
  worker: {
    enabled: boolean;
    concurrency: number;
    /** Claim the next batch while the current one runs, when attempts are short. */
    claimAhead: boolean;
    leaseMs: number;
    shutdownTimeoutMs: number;
  };
  jobs: {
    maxRetries: number;
    backoffBaseMs: number;
    /** How often a job's worker may be lost (lease expired) before the job ends failed. */
    maxStalls: number;
    /** An attempt running longer is aborted and counts as a failed attempt. */
    attemptTimeoutMs: number;
    /** Cancelled jobs follow the retention of failed ones. */
    retention: { completedS: number; failedS: number };
    /** Length the events stream is trimmed to; 0 when EVENTS_ENABLED=false. */
    eventsMaxLen: number;
  };
  security: {
    /** Accepted API keys; empty (and no admin keys) = the API is open. */
    apiKeys: string[];
    /** Keys that may also call steering routes (@AdminOnly); empty = every API key may. */
    adminApiKeys: string[];
    /** Whether /docs, /docs-json and /redoc also need a key when API_KEYS is set. */
    docsRequireKey: boolean;
    /** Whether /metrics needs a key when API_KEYS is set. */
    metricsRequireKey: boolean;
    /** Requests per minute per API key (or client address when open); 0 = no limit. */
    rateLimitPerMinute: number;
    /** Reads (status polling, listings) per minute, a budget of their own; 0 = no limit. */
    rateLimitReadsPerMinute: number;
    /** Fastify's trustProxy: which peers' X-Forwarded-For names the client. */
    trustProxy: TrustProxy;
    /** Origins allowed by CORS; empty = CORS off. */
    corsOrigins: string[];
  };
  email: {
    transport: EmailTransportKind;
    simulatedDurationMs: number;
    simulatedFailureRate: number;
    /** SMTP_URL taken apart, or undefined when it is not set. */
    smtp: SmtpServer | undefined;
    /** Refuse to send over a connection that is not encrypted (no STARTTLS, not smtps://). */
    smtpRequireTls: boolean;
    /** A PEM file of CA certificates to trust instead of the system's (SMTP_TLS_CA). */
    smtpTlsCaFile: string | undefined;
    /** Pooled connections per process; 0 = a new connection for every message. */
    smtpPoolSize: number;
    /** Limit for connecting, the greeting and each command's reply. */
    smtpTimeoutMs: number;
    from: string;
    /** send_email attempts started per second across all workers; 0 = no limit. */
    rateLimitPerS: number;
  };
  webhook: {
    /** `whsec_<base64>`: signs every webhook (Standard Webhooks); undefined = unsigned. */
    secret: string | undefined;
    /** Whether webhooks may go to loopback, private and other non-public addresses. */
    allowPrivate: boolean;
  };
}

/** A `host:port` seed of REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * How the service reaches Redis: REDIS_URL alone (standalone), through Sentinel
 * (REDIS_SENTINELS), or a Redis Cluster (REDIS_CLUSTER_NODES). Credentials and TLS
 * come from REDIS_URL in every mode.
 */
export interface RedisSettings {
  url: string;
  /** The queue's key prefix; hash-tagged (`{jobs}`) on a cluster so the queue lives in one slot. */
  queuePrefix: string;
  /** Cluster seeds; empty = not a cluster. */
  clusterNodes: HostPort[];
  /** Sentinels; empty = no Sentinel. */
  sentinels: HostPort[];
  /** The master name the sentinels monitor. */
  sentinelMaster: string;
  /** AUTH for the sentinels themselves (they may have a password of their own). */
  sentinelPassword: string | undefined;
  /** Replicas that must acknowledge a client-visible write before it is answered; 0 = none. */
  waitReplicas: number;
  /** How long a write waits for those acknowledgements (WAIT's timeout). */
  waitTimeoutMs: number;
}

/** Where SMTP_URL points: `smtp://` (STARTTLS when offered) or `smtps://` (TLS from the start). */
export interface SmtpServer {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte. */
  implicitTls: boolean;
  /** Percent-decoded credentials from the URL, if any. */
  auth: { user: string; pass: string } | undefined;
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvValidationError';
  }
}

type RawEnv = Record<string, string | undefined>;

/** Collects every problem before throwing, so one start-up names all bad variables. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly raw: RawEnv) {}

  private value(name: string): string | undefined {
    const v = this.raw[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string, pattern?: RegExp, rule?: string): string {
    const v = this.value(name) ?? fallback;
    if (pattern && !pattern.test(v))
      this.problems.push(`${name} ${rule ?? 'is invalid'} (got "${v}")`);
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.value(name);
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${v}")`);
      return fallback;
    }
    return n;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const v = this.value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number between ${min} and ${max} (got "${v}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    this.problems.push(`${name} must be true or false (got "${this.value(name)}")`);
    return fallback;
  }

  oneOf<T extends string>(
    name: string,
    fallback: T,
    allowed: readonly T[],
    aliases: Readonly<Record<string, T>> = {},
  ): T {
    const raw = this.value(name);
    const v = raw !== undefined && Object.hasOwn(aliases, raw) ? aliases[raw] : raw;
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
      return fallback;
    }
    return v as T;
  }

  /** A comma-separated list; each entry must match `pattern`. */
  list(name: string, pattern: RegExp, rule: string): string[] {
    const v = this.value(name);
    if (v === undefined) return [];
    const items = v
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const [index, item] of items.entries()) {
      if (!pattern.test(item)) this.problems.push(`${name} entry ${index + 1} ${rule}`);
    }
    return items;
  }

  /** A comma-separated list of `host:port` (a host name, an IPv4 address or a bracketed IPv6 one). */
  hostPorts(name: string): HostPort[] {
    return this.list(name, HOST_PORT, 'must be host:port').flatMap((item) => {
      const match = HOST_PORT.exec(item);
      if (!match) return [];
      const port = Number(match[2]);
      if (port < 1 || port > 65535) {
        this.problems.push(`${name} port must be between 1 and 65535 (got "${item}")`);
        return [];
      }
      return [{ host: match[1].replace(/^\[(.*)\]$/, '$1'), port }];
    });
  }

  /** `false`, a hop count (1-100), or a comma-separated list of IP addresses and CIDR ranges. */
  trustProxy(name: string): TrustProxy {
    const v = this.value(name);
    if (v === undefined || v.toLowerCase() === 'false') return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= 100) return hops;
      this.problems.push(`${name} hop count must be between 1 and 100 (got "${v}")`);
      return false;
    }
    const entries = v
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const [index, entry] of entries.entries()) {
      if (!isAddressOrCidr(entry)) {
        this.problems.push(
          `${name} must be false, a hop count, or IP addresses / CIDR ranges (entry ${index + 1}: "${entry}")`,
        );
      }
    }
    return entries;
  }

  url(
    name: string,
    fallback: string | undefined,
    protocols: readonly string[],
  ): string | undefined {
    const v = this.value(name) ?? fallback;
    if (v === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(v);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !protocols.includes(parsed.protocol)) {
      this.problems.push(
        `${name} must be a ${protocols.join(' or ')}// URL (got "${withoutPassword(v)}")`,
      );
      return fallback;
    }
    return v;
  }

  /** SMTP_URL: smtp[s]://[user[:password]@]host[:port], credentials percent-encoded. */
  smtpServer(name: string): SmtpServer | undefined {
    const v = this.url(name, undefined, ['smtp:', 'smtps:']);
    if (v === undefined) return undefined;
    const url = new URL(v);
    const shown = withoutPassword(v);
    if (url.search !== '' || url.hash !== '' || !['', '/'].includes(url.pathname)) {
      this.problems.push(
        `${name} must be smtp[s]://[user:password@]host[:port] with nothing after the port; the other SMTP_* variables hold the options (got "${shown}")`,
      );
      return undefined;
    }
    const implicitTls = url.protocol === 'smtps:';
    let auth: SmtpServer['auth'];
    if (url.username !== '' || url.password !== '') {
      try {
        auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
      } catch {
        this.problems.push(`${name} has a malformed %-escape in its user name or password`);
        return undefined;
      }
      if (auth.user === '') {
        this.problems.push(`${name} has a password but no user name (got "${shown}")`);
        return undefined;
      }
    }
    return {
      // WHATWG URLs keep the brackets of an IPv6 host; sockets want the bare address.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (implicitTls ? 465 : 587) : Number(url.port),
      implicitTls,
      auth,
    };
  }

  /** A readable file holding at least one PEM certificate; returns its path. */
  pemFile(name: string): string | undefined {
    const path = this.value(name);
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      this.problems.push(`${name} must be a readable PEM file (got "${path}": ${code})`);
      return undefined;
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      this.problems.push(
        `${name} must be a PEM file of certificates (got "${path}": no certificate in it)`,
      );
      return undefined;
    }
    return path;
  }

  /** WEBHOOK_SECRET: `whsec_` and the base64 of 24 to 64 bytes (the Standard Webhooks format). */
  webhookSecret(name: string): string | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const key = v.startsWith('whsec_') ? v.slice('whsec_'.length) : '';
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64').length : 0;
    if (bytes < 24 || bytes > 64) {
      // Never echo a secret, even a malformed one.
      this.problems.push(
        `${name} must be whsec_ followed by the base64 of 24 to 64 random bytes (got ${v.length} characters that are not)`,
      );
      return undefined;
    }
    return v;
  }
}

/** A URL as it may be shown in a message: its password (if any) masked. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: hide whatever could be credentials.
    return url.replace(/\/\/[^/]*@/, '//***@');
  }
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** On a cluster every key of a queue must share one slot: `jobs` becomes `{jobs}`. */
export function clusterPrefix(prefix: string): string {
  return /\{[^{}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

function redisSettings(r: EnvReader): RedisSettings {
  const url = r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) as string;
  const prefix = r.string(
    'QUEUE_PREFIX',
    'jobs',
    /^[A-Za-z0-9_.:{}-]{1,64}$/,
    'must be 1-64 characters of letters, digits, _ . : - { }',
  );
  const clusterNodes = r.hostPorts('REDIS_CLUSTER_NODES');
  const sentinels = r.hostPorts('REDIS_SENTINELS');
  if (r.optionalString('REDIS_CLUSTER_NODES') && r.optionalString('REDIS_SENTINELS')) {
    r.problems.push('REDIS_CLUSTER_NODES and REDIS_SENTINELS cannot both be set: pick one mode');
  }
  return {
    url,
    queuePrefix: clusterNodes.length > 0 ? clusterPrefix(prefix) : prefix,
    clusterNodes,
    sentinels,
    sentinelMaster: r.string(
      'REDIS_SENTINEL_MASTER',
      'mymaster',
      /^[A-Za-z0-9_.-]{1,128}$/,
      'must be 1-128 characters of letters, digits, _ . -',
    ),
    sentinelPassword: r.optionalString('REDIS_SENTINEL_PASSWORD'),
    waitReplicas: r.int('REDIS_WAIT_REPLICAS', 0, 0, 100),
    // Below the 5 s command timeout, which would otherwise end the WAIT first.
    waitTimeoutMs: r.int('REDIS_WAIT_TIMEOUT_MS', 500, 1, 4000),
  };
}

const EMAIL_ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

export function loadEnv(raw: RawEnv): Env {
  const r = new EnvReader(raw);
  const env: Env = {
    app: {
      port: r.int('PORT', 3000, 0, 65535),
      host: r.string('HOST', '0.0.0.0'),
      logLevel: r.oneOf<LogLevelName>('LOG_LEVEL', 'info', LOG_LEVELS, LOG_LEVEL_ALIASES),
      logFormat: r.oneOf<LogFormat>('LOG_FORMAT', 'json', LOG_FORMATS),
    },
    metrics: {
      port: r.int('METRICS_PORT', 9464, 0, 65535),
    },
    redis: redisSettings(r),
    worker: {
      enabled: r.bool('WORKER_ENABLED', true),
      concurrency: r.int('WORKER_CONCURRENCY', 10, 1, 1000),
      claimAhead: r.bool('WORKER_CLAIM_AHEAD', false),
      leaseMs: r.int('JOB_LEASE_MS', 30000, 500, 86_400_000),
      shutdownTimeoutMs: r.int('WORKER_SHUTDOWN_TIMEOUT_MS', 10000, 0, 3_600_000),
    },
    jobs: {
      maxRetries: r.int('JOB_MAX_RETRIES', 3, 0, 100),
      backoffBaseMs: r.int('JOB_BACKOFF_BASE_MS', 1000, 0, 86_400_000),
      maxStalls: r.int('JOB_MAX_STALLS', 2, 0, 1000),
      attemptTimeoutMs: r.int('JOB_ATTEMPT_TIMEOUT_MS', 300_000, 100, 86_400_000),
      retention: {
        completedS: r.int('JOB_RETENTION_COMPLETED_S', 86_400, 0, 315_360_000),
        failedS: r.int('JOB_RETENTION_FAILED_S', 604_800, 0, 315_360_000),
      },
      // Both read, so a bad EVENTS_MAX_LEN is reported even while events are off.
      eventsMaxLen: Math.min(
        r.bool('EVENTS_ENABLED', true) ? Infinity : 0,
        r.int('EVENTS_MAX_LEN', 100_000, 100, 100_000_000),
      ),
    },
    security: {
      apiKeys: r.list(
        'API_KEYS',
        /^[\x21-\x7e]{16,256}$/,
        'must be 16-256 printable characters, no spaces',
      ),
      adminApiKeys: r.list(
        'ADMIN_API_KEYS',
        /^[\x21-\x7e]{16,256}$/,
        'must be 16-256 printable characters, no spaces',
      ),
      docsRequireKey: r.bool('DOCS_REQUIRE_KEY', false),
      metricsRequireKey: r.bool('METRICS_REQUIRE_KEY', false),
      rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600, 0, 10_000_000),
      rateLimitReadsPerMinute: r.int('RATE_LIMIT_READS_PER_MINUTE', 6000, 0, 10_000_000),
      trustProxy: r.trustProxy('TRUST_PROXY'),
      corsOrigins: r.list(
        'CORS_ORIGINS',
        /^(\*|https?:\/\/[^\s/,]+)$/,
        'must be * or http(s)://host[:port]',
      ),
    },
    email: {
      transport: r.oneOf<EmailTransportKind>('EMAIL_TRANSPORT', 'simulated', ['simulated', 'smtp']),
      simulatedDurationMs: r.int('EMAIL_SIMULATED_DURATION_MS', 2000, 0, 3_600_000),
      simulatedFailureRate: r.number('EMAIL_SIMULATED_FAILURE_RATE', 0.2, 0, 1),
      smtp: r.smtpServer('SMTP_URL'),
      smtpRequireTls: r.bool('SMTP_REQUIRE_TLS', false),
      smtpTlsCaFile: r.pemFile('SMTP_TLS_CA'),
      smtpPoolSize: r.int('SMTP_POOL_SIZE', 5, 0, 100),
      smtpTimeoutMs: r.int('SMTP_TIMEOUT_MS', 30_000, 100, 600_000),
      from: r.string('EMAIL_FROM', 'Job Queue <no-reply@localhost>'),
      rateLimitPerS: r.int('EMAIL_RATE_LIMIT_PER_S', 0, 0, 1_000_000),
    },
    webhook: {
      secret: r.webhookSecret('WEBHOOK_SECRET'),
      allowPrivate: r.bool('WEBHOOK_ALLOW_PRIVATE', false),
    },
  };
  if (
    env.email.transport === 'smtp' &&
    env.email.smtp === undefined &&
    !r.problems.some((p) => p.startsWith('SMTP_URL'))
  ) {
    r.problems.push('SMTP_URL is required when EMAIL_TRANSPORT=smtp');
  }
  const address = /<([^>]+)>\s*$/.exec(env.email.from)?.[1] ?? env.email.from;
  if (!EMAIL_ADDRESS.test(address.trim())) {
    r.problems.push(`EMAIL_FROM must be an address or "Name <address>" (got "${env.email.from}")`);
  }
  if (r.problems.length > 0) throw new EnvValidationError(r.problems);
  return env;
}
