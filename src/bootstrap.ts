import { INestApplicationContext, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { HttpErrorFilter } from './common/http-exception.filter';
import { AppValidationPipe } from './common/validation';
import { Env, EnvValidationError, LOG_LEVELS, LogLevelName, loadEnv } from './config/env';
import { securityConfig } from './config/configuration';
import { setupDocs } from './docs/docs';
import { installHttpSecurity } from './security/http-security';
import { RateLimiter } from './security/rate-limiter';

/** Largest request body accepted (413 above it). A full bulk submission of 1,000 e-mails fits. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Reads `.env` (if any) and the environment; a bad value ends the process naming the variable. */
export function loadEnvOrExit(): Env {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadEnv(process.env);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function logLevels(upTo: LogLevelName): LogLevel[] {
  return ['fatal', ...LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(upTo) + 1)];
}

/**
 * Nest's own body parsers are off (bodyParser: false): configureHttpApp installs
 * the one parser this API accepts.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false } as const;

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true });
}

/** Everything main.ts and the e2e tests both apply to the HTTP application. */
export function configureHttpApp(app: NestFastifyApplication): void {
  // Fastify and Nest also parse text/plain and form bodies; this API speaks JSON only
  // (415 for anything else). The JSON parser refuses __proto__ / constructor keys.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES },
    (request, body: Buffer, done) => {
      let text: string;
      try {
        // Invalid UTF-8 is refused, not silently replaced with U+FFFD.
        text = utf8.decode(body);
      } catch {
        done(Object.assign(new Error('Body is not valid UTF-8'), { statusCode: 400 }), undefined);
        return;
      }
      void parseJson(request, text, done);
    },
  );
  installHttpSecurity(app, app.get<Env['security']>(securityConfig.KEY), app.get(RateLimiter));
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  setupDocs(app);
}

export async function createHttpApp(
  module: unknown,
  logger: LogLevel[] | false,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module as never,
    createFastifyAdapter(),
    {
      ...HTTP_APP_OPTIONS,
      logger,
    },
  );
  configureHttpApp(app);
  return app;
}

/**
 * SIGTERM / SIGINT: close the application (the worker stops claiming and drains,
 * Redis is closed) and exit 0. Nest's own shutdown hooks would re-raise the
 * signal, which exits 143; a clean drain should look clean to the supervisor.
 * Installed before the application starts, so a signal during start-up is not
 * fatal either.
 */
export function exitOnSignals(
  app: INestApplicationContext | Promise<INestApplicationContext>,
): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining`);
    // `app` may still be starting (the headless worker installs this first): close it once up.
    Promise.resolve(app)
      .then((started) => started.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
