import type { DocumentedError } from '../common/api-error-response';
import { ErrorCode } from '../common/error-body';
import type { RateBudget } from './security.decorators';

export const UNAUTHORIZED_MESSAGE =
  'A valid API key is required: Authorization: Bearer <key> or X-API-Key: <key>';

export const ADMIN_KEY_REQUIRED_MESSAGE = 'This operation needs an admin API key (ADMIN_API_KEYS)';

export function rateLimitedMessage(limit: number, budget: RateBudget, retryS: number): string {
  const what = budget === 'reads' ? 'reads' : 'requests';
  return `Rate limit of ${limit} ${what} per minute exceeded; retry in ${retryS} s`;
}

/** The errors the guards answer, as the OpenAPI document shows them. */
export const UNAUTHORIZED: DocumentedError = {
  description: 'API_KEYS (or ADMIN_API_KEYS) is set and no valid key was presented.',
  code: ErrorCode.Unauthorized,
  message: UNAUTHORIZED_MESSAGE,
  headers: {
    'WWW-Authenticate': {
      description: 'The scheme to authenticate with.',
      schema: { type: 'string', example: 'Bearer realm="jobs"' },
    },
  },
};

export const FORBIDDEN: DocumentedError = {
  description: 'ADMIN_API_KEYS is set and the key presented is not one of them.',
  code: ErrorCode.Forbidden,
  message: ADMIN_KEY_REQUIRED_MESSAGE,
};

export const RATE_LIMITED: DocumentedError = {
  description:
    'Over the rate limit for this API key (or address): RATE_LIMIT_PER_MINUTE, or ' +
    'RATE_LIMIT_READS_PER_MINUTE for reads; see the Retry-After header.',
  code: ErrorCode.RateLimited,
  message: rateLimitedMessage(600, 'writes', 12),
  headers: {
    'Retry-After': {
      description: 'Seconds until the next request is allowed.',
      schema: { type: 'integer', minimum: 1, example: 12 },
    },
    'X-RateLimit-Limit': {
      description: 'Requests allowed per minute for this budget.',
      schema: { type: 'integer', example: 600 },
    },
    'X-RateLimit-Remaining': {
      description: 'Requests left in the budget now.',
      schema: { type: 'integer', minimum: 0, example: 0 },
    },
  },
};
