import { Module } from '@nestjs/common';
import { Readiness } from './readiness';

/** Readiness checks, shared by the API's /health/ready and the headless worker's probe server. */
@Module({ providers: [Readiness], exports: [Readiness] })
export class ReadinessModule {}
