import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppModule } from './app.module';
import { createHttpApp, exitOnSignals, loadEnvOrExit } from './bootstrap';
import { configSummary } from './logging/config-summary';

async function main(): Promise<void> {
  const env = loadEnvOrExit();
  const app = await createHttpApp(AppModule.forRoot());
  exitOnSignals(app);
  await app.listen(env.app.port, env.app.host);
  const base = `http://localhost:${env.app.port}`;
  const logger = new Logger('Main');
  logger.log(configSummary(env, 'api'), 'Configuration');
  logger.log(
    `API listening on ${base} (worker ${env.worker.enabled ? 'in-process' : 'disabled'}). Swagger UI: ${base}/docs  ReDoc: ${base}/redoc`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
