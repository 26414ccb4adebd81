import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { exitOnSignals, loadEnvOrExit, logLevels } from './bootstrap';
import { WorkerAppModule } from './worker-app.module';

/** Headless worker: a Nest application context without HTTP. */
async function main(): Promise<void> {
  const env = loadEnvOrExit();
  // createApplicationContext also starts the worker: handle signals before it claims anything.
  const app = NestFactory.createApplicationContext(WorkerAppModule.forRoot(), {
    logger: logLevels(env.app.logLevel),
  });
  exitOnSignals(app);
  await app;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
