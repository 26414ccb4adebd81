import type { OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { RegisteredHandler } from '../handlers/job-handler.registry';

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
