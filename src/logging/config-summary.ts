import type { Env } from '../config/env';

/** A server's address from its URL, without user name or password. */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === '/' ? '' : parsed.pathname;
    return `${parsed.protocol}//${parsed.host}${path}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * What a process runs with, for its start-up line: addresses without credentials,
 * how many keys are set (never the keys), and the settings that shape the queue.
 */
export function configSummary(env: Env, role: 'api' | 'worker'): Record<string, unknown> {
  return {
    role,
    redis: addressOf(env.redis.url),
    queue_prefix: env.redis.queuePrefix,
    worker: role === 'worker' || env.worker.enabled,
    concurrency: env.worker.concurrency,
    lease_ms: env.worker.leaseMs,
    shutdown_timeout_ms: env.worker.shutdownTimeoutMs,
    max_retries: env.jobs.maxRetries,
    backoff_base_ms: env.jobs.backoffBaseMs,
    events_max_len: env.jobs.eventsMaxLen,
    email_transport: env.email.transport,
    ...(env.email.smtp === undefined
      ? {}
      : {
          smtp: `${env.email.smtp.implicitTls ? 'smtps' : 'smtp'}://${env.email.smtp.host}:${env.email.smtp.port}`,
          smtp_pool_size: env.email.smtpPoolSize,
        }),
    api_keys: env.security.apiKeys.length,
    admin_api_keys: env.security.adminApiKeys.length,
    rate_limit_per_minute: env.security.rateLimitPerMinute,
    ...(role === 'worker' ? { metrics_port: env.metrics.port } : {}),
    log_level: env.app.logLevel,
  };
}
