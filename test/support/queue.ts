import type Redis from 'ioredis';
import { loadEnv } from '../../src/config/env';
import { JobRepository, JobsConfig } from '../../src/queue/job.repository';

/** The jobs settings a test repository runs with: defaults, finished jobs kept, plus `overrides`. */
export function jobsSettings(overrides: Partial<JobsConfig> = {}): JobsConfig {
  return {
    ...loadEnv({}).jobs,
    retention: { completedS: 0, failedS: 0 },
    ...overrides,
  };
}

/** A JobRepository on `redis` under `prefix`, as the service builds it. */
export function repositoryFor(
  redis: Redis,
  prefix: string,
  overrides: Partial<JobsConfig> = {},
): JobRepository {
  return new JobRepository(redis, { queuePrefix: prefix }, jobsSettings(overrides));
}
