import { DynamicModule } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config/configuration';
import { rootLogger } from './root-logger';

/**
 * Logging through pino (nestjs-pino): Nest's own Logger and the worker's job lines,
 * JSON lines on stdout (LOG_FORMAT=pretty for people). Request lines come from a
 * Fastify hook (request-log.ts), not from nestjs-pino's per-request middleware:
 * `forRoutes: []` leaves it unmounted (see request-log.ts for why).
 */
export function loggingModule(): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [appConfig.KEY],
    useFactory: (app: ConfigType<typeof appConfig>) => ({
      forRoutes: [],
      pinoHttp: { logger: rootLogger({ level: app.logLevel, format: app.logFormat }) },
    }),
  });
}
