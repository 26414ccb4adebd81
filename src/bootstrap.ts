import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, ErrorCode } from './common/error-body';
import { ApiError } from './common/error-body';
import { frameworkError, HttpErrorFilter } from './common/http-exception.filter';
import { BODY_LIMIT_BYTES, URI_TOO_LONG_MESSAGE, URL_LIMIT_BYTES } from './common/http-limits';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { Env, EnvValidationError, loadEnv, TrustProxy } from './config/env';
import { appConfig, securityConfig } from './config/configuration';
import { setupDocs } from './docs/docs';
import { REQUEST_ID_HEADER, requestIdFrom } from './logging/request-id';
import { installRequestLog } from './logging/request-log';
import { rootLogger } from './logging/root-logger';
import { HttpMetrics } from './metrics/http-metrics';
import { installSecurityHeaders } from './security/security-headers';

export { BODY_LIMIT_BYTES, URL_LIMIT_BYTES };

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

/**
 * Nest's own messages (and every `new Logger(...)` in the code) go to pino from here
 * on; what was logged while the application was being built is written now.
 */
export function useStructuredLogs(app: INestApplicationContext): void {
  app.useLogger(app.get(PinoNestLogger));
  app.flushLogs();
}

/**
 * Nest's own body parsers are off (bodyParser: false): configureHttpApp installs
 * the one parser this API accepts.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false } as const;

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers over 16 KiB,
 * a malformed request line): answered in the API's error shape, then the socket is closed.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? errorBody(431, ErrorCode.HeadersTooLarge, 'The request line and headers exceed 16 KiB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errorBody(408, ErrorCode.BadRequest, 'The request took too long to arrive')
        : errorBody(400, ErrorCode.BadRequest, 'request is not valid HTTP');
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function createFastifyAdapter(
  trustProxy: TrustProxy = loadEnv(process.env).security.trustProxy,
): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // A path parameter may be as long as the URL: the route validates it (job_id: 400).
    routerOptions: { maxParamLength: URL_LIMIT_BYTES },
    trustProxy,
    clientErrorHandler,
    // The caller's X-Request-Id when it is a sane token; the request lines log it.
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers[REQUEST_ID_HEADER]),
    // Errors Fastify answers before any route (a bad percent-encoding in the URL).
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      const body =
        frameworkError(error) ?? errorBody(400, ErrorCode.BadRequest, 'request is not valid');
      void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
    },
  });
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
        done(
          new ApiError(errorBody(400, ErrorCode.InvalidUtf8, 'body is not valid UTF-8')),
          undefined,
        );
        return;
      }
      // Parser errors become our own (Nest would keep only their status and message).
      void parseJson(request, text, (error, value) => {
        if (!error) return done(null, value);
        // Valid JSON refused by the secure parser: it holds __proto__ or constructor.prototype.
        const forbidden = isJson(text);
        const body = forbidden
          ? errorBody(
              400,
              ErrorCode.InvalidJson,
              'body contains a forbidden key (__proto__ or constructor.prototype)',
            )
          : (frameworkError(error) ??
            errorBody(400, ErrorCode.InvalidJson, 'body is not valid JSON'));
        done(new ApiError(body), undefined);
      });
    },
  );
  // The whole request target is limited (414); shorter ones reach their route.
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (request.raw.url !== undefined && request.raw.url.length > URL_LIMIT_BYTES) {
      const body = errorBody(414, ErrorCode.UriTooLong, URI_TOO_LONG_MESSAGE);
      return reply.code(414).type('application/json; charset=utf-8').send(body);
    }
  });
  app.get(HttpMetrics).install(fastify);
  const { logLevel, logFormat } = app.get<Env['app']>(appConfig.KEY);
  installRequestLog(fastify, rootLogger({ level: logLevel, format: logFormat }));
  installSecurityHeaders(app, app.get<Env['security']>(securityConfig.KEY));
  app.useGlobalFilters(new HttpErrorFilter());
  setupDocs(app);
}

export async function createHttpApp(module: unknown): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module as never,
    createFastifyAdapter(),
    // Held until the pino logger is in place, so that every line is JSON.
    { ...HTTP_APP_OPTIONS, bufferLogs: true },
  );
  useStructuredLogs(app);
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
