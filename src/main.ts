import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppModule } from './app.module';
import { createHttpApp, exitOnSignals, loadEnvOrExit, logLevels } from './bootstrap';

async function main(): Promise<void> {
  const env = loadEnvOrExit();
  const app = await createHttpApp(AppModule.forRoot(), logLevels(env.app.logLevel));
  exitOnSignals(app);
  await app.listen(env.app.port, env.app.host);
  const base = `http://localhost:${env.app.port}`;
  new Logger('Main').log(
    `API listening on ${base} (worker ${env.worker.enabled ? 'in-process' : 'disabled'}). Swagger UI: ${base}/docs  ReDoc: ${base}/redoc`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
