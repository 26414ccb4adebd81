import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureHttpApp, createFastifyAdapter, HTTP_APP_OPTIONS } from '../../src/bootstrap';
import { WorkerAppModule } from '../../src/worker-app.module';
import { WorkerService } from '../../src/worker/worker.service';

/** Environment for a test application: small, fast defaults unless overridden. */
export function testEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    WORKER_ENABLED: 'false',
    WORKER_CONCURRENCY: '5',
    JOB_MAX_RETRIES: '3',
    JOB_BACKOFF_BASE_MS: '50',
    JOB_LEASE_MS: '5000',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    EMAIL_TRANSPORT: 'simulated',
    EMAIL_SIMULATED_DURATION_MS: '0',
    EMAIL_SIMULATED_FAILURE_RATE: '0',
    LOG_LEVEL: 'error',
    // Tests send many requests from one address; the rate-limit test sets its own.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    ...overrides,
  };
}

const originalEnv = { ...process.env };

/** The environment as it was, plus `env`: nothing set for an earlier app leaks into the next. */
export function applyEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) {
    if (!(name in originalEnv)) delete process.env[name];
  }
  Object.assign(process.env, originalEnv, env);
}

export interface TestApi {
  app: NestFastifyApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** The real HTTP application (Fastify, pipes, filters, docs) on a random port. */
export async function startApi(
  env: Record<string, string>,
  extraModules: (new () => object)[] = [],
): Promise<TestApi> {
  applyEnv(testEnv(env));
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(), ...extraModules],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
    ...HTTP_APP_OPTIONS,
    logger: ['error'],
  });
  configureHttpApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export interface TestWorker {
  context: INestApplicationContext;
  worker: WorkerService;
  close(): Promise<void>;
}

/** A headless worker (the same module `node dist/worker.js` runs), in this process. */
export async function startWorker(env: Record<string, string>): Promise<TestWorker> {
  applyEnv(testEnv(env));
  const moduleRef = await Test.createTestingModule({
    imports: [WorkerAppModule.forRoot()],
  }).compile();
  moduleRef.useLogger(['error']);
  const context = await moduleRef.init();
  return { context, worker: context.get(WorkerService), close: () => context.close() };
}
