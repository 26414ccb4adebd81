import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ApiErrorResponse } from '../common/api-error-response';
import { FORBIDDEN } from './security-errors';

export const PUBLIC = 'security:public';
export const ADMIN_ONLY = 'security:adminOnly';
export const RATE_BUDGET = 'security:rateBudget';
/** OpenAPI extension marking a public operation until the document is finished. */
export const PUBLIC_OPERATION = 'x-public-operation';

/**
 * `always`: no key is ever needed (health). `docs`: none unless DOCS_REQUIRE_KEY=true.
 * `metrics`: none unless METRICS_REQUIRE_KEY=true. Public routes are not rate-limited either.
 */
export type PublicKind = 'always' | 'docs' | 'metrics';

/** A route (or controller) anyone may call, with no API key and no rate limit. */
export const Public = (kind: PublicKind = 'always'): MethodDecorator & ClassDecorator =>
  // The OpenAPI document gives these `security: []` (docs.ts reads the mark).
  applyDecorators(SetMetadata(PUBLIC, kind), ApiExtension(PUBLIC_OPERATION, true));

/**
 * A steering route: with ADMIN_API_KEYS set, only those keys may call it (403
 * `AUTH.FORBIDDEN` for a key that is only in API_KEYS); unset, any API key may.
 */
export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ADMIN_ONLY, true), ApiErrorResponse(403, FORBIDDEN));

/** Which per-client budget a route counts against: submissions and writes, or reads. */
export type RateBudget = 'writes' | 'reads';

/**
 * Counts the route against RATE_LIMIT_READS_PER_MINUTE instead of
 * RATE_LIMIT_PER_MINUTE, so polling a job does not use up the submit budget.
 */
export const ReadLimit = (): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_BUDGET, 'reads' satisfies RateBudget);
