import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DOCS_CSP } from '../security/security-headers';
import { Public } from '../security/security.decorators';
import { DocsDocument } from './docs-document';

const SWAGGER_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Job Queue API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/swagger-ui-init.js"></script>
  </body>
</html>
`;

const SWAGGER_INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/docs-json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;

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

const JS = 'application/javascript; charset=utf-8';
/** The Swagger UI files served, read once; nothing else of swagger-ui-dist is reachable. */
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, { type: string; body: Buffer | string }> = {
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(join(SWAGGER_DIR, 'swagger-ui.css')),
  },
  'swagger-ui-bundle.js': {
    type: JS,
    body: readFileSync(join(SWAGGER_DIR, 'swagger-ui-bundle.js')),
  },
  'swagger-ui-standalone-preset.js': {
    type: JS,
    body: readFileSync(join(SWAGGER_DIR, 'swagger-ui-standalone-preset.js')),
  },
  'favicon-32x32.png': {
    type: 'image/png',
    body: readFileSync(join(SWAGGER_DIR, 'favicon-32x32.png')),
  },
  'swagger-ui-init.js': { type: JS, body: SWAGGER_INIT },
};

/**
 * Swagger UI at /docs, the OpenAPI document at /docs-json, ReDoc at /redoc. Every
 * asset comes from this process (swagger-ui-dist and redoc's standalone bundle), so
 * the docs work offline. Public unless DOCS_REQUIRE_KEY=true; their own CSP.
 */
@ApiExcludeController()
@Public('docs')
@Controller()
export class DocsController {
  private redocBundle?: Buffer;

  constructor(private readonly document: DocsDocument) {}

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_CSP)
  swaggerUi(): string {
    return SWAGGER_HTML;
  }

  @Get('docs/:asset')
  @Header('content-security-policy', DOCS_CSP)
  @Header('cache-control', 'public, max-age=86400')
  swaggerAsset(
    @Param('asset') name: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | string {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) throw new NotFoundException();
    void reply.type(asset.type);
    return asset.body;
  }

  @Get('docs-json')
  @Header('content-security-policy', DOCS_CSP)
  openApi(): object {
    return this.document.get();
  }

  @Get('redoc')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_CSP)
  redoc(): string {
    return REDOC_HTML;
  }

  @Get('redoc/redoc.standalone.js')
  @Header('content-type', JS)
  @Header('content-security-policy', DOCS_CSP)
  @Header('cache-control', 'public, max-age=86400')
  redocScript(): Buffer {
    this.redocBundle ??= readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
    return this.redocBundle;
  }
}
