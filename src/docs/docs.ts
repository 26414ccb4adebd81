import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

const REDOC_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Job Queue API - ReDoc</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/docs-json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`;

/**
 * Swagger UI at /docs, the OpenAPI document at /docs-json, ReDoc at /redoc. Every
 * asset is served by this process (swagger-ui-dist through @nestjs/swagger, ReDoc's
 * standalone bundle from the redoc package), so the docs work offline.
 */
export function setupDocs(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Job Queue API')
    .setDescription(
      'Submit background jobs (first of all `send_email`) with a priority, and track them. ' +
        'Jobs run at least once, high priority strictly before low, with retries and exponential backoff.',
    )
    .setVersion('1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Job Queue API',
  });

  const redocBundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/redoc', (_request, reply) => {
    void reply.type('text/html; charset=utf-8').send(REDOC_HTML);
  });
  fastify.get('/redoc/redoc.standalone.js', (_request, reply) => {
    void reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(redocBundle);
  });
}
