import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  PathItemObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import {
  BODY_TOO_LARGE,
  errorResponseObject,
  UNSUPPORTED_MEDIA_TYPE,
  URI_TOO_LONG,
} from '../common/api-error-response';
import { ErrorResponseDto, InvalidRequestResponseDto } from '../common/error-response.dto';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { addJobTypeSchemas } from '../jobs/job-openapi';
import { PUBLIC_OPERATION } from '../security/security.decorators';
import { RATE_LIMITED, UNAUTHORIZED } from '../security/security-errors';
import { DocsDocument } from './docs-document';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Methods whose requests may carry a body: any body sent must be JSON of at most 1 MiB. */
const BODY_METHODS: ReadonlySet<string> = new Set(['put', 'post', 'patch', 'delete']);
/** Every operation needs one of these unless it is @Public(). */
const KEYED: Record<string, string[]>[] = [{ bearer: [] }, { 'api-key': [] }];

/**
 * Builds the OpenAPI document served at /docs-json from the controllers, and adds in
 * one place what follows from the request pipeline rather than from one route: each
 * operation's security (`[]` for @Public ones), the 401 and 429 of the API-key and
 * rate-limit guards (every route but @Public ones), the 413 and 415 of the body
 * parser (every method with a body), the 414 of the URL limit (every route), and the
 * submit body per job type from the handler registry.
 */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const handlers = app.get(JobHandlerRegistry, { strict: false }).all;
  const config = new DocumentBuilder()
    .setTitle('Job Queue API')
    .setDescription(
      'Submit background jobs with a priority, and track them. Jobs run at least once, ' +
        'high priority strictly before low, with retries and exponential backoff. Job types: ' +
        handlers.map((h) => `\`${h.type}\``).join(', ') +
        '. Every error has one shape (`statusCode`, `error`, `message`, `code`, and `errors` on a 400).',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This server')
    .addTag('jobs', 'Submit jobs, one or up to 1,000 at once, and follow their status.')
    .addTag(
      'operations',
      'Find jobs, cancel and retry them, purge finished ones, and queue statistics. The steering ' +
        'routes (cancel, retry, retry-failed, purge) need an admin key when ADMIN_API_KEYS is set.',
    )
    .addTag('health', 'Liveness and Redis reachability, for load balancers and orchestrators.')
    // An opaque API key, not a JWT: no bearerFormat.
    .addSecurity('bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key (API_KEYS or ADMIN_API_KEYS) sent as `Authorization: Bearer <key>`.',
    })
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'An API key (API_KEYS or ADMIN_API_KEYS) in the X-API-Key header.',
      },
      'api-key',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponseDto, InvalidRequestResponseDto, ...handlers.map((h) => h.payload)],
  });
  addJobTypeSchemas(document, handlers);
  for (const path of Object.values<PathItemObject>(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method] as (OperationObject & Record<string, unknown>) | undefined;
      if (!operation) continue;
      const isPublic = operation[PUBLIC_OPERATION] === true;
      delete operation[PUBLIC_OPERATION];
      operation.security = isPublic ? [] : KEYED;
      const responses = operation.responses;
      if (!isPublic) {
        responses['401'] ??= errorResponseObject(401, UNAUTHORIZED);
        responses['429'] ??= errorResponseObject(429, RATE_LIMITED);
      }
      if (BODY_METHODS.has(method)) {
        responses['413'] ??= errorResponseObject(413, BODY_TOO_LARGE);
        responses['415'] ??= errorResponseObject(415, UNSUPPORTED_MEDIA_TYPE);
      }
      responses['414'] ??= errorResponseObject(414, URI_TOO_LONG);
    }
  }
  return document;
}

/** DocsController serves the document, built on its first request. */
export function setupDocs(app: NestFastifyApplication): void {
  app.get(DocsDocument).setBuilder(() => buildOpenApiDocument(app));
}
