import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Env } from '../config/env';

/** The API's Content-Security-Policy: it serves JSON only. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The docs pages' policy (set per route with @Header): Swagger UI and ReDoc run
 * scripts and styles from this server only; ReDoc also starts a web worker from a
 * blob and styles itself inline.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

/**
 * The dashboard's policy: scripts, styles, images and API calls from this server only;
 * no inline script or style, no plugins, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
};

/**
 * Security headers on every response (routes, unknown paths and errors alike), and
 * CORS when CORS_ORIGINS lists origins. A route that needs another
 * Content-Security-Policy sets it itself (`@Header('content-security-policy', ...)`);
 * every other response gets API_CSP.
 */
export function installSecurityHeaders(
  app: NestFastifyApplication,
  security: Env['security'],
): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (_request, reply) => {
    void reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('content-security-policy')) {
      void reply.header('content-security-policy', API_CSP);
    }
  });

  if (security.corsOrigins.length > 0) {
    app.enableCors({
      origin: security.corsOrigins.includes('*') ? true : security.corsOrigins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'idempotency-key'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining'],
      maxAge: 600,
    });
  }
}
