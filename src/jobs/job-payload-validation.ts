import { Injectable, OnModuleInit } from '@nestjs/common';
import { DtoCompiler } from '../common/validation/dto-compiler';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { JOB_PAYLOAD } from './dto/submit-job.dto';

/** A job's payload is validated by the DTO its job_type's handler declares. */
@Injectable()
export class JobPayloadValidation implements OnModuleInit {
  constructor(
    private readonly compiler: DtoCompiler,
    private readonly handlers: JobHandlerRegistry,
  ) {}

  onModuleInit(): void {
    this.compiler.defineResolver(JOB_PAYLOAD, {
      choices: () => this.handlers.types,
      resolve: (type) => this.handlers.get(type)?.payload,
    });
  }
}
