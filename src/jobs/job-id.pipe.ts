import { Injectable, PipeTransform } from '@nestjs/common';
import { invalidFields } from '../common/error-body';

export const JOB_ID_MESSAGE = 'job_id must be a UUID';

/** Any UUID (8-4-4-4-12 hexadecimal digits), in either case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `job_id` path parameter of every `/jobs/...` route: a UUID, whatever its
 * length up to the URL limit (400 otherwise), in lower case, so an upper-case id
 * finds the same job.
 */
@Injectable()
export class JobIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw invalidFields([{ field: 'job_id', message: JOB_ID_MESSAGE }]);
    }
    return value.toLowerCase();
  }
}
