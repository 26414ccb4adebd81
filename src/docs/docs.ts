import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  PathItemObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { URL_LIMIT_BYTES } from '../common/http-limits';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { addJobTypeSchemas } from '../jobs/job-openapi';
import { PUBLIC_OPERATION } from '../security/security.decorators';
import { DocsDocument } from './docs-document';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Every operation needs one of these unless it is @Public(). */
const KEYED: Record<string, string[]>[] = [{ bearer: [] }, { 'api-key': [] }];

/**
 * Builds the OpenAPI document served at /docs-json from the controllers, and finishes
 * what decorators cannot say: each operation's security (`[]` for @Public ones), the
 * 414 every route may answer, the submit body per job type from the handler registry.
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
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key (API_KEYS or ADMIN_API_KEYS) sent as `Authorization: Bearer <key>`.',
      },
      'bearer',
    )
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
    extraModels: handlers.map((h) => h.payload),
  });
  addJobTypeSchemas(document, handlers);
  for (const path of Object.values<PathItemObject>(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method] as (OperationObject & Record<string, unknown>) | undefined;
      if (!operation) continue;
      const isPublic = operation[PUBLIC_OPERATION] === true;
      delete operation[PUBLIC_OPERATION];
      operation.security = isPublic ? [] : KEYED;
      operation.responses['414'] ??= {
        description: `The URL is longer than ${URL_LIMIT_BYTES} bytes.`,
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/ErrorResponseDto' },
            example: {
              statusCode: 414,
              error: 'URI Too Long',
              message: `The URL is longer than ${URL_LIMIT_BYTES} bytes`,
              code: 'REQUEST.URI_TOO_LONG',
            },
          },
        },
      };
    }
  }
  return document;
}

/** DocsController serves the document, built on its first request. */
export function setupDocs(app: NestFastifyApplication): void {
  app.get(DocsDocument).setBuilder(() => buildOpenApiDocument(app));
}
