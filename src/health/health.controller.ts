import type { RedisClient } from '../redis/redis-connection';
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/configuration';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { Public } from '../security/security.decorators';
import { CHECK_TIMEOUT_MS, pingWithin, Readiness, ReadinessReport } from './readiness';

function healthSchema(status: string, redis: string) {
  return {
    type: 'object' as const,
    required: ['status', 'redis'],
    properties: {
      status: { type: 'string' as const, enum: [status] },
      redis: { type: 'string' as const, enum: [redis] },
    },
    example: { status, redis },
  };
}

const check = (status: 'up' | 'down', detail?: string) => ({
  status,
  ...(detail ? { detail } : {}),
});

const readySchema = (ready: boolean) => ({
  type: 'object' as const,
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string' as const, enum: [ready ? 'ok' : 'error'] },
    checks: {
      type: 'object' as const,
      description: 'One entry per check: redis, process, and any check a module adds.',
      additionalProperties: {
        type: 'object' as const,
        required: ['status'],
        properties: {
          status: { type: 'string' as const, enum: ['up', 'down'] },
          detail: { type: 'string' as const, description: 'Why the check is down.' },
        },
      },
    },
    ...(ready ? {} : { failed: { type: 'array' as const, items: { type: 'string' as const } } }),
  },
  example: ready
    ? { status: 'ok', checks: { redis: check('up'), process: check('up') } }
    : {
        status: 'error',
        checks: {
          redis: check('down', `no reply to PING within ${CHECK_TIMEOUT_MS} ms`),
          process: check('up'),
        },
        failed: ['redis'],
      },
});

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) private readonly redisSettings: ConfigType<typeof redisConfig>,
    private readonly readiness: Readiness,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and Redis reachability (no API key needed)' })
  @ApiOkResponse({
    description: 'Redis answers.',
    schema: healthSchema('ok', 'up'),
  })
  @ApiServiceUnavailableResponse({
    description: `Redis does not answer within ${CHECK_TIMEOUT_MS} ms.`,
    schema: healthSchema('error', 'down'),
  })
  async check(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: string; redis: string }> {
    if (await pingWithin(this.redis, CHECK_TIMEOUT_MS, this.redisSettings.queuePrefix))
      return { status: 'ok', redis: 'up' };
    void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'error', redis: 'down' };
  }

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process runs and serves requests (no API key needed)',
    description:
      'Always 200 while the process answers, also during shutdown; touches no dependency.',
  })
  @ApiOkResponse({
    description: 'The process serves requests.',
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] } },
      example: { status: 'ok' },
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: RedisClient answers and the process is not shutting down (no API key needed)',
    description:
      `Each check must pass within ${CHECK_TIMEOUT_MS} ms. 503 names the failed checks; ` +
      'a process that is shutting down (draining its worker) answers 503 so that load balancers stop sending it traffic.',
  })
  @ApiOkResponse({ description: 'Every check passes.', schema: readySchema(true) })
  @ApiServiceUnavailableResponse({ description: 'A check failed.', schema: readySchema(false) })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.readiness.report();
    if (report.status !== 'ok') void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
