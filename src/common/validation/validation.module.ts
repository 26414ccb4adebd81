import { Global, Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { BodyValidationPipe } from './body-validation.pipe';
import { DtoCompiler } from './dto-compiler';

/** The DTO compiler (one per application) and the global validation pipe built on it. */
@Global()
@Module({
  providers: [DtoCompiler, { provide: APP_PIPE, useClass: BodyValidationPipe }],
  exports: [DtoCompiler],
})
export class ValidationModule {}
