import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitOnSignals, loadEnvOrExit, useStructuredLogs } from './bootstrap';
import { configSummary } from './logging/config-summary';
import { WorkerAppModule } from './worker-app.module';

/** Headless worker: a Nest application context without HTTP. */
async function main(): Promise<void> {
  const env = loadEnvOrExit();
  // createApplicationContext also starts the worker: handle signals before it claims anything.
  const app = NestFactory.createApplicationContext(WorkerAppModule.forRoot(), {
    bufferLogs: true,
  });
  exitOnSignals(app);
  useStructuredLogs(await app);
  new Logger('Main').log(configSummary(env, 'worker'), 'Configuration');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
