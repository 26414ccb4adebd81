import { ParseUUIDPipe } from '@nestjs/common';
import { validationException } from '../common/validation';

/** The `job_id` path parameter of every /jobs/... route: a UUID v4 (400 naming job_id otherwise). */
export const jobIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () =>
    validationException([{ field: 'job_id', message: 'job_id must be a UUID v4' }]),
});
