const NESTED_BY = Symbol('validateNestedBy');

export interface NestedResolution {
  /** The sibling property whose value picks the class (e.g. `job_type`). */
  discriminator: string;
  /** The name a resolver was defined under (DtoCompiler.defineResolver). */
  resolver: string;
}

/**
 * Validates this property with the DTO class a resolver picks by the value of a
 * sibling property: a job's `payload` by its `job_type`, through the handler
 * registry. An unknown discriminator value is reported on the discriminator field.
 * Put it beside a type rule (`@IsObject()`), which class-validator checks as usual.
 */
export function ValidateNestedBy(discriminator: string, resolver: string): PropertyDecorator {
  return (target, property) => {
    Reflect.defineMetadata(
      NESTED_BY,
      { discriminator, resolver } satisfies NestedResolution,
      target,
      property,
    );
  };
}

export function nestedResolution(
  target: abstract new (...args: never[]) => object,
  property: string,
): NestedResolution | undefined {
  return Reflect.getMetadata(NESTED_BY, target.prototype as object, property) as
    NestedResolution | undefined;
}
