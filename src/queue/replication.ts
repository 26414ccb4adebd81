import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/configuration';
import { queueNode, RedisClient } from '../redis/redis-connection';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { JobError, JobErrorCode } from './job.errors';

/**
 * Replication of the writes a client relies on (submit, cancel, retry): with
 * REDIS_WAIT_REPLICAS > 0 they are answered only once that many replicas hold them
 * (`WAIT n REDIS_WAIT_TIMEOUT_MS`), so a primary lost right after the answer does
 * not take the write with it when a replica is promoted.
 *
 * WAIT counts the writes of the connection it is sent on, so it goes on the shared
 * connection that wrote (on a cluster, that connection's link to the queue's
 * primary). Other requests' writes on it are waited for too, which costs nothing
 * extra: replication is in order.
 */
@Injectable()
export class Replication {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) private readonly config: ConfigType<typeof redisConfig>,
  ) {}

  get enabled(): boolean {
    return this.config.waitReplicas > 0;
  }

  /**
   * Resolves once REDIS_WAIT_REPLICAS replicas acknowledged this connection's writes;
   * throws JOB.NOT_REPLICATED when they do not within REDIS_WAIT_TIMEOUT_MS. `what`
   * names the write in the message ("job <id>").
   */
  async confirm(what: string): Promise<void> {
    const { waitReplicas, waitTimeoutMs, queuePrefix } = this.config;
    if (waitReplicas === 0) return;
    const acknowledged = await queueNode(this.redis, queuePrefix).wait(waitReplicas, waitTimeoutMs);
    if (acknowledged >= waitReplicas) return;
    throw new JobError(
      JobErrorCode.NotReplicated,
      `${what} was written, but ${acknowledged} of the ${waitReplicas} replica(s) required ` +
        `(REDIS_WAIT_REPLICAS) acknowledged it within ${waitTimeoutMs} ms: it may still take ` +
        'effect, or be lost if the primary fails now; retry with the same Idempotency-Key',
    );
  }
}
