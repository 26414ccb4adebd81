import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Probes scraped every few seconds: counted in the metrics, not written as request lines. */
const PROBES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** The path without its query string (which may hold a recipient, or a key someone pasted). */
export function pathOf(url: string): string {
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

/**
 * One line per request when its response has been sent: `request_id` (X-Request-Id,
 * see bootstrap.ts), method, path (no query string), route template, status and
 * duration; `info`, `warn` for 4xx, `error` for 5xx. Never a header (API keys) or a
 * body. A Fastify hook rather than a Nest middleware: a middleware would run every
 * request through Fastify's middleware layer and an async context, which cost more
 * than the line itself (measured with bench/log-cost.js); and a line that is not
 * written (LOG_LEVEL=error) costs nothing here.
 */
export function installRequestLog(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      const path = pathOf(request.url);
      if (!PROBES.has(path)) {
        logger[level](
          {
            request_id: request.id,
            req: { method: request.method, url: path, route: request.routeOptions.url },
            res: { status_code: status },
            duration_ms: Math.round(reply.elapsedTime * 10) / 10,
          },
          'request completed',
        );
      }
    }
    done();
  });
}
