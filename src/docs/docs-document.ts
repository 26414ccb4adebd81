import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The OpenAPI document, built on first use: after start-up, once the handler
 * registry (which the submit body's schema comes from) is filled.
 */
@Injectable()
export class DocsDocument {
  private build?: () => OpenAPIObject;
  private document?: OpenAPIObject;

  setBuilder(build: () => OpenAPIObject): void {
    this.build = build;
    this.document = undefined;
  }

  get(): OpenAPIObject {
    if (!this.build) throw new Error('The OpenAPI document has no builder (setupDocs)');
    this.document ??= this.build();
    return this.document;
  }
}
