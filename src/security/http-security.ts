import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { Env } from '../config/env';
import { RateLimitDecision, RateLimiter } from './rate-limiter';
import { ApiKeyVerifier, presentedKey } from './api-keys';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: an API key id, or `anonymous` when the API is open. */
    principal?: string;
  }
}

const PERIOD_MS = 60_000;
const DOCS = /^\/(docs|redoc)(\/|-json|$|\?)/;

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
// Swagger UI and ReDoc run scripts and styles from this server only; ReDoc also
// starts a web worker from a blob and styles itself inline.
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

function isHealth(request: FastifyRequest): boolean {
  return request.url === '/health' || request.url.startsWith('/health?');
}

function deny(
  reply: FastifyReply,
  statusCode: number,
  error: string,
  message: string,
): FastifyReply {
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .send({ statusCode, error, message });
}

/**
 * Access control, rate limiting, security headers and CORS, as Fastify hooks so
 * they cover every route: the API, the docs and unknown paths alike.
 */
export function installHttpSecurity(
  app: NestFastifyApplication,
  security: Env['security'],
  limiter: RateLimiter,
): void {
  const logger = new Logger('Security');
  const fastify = app.getHttpAdapter().getInstance();
  const keys = new ApiKeyVerifier(security.apiKeys);
  if (!keys.enabled) {
    logger.warn('API_KEYS is not set: the API is open to anyone who can reach it.');
  }

  fastify.addHook('onRequest', async (request, reply) => {
    if (isHealth(request)) return;
    const docs = DOCS.test(request.url);
    if (keys.enabled && (!docs || security.docsRequireKey)) {
      const principal = keys.verify(presentedKey(request.headers));
      if (!principal) {
        void reply.header('www-authenticate', 'Bearer realm="jobs"');
        return deny(
          reply,
          401,
          'Unauthorized',
          'A valid API key is required: Authorization: Bearer <key> or X-API-Key: <key>',
        );
      }
      request.principal = principal;
    } else {
      request.principal = 'anonymous';
    }
    if (security.rateLimitPerMinute === 0 || docs) return;
    // Per API key; per client address when the API is open.
    const subject = keys.enabled ? request.principal : `ip-${request.ip}`;
    const principalHash = createHash('sha256').update(subject).digest('hex').slice(0, 16);
    let decision: RateLimitDecision;
    try {
      decision = await limiter.take(principalHash, security.rateLimitPerMinute, PERIOD_MS);
    } catch {
      return; // Redis away: the route itself answers 503 where it needs Redis.
    }
    void reply.header('x-ratelimit-limit', security.rateLimitPerMinute);
    void reply.header('x-ratelimit-remaining', decision.remaining);
    if (!decision.allowed) {
      const retryS = Math.max(1, Math.ceil(decision.retryInMs / 1000));
      void reply.header('retry-after', retryS);
      return deny(
        reply,
        429,
        'Too Many Requests',
        `Rate limit of ${security.rateLimitPerMinute} requests per minute exceeded; retry in ${retryS} s`,
      );
    }
  });

  fastify.addHook('onSend', async (request, reply) => {
    void reply.headers({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'strict-transport-security': 'max-age=15552000; includeSubDomains',
      'content-security-policy': DOCS.test(request.url) ? DOCS_CSP : API_CSP,
    });
  });

  if (security.corsOrigins.length > 0) {
    app.enableCors({
      origin: security.corsOrigins.includes('*') ? true : security.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'idempotency-key'],
      exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining'],
      maxAge: 600,
    });
  }
}
