import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimiter } from './rate-limiter';

/**
 * The request pipeline's policy, as global guards in this order: API key (and admin
 * key), then rate limit. Routes opt out or in with the decorators in
 * security.decorators.ts.
 */
@Module({
  providers: [
    RateLimiter,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [RateLimiter],
})
export class SecurityModule {}
