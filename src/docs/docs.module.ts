import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';
import { DocsDocument } from './docs-document';

@Module({ controllers: [DocsController], providers: [DocsDocument], exports: [DocsDocument] })
export class DocsModule {}
