import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { apiError, ErrorCode } from '../common/error-body';
import { securityConfig } from '../config/configuration';
import type { Env } from '../config/env';
import { ApiKeyVerifier, presentedKey } from './api-keys';
import { ADMIN_ONLY, PUBLIC, PublicKind } from './security.decorators';
import { ADMIN_KEY_REQUIRED_MESSAGE, UNAUTHORIZED_MESSAGE } from './security-errors';
import './request-principal';

/**
 * API keys on every route but `@Public()` ones. With API_KEYS or ADMIN_API_KEYS set, a
 * request needs one of the keys (401 otherwise); `@AdminOnly()` routes need an admin
 * key when ADMIN_API_KEYS is set (403 otherwise). Admin keys may do everything other
 * keys may. Sets `request.principal` for rate limits and idempotency scopes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKeyVerifier;
  private readonly admins: ApiKeyVerifier;

  constructor(
    private readonly reflector: Reflector,
    @Inject(securityConfig.KEY) private readonly security: Env['security'],
  ) {
    this.keys = new ApiKeyVerifier([...security.apiKeys, ...security.adminApiKeys]);
    this.admins = new ApiKeyVerifier(security.adminApiKeys);
    if (!this.keys.enabled) {
      new Logger('Security').warn(
        'API_KEYS is not set: the API is open to anyone who can reach it.',
      );
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const publicKind = this.reflector.getAllAndOverride<PublicKind | undefined>(PUBLIC, targets);
    const open =
      !this.keys.enabled ||
      publicKind === 'always' ||
      (publicKind === 'docs' && !this.security.docsRequireKey) ||
      (publicKind === 'metrics' && !this.security.metricsRequireKey);
    if (open) {
      request.principal = 'anonymous';
      request.isAdmin = !this.admins.enabled;
    } else {
      const presented = presentedKey(request.headers);
      const principal = this.keys.verify(presented);
      if (!principal) {
        throw apiError(401, ErrorCode.Unauthorized, UNAUTHORIZED_MESSAGE, {
          'www-authenticate': 'Bearer realm="jobs"',
        });
      }
      request.principal = principal;
      request.isAdmin = !this.admins.enabled || this.admins.verify(presented) !== null;
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && !request.isAdmin) {
      throw apiError(403, ErrorCode.Forbidden, ADMIN_KEY_REQUIRED_MESSAGE);
    }
    return true;
  }
}
