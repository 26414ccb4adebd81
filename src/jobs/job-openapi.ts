import { ApiParam, type OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DocumentedError, invalidFieldsError } from '../common/api-error-response';
import type { RegisteredHandler } from '../handlers/job-handler.registry';
import { JobErrorCode } from '../queue/job.errors';
import { JOB_ID_MESSAGE } from './job-id.pipe';

/** The job id the document's examples use. */
export const EXAMPLE_JOB_ID = '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11';

/** The `job_id` path parameter, as JobIdPipe takes it. */
export const ApiJobIdParam = (): MethodDecorator =>
  ApiParam({
    name: 'job_id',
    description: 'The job id: any UUID, in either case.',
    schema: { type: 'string', format: 'uuid' },
    example: EXAMPLE_JOB_ID,
  });

export const INVALID_JOB_ID: DocumentedError = invalidFieldsError('The id is not a UUID.', [
  { field: 'job_id', message: JOB_ID_MESSAGE },
]);

export const JOB_NOT_FOUND: DocumentedError = {
  description: 'No such job (never submitted, or expired after its retention period).',
  code: JobErrorCode.NotFound,
  message: `job ${EXAMPLE_JOB_ID} not found`,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function pascal(type: string): string {
  return type
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The submit body, per job type, from the handler registry: `SubmitJobDto` becomes a
 * oneOf of one schema per registered job_type (its `payload` the schema of that
 * handler's payload DTO), with a discriminator on job_type. A new job type shows up
 * here by being registered. The payload DTOs' schemas must be in the document
 * (createDocument's extraModels).
 */
export function addJobTypeSchemas(
  document: OpenAPIObject,
  handlers: readonly RegisteredHandler[],
): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const envelope = schemas.SubmitJobDto;
  if (!envelope?.properties) throw new Error('SubmitJobDto is missing from the OpenAPI document');
  const mapping: Record<string, string> = {};
  const variants = handlers.map((handler) => {
    const name = `${pascal(handler.type)}Job`;
    schemas[name] = {
      type: 'object',
      description: `A \`${handler.type}\` job.`,
      required: ['job_type', 'priority', 'payload'],
      additionalProperties: false,
      properties: {
        ...envelope.properties,
        job_type: {
          type: 'string',
          enum: [handler.type],
          example: handler.type,
          description: 'Job type; a handler must exist for it.',
        },
        payload: ref(handler.payload.name),
      },
    };
    mapping[handler.type] = ref(name).$ref;
    return ref(name);
  });
  schemas.SubmitJobDto = {
    description: 'One job: its type, priority and the payload its type defines.',
    oneOf: variants,
    discriminator: { propertyName: 'job_type', mapping },
  };
}
