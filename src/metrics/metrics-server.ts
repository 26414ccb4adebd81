import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { errorBody, ErrorBody, ErrorCode } from '../common/error-body';
import { appConfig, metricsConfig, securityConfig } from '../config/configuration';
import { Readiness } from '../health/readiness';
import { UNAUTHORIZED_MESSAGE } from '../security/security-errors';
import { ApiKeyVerifier, presentedKey } from '../security/api-keys';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The headless worker's only HTTP: GET /metrics (as the API serves it) and the probes
 * GET /health/live and GET /health/ready, on METRICS_PORT (0 = off) at HOST. A plain
 * node:http server: three routes do not need a framework. Started with the
 * application and closed after the worker has drained, so readiness reports the
 * shutdown while it lasts.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;
  private readonly keys: ApiKeyVerifier;

  constructor(
    private readonly registry: Registry,
    private readonly readiness: Readiness,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(securityConfig.KEY) private readonly security: ConfigType<typeof securityConfig>,
  ) {
    this.keys = new ApiKeyVerifier(
      security.metricsRequireKey ? [...security.apiKeys, ...security.adminApiKeys] : [],
    );
  }

  /** The port listened on (METRICS_PORT, or the one the system chose for 0 in tests), if any. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.port === 0) return;
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 5000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.port, this.app.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      // Several workers on one host with the default port: the first one serves, the
      // others say why they do not (each needs its own METRICS_PORT to be scraped).
      this.logger.error(
        { port: this.config.port, error: error instanceof Error ? error.message : String(error) },
        `Cannot serve metrics on port ${this.config.port}; set METRICS_PORT to a free port (0 = off)`,
      );
      return;
    }
    this.server = server;
    this.logger.log(
      { port: this.port, host: this.app.host },
      `Metrics and health probes on http://${this.app.host}:${this.port}/metrics, /health/live, /health/ready`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return send(
          response,
          405,
          errorBody(405, ErrorCode.MethodNotAllowed, 'Only GET is served here'),
        );
      }
      if (path === '/health/live') return send(response, 200, { status: 'ok' });
      if (path === '/health/ready') {
        const report = await this.readiness.report();
        return send(response, report.status === 'ok' ? 200 : 503, report);
      }
      if (path === '/metrics') {
        if (this.keys.enabled && !this.keys.verify(presentedKey(request.headers))) {
          response.setHeader('WWW-Authenticate', 'Bearer realm="jobs"');
          return send(response, 401, errorBody(401, ErrorCode.Unauthorized, UNAUTHORIZED_MESSAGE));
        }
        const text = await this.registry.metrics();
        response.writeHead(200, {
          'Content-Type': METRICS_CONTENT_TYPE,
          'Cache-Control': 'no-store',
        });
        response.end(request.method === 'HEAD' ? undefined : text);
        return;
      }
      send(
        response,
        404,
        errorBody(
          404,
          ErrorCode.RouteNotFound,
          'Not found: this port serves /metrics, /health/live and /health/ready',
        ),
      );
    } catch (error) {
      this.logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        'Metrics request failed',
      );
      if (!response.headersSent)
        send(response, 500, errorBody(500, ErrorCode.Internal, 'Internal error'));
    }
  }
}

function send(response: ServerResponse, status: number, body: ErrorBody | object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}
