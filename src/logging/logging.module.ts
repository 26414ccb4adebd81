import { DynamicModule, RequestMethod } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config/configuration';
import { rootLogger } from './root-logger';

/** Probes scraped every few seconds: counted in the metrics, not written as request lines. */
const PROBES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** The path without its query string (which may hold a recipient, or a key someone pasted). */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Logging through pino (nestjs-pino): Nest's own Logger, the worker's job lines and one
 * line per HTTP request, all JSON lines on stdout (LOG_FORMAT=pretty for people).
 * Request lines name the request (`request_id`, echoed as X-Request-Id), its method,
 * path (no query string), status and duration; never headers (API keys) or bodies.
 * Lines logged while a request is handled carry its `request_id` too.
 */
export function loggingModule(): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [appConfig.KEY],
    useFactory: (app: ConfigType<typeof appConfig>) => ({
      // '{*path}': every route, in the path syntax of Nest 11 (no deprecation warning).
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      pinoHttp: {
        logger: rootLogger({ level: app.logLevel, format: app.logFormat }),
        // The request's id is Fastify's (bootstrap.ts: X-Request-Id or a new UUID), which
        // its middleware layer hands on to pino-http as request.id.
        // In-request lines get only the id; the request itself is on the closing line.
        quietReqLogger: true,
        customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
        customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
          error || response.statusCode >= 500
            ? 'error'
            : response.statusCode >= 400
              ? 'warn'
              : 'info',
        autoLogging: {
          // Fastify's middleware layer passes the URL relative to the mount point in `url`.
          ignore: (request: IncomingMessage & { originalUrl?: string }) =>
            PROBES.has(pathOf(request.originalUrl ?? request.url)),
        },
        // Ours see the raw objects: pino's standard ones would copy every header first.
        wrapSerializers: false,
        serializers: {
          req: (request: IncomingMessage & { originalUrl?: string }) => ({
            method: request.method,
            url: pathOf(request.originalUrl ?? request.url),
          }),
          res: (response: ServerResponse) => ({ status_code: response.statusCode }),
        },
      },
    }),
  });
}
