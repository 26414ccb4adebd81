import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { apiError, ErrorCode } from '../common/error-body';
import { securityConfig } from '../config/configuration';
import type { Env } from '../config/env';
import { RateLimitDecision, RateLimiter } from './rate-limiter';
import { PUBLIC, RATE_BUDGET, RateBudget } from './security.decorators';
import { rateLimitedMessage } from './security-errors';
import './request-principal';

const PERIOD_MS = 60_000;

/**
 * Per-client request budgets, shared by every API instance through Redis (GCRA):
 * RATE_LIMIT_PER_MINUTE for most routes, RATE_LIMIT_READS_PER_MINUTE for `@ReadLimit()`
 * ones, each its own bucket. A client is its API key, or its address when the API is
 * open (behind a proxy, the address TRUST_PROXY lets Fastify see). Public routes are
 * not limited. Runs after ApiKeyGuard, which names the principal.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(securityConfig.KEY) private readonly security: Env['security'],
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<string | undefined>(PUBLIC, targets)) return true;
    const budget =
      this.reflector.getAllAndOverride<RateBudget | undefined>(RATE_BUDGET, targets) ?? 'writes';
    const limit =
      budget === 'reads' ? this.security.rateLimitReadsPerMinute : this.security.rateLimitPerMinute;
    if (limit === 0) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const principal = request.principal ?? 'anonymous';
    const subject = principal === 'anonymous' ? `ip-${request.ip}` : principal;
    // The writes bucket keeps the key it always had; reads get their own.
    const key = budget === 'reads' ? `reads\n${subject}` : subject;
    let decision: RateLimitDecision;
    try {
      decision = await this.limiter.take(
        createHash('sha256').update(key).digest('hex').slice(0, 16),
        limit,
        PERIOD_MS,
      );
    } catch {
      return true; // Redis away: the route itself answers 503 where it needs Redis.
    }
    const headers: Record<string, number> = {
      'x-ratelimit-limit': limit,
      'x-ratelimit-remaining': decision.remaining,
    };
    void reply.headers(headers);
    if (!decision.allowed) {
      const retryS = Math.max(1, Math.ceil(decision.retryInMs / 1000));
      throw apiError(429, ErrorCode.RateLimited, rateLimitedMessage(limit, budget, retryS), {
        ...headers,
        'retry-after': retryS,
      });
    }
    return true;
  }
}
