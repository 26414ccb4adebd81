import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { invalidFields } from '../error-body';
import { checkBodyShape } from './body-shape';
import { firstPerField, flattenValidationErrors } from './class-validator-errors';
import { DtoClass, DtoCompiler } from './dto-compiler';
import { isOptionalBody } from './optional-body';

const BUILT_IN: unknown[] = [String, Boolean, Number, Array, Object];

/**
 * Global validation. A request body must be a JSON object of a sane shape (depth,
 * array lengths, reserved keys: body-shape.ts), then satisfy its DTO through the
 * compiled validator (dto-compiler.ts): unknown fields are refused, not dropped,
 * types are never coerced, and every invalid field is named in one answer. The body
 * reaches the handler as parsed (a plain object of the DTO's shape).
 *
 * Other parameters with a DTO type (query strings) go through Nest's ValidationPipe
 * with class-transformer, and fail with the same error body.
 */
@Injectable()
export class BodyValidationPipe implements PipeTransform {
  private readonly others = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidFields(firstPerField(flattenValidationErrors(errors))),
  });

  constructor(private readonly compiler: DtoCompiler) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const type = metadata.metatype;
    if (metadata.type !== 'body') return this.others.transform(value, metadata);
    if (typeof type !== 'function' || BUILT_IN.includes(type)) return value;
    if (value === undefined && isOptionalBody(type)) value = {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidFields([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    const problem = checkBodyShape(value);
    if (problem) throw invalidFields([problem]);
    const issues = this.compiler.validate(type as DtoClass, value, 'first');
    if (issues.length > 0) throw invalidFields(issues);
    return value;
  }
}
