import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { Public } from '../security/security.decorators';

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

/** Health answers within this long, even when Redis hangs. */
const PING_TIMEOUT_MS = 800;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and Redis reachability (no API key needed)' })
  @ApiOkResponse({
    description: 'Redis answers.',
    schema: healthSchema('ok', 'up'),
  })
  @ApiServiceUnavailableResponse({
    description: 'Redis does not answer within 800 ms.',
    schema: healthSchema('error', 'down'),
  })
  async check(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: string; redis: string }> {
    const up = await Promise.race([
      this.redis.ping().then(
        () => true,
        () => false,
      ),
      sleep(PING_TIMEOUT_MS, false, { ref: false }),
    ]);
    if (up) return { status: 'ok', redis: 'up' };
    void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'error', redis: 'down' };
  }
}
