import { Injectable } from '@nestjs/common';
import {
  getMetadataStorage,
  ValidationArguments,
  ValidationTypes,
  ValidatorConstraintInterface,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { FieldIssue } from './field-error';
import { nestedResolution } from './validate-nested-by';

/* eslint-disable @typescript-eslint/no-require-imports -- the two internals read below have no public entry point */
// class-validator's own message templating ($property, $constraint1...), so messages match it exactly.
const { ValidationUtils } = require('class-validator/cjs/validation/ValidationUtils') as {
  ValidationUtils: {
    replaceMessageSpecialTokens(
      message: string | ((args: ValidationArguments) => string),
      args: ValidationArguments,
    ): string;
  };
};
// class-transformer's @Type(() => X) metadata: which class a nested property or array holds.
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: {
    findTypeMetadata(target: object, property: string): { typeFunction: () => unknown } | undefined;
  };
};
/* eslint-enable @typescript-eslint/no-require-imports */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DTO constructors take any arguments
export type DtoClass = new (...args: any[]) => object;

/**
 * How a `@ValidateNestedBy` property finds its class: the allowed values of the
 * discriminator (for the error message) and the class for one of them.
 */
export interface NestedResolver {
  choices(): readonly string[];
  resolve(discriminator: string): DtoClass | undefined;
}

/**
 * `first`: one issue per invalid field, the most basic rule it breaks (what the API
 * answers). `all`: every rule broken, as class-validator reports them (for tests).
 */
export type IssueMode = 'first' | 'all';

/** Validates a body already known to be a JSON object; appends to `out`. */
export type ObjectValidator = (
  object: Record<string, unknown>,
  path: string,
  out: FieldIssue[],
  mode: IssueMode,
) => void;

/** Rules checked first when choosing the one message of a field: the value's kind before its details. */
const BASIC_RULES = [
  'isDefined',
  'isString',
  'isNumber',
  'isInt',
  'isBoolean',
  'isObject',
  'isArray',
  'isDate',
  'isEnum',
  'isIn',
  'nestedValidation',
];

interface Check {
  constraint: string;
  rank: number;
  each: boolean;
  validate: (value: unknown, args: ValidationArguments) => unknown;
  validateIf?: (object: object, value: unknown) => boolean;
  metadata: ValidationMetadata;
  instance: ValidatorConstraintInterface;
  /** Reused for every call (validation is synchronous): no allocation per check. */
  args: ValidationArguments;
}

interface PropertyPlan {
  name: string;
  conditions: ((object: object, value: unknown) => boolean)[];
  checks: Check[];
  nested?: { metadata: ValidationMetadata; each: boolean; target: () => ObjectValidator };
  byDiscriminator?: { discriminator: string; resolver: string };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** class-validator words messages from the property alone ("to must be ..."); name the whole path. */
export function nameField(message: string, property: string, field: string): string {
  if (field === property) return message;
  if (message.startsWith(`${property} `)) return `${field}${message.slice(property.length)}`;
  const unknown = `property ${property} `;
  if (message.startsWith(unknown)) return `property ${field} ${message.slice(unknown.length)}`;
  return `${field}: ${message}`;
}

/**
 * Compiles class-validator DTOs, once, into plain validation functions: the DTO's
 * decorators stay the one declaration of the contract (they also drive the OpenAPI
 * document and the messages), but a request no longer goes through class-transformer
 * and class-validator's generic executor. Each constraint's own validator is called
 * directly, with class-validator's semantics for the options the API uses (whitelist +
 * forbidNonWhitelisted, forbidUnknownValues, no coercion): IsOptional / ValidateIf,
 * IsDefined, `each`, ValidateNested with @Type (objects and arrays of them), custom
 * constraints and decorators, messages with class-validator's own templating, plus
 * `@ValidateNestedBy` (a nested DTO chosen by a sibling property, e.g. a job's payload
 * by its job_type). Differences, on purpose: an array element of a nested array must be
 * an object (class-validator would descend into nested arrays), and in `first` mode a
 * field gets one message (a missing required value: "<field> is required").
 */
@Injectable()
export class DtoCompiler {
  private readonly compiled = new Map<DtoClass, ObjectValidator>();
  private readonly resolvers = new Map<string, NestedResolver>();

  /** Makes `@ValidateNestedBy(discriminator, name)` properties resolvable. */
  defineResolver(name: string, resolver: NestedResolver): void {
    this.resolvers.set(name, resolver);
  }

  /** The validator of a DTO class (compiled on first use, then cached). */
  validator(target: DtoClass): ObjectValidator {
    let compiled = this.compiled.get(target);
    if (!compiled) {
      // A placeholder first: a DTO that (indirectly) nests itself compiles once.
      const slot: { real?: ObjectValidator } = {};
      this.compiled.set(target, (o, p, out, m) => (slot.real as ObjectValidator)(o, p, out, m));
      slot.real = this.compile(target);
      this.compiled.set(target, slot.real);
      compiled = slot.real;
    }
    return compiled;
  }

  /** Validates any value as a `target` body; [] when valid. */
  validate(target: DtoClass, value: unknown, mode: IssueMode = 'first', path = ''): FieldIssue[] {
    const out: FieldIssue[] = [];
    if (!isPlainObject(value)) {
      const field = path || 'body';
      out.push({ field, message: `${field} must be a JSON object`, constraint: 'isObject' });
      return out;
    }
    this.validator(target)(value, path, out, mode);
    return out;
  }

  private compile(target: DtoClass): ObjectValidator {
    const storage = getMetadataStorage();
    const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
    if (metadatas.length === 0) {
      throw new Error(`${target.name} has no class-validator decorators: nothing to validate`);
    }
    const grouped = storage.groupByPropertyName(metadatas);
    const known = new Set(Object.keys(grouped));
    const plans = Object.entries(grouped).map(([name, list]) => this.plan(target, name, list));
    const className = target.name;
    const resolvers = this.resolvers;

    return (object, path, out, mode) => {
      // whitelist + forbidNonWhitelisted: unknown keys are refused, never dropped.
      for (const key of Object.keys(object)) {
        if (!known.has(key)) {
          const field = path ? `${path}.${key}` : key;
          out.push({
            field,
            message: `property ${field} should not exist`,
            constraint: ValidationTypes.WHITELIST,
          });
        }
      }
      let failed: string[] | undefined;
      for (const plan of plans) {
        const value = object[plan.name];
        const field = path ? `${path}.${plan.name}` : plan.name;
        if (!runProperty(plan, object, value, field, className, out, mode)) {
          (failed ??= []).push(plan.name);
        }
      }
      for (const plan of plans) {
        if (plan.byDiscriminator) {
          validateByDiscriminator(plan, object, path, failed, resolvers, out, mode, this);
        }
      }
    };
  }

  private plan(target: DtoClass, name: string, list: ValidationMetadata[]): PropertyPlan {
    const storage = getMetadataStorage();
    const plan: PropertyPlan = { name, conditions: [], checks: [] };
    let position = 0;
    // IsDefined first, as class-validator runs it before the other rules.
    const ordered = [
      ...list.filter((m) => m.type === ValidationTypes.IS_DEFINED),
      ...list.filter((m) => m.type !== ValidationTypes.IS_DEFINED),
    ];
    for (const metadata of ordered) {
      switch (metadata.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          plan.conditions.push(metadata.constraints[0] as (o: object, v: unknown) => boolean);
          break;
        case ValidationTypes.WHITELIST:
          break; // @Allow: known, no rule
        case ValidationTypes.NESTED_VALIDATION: {
          const type = defaultMetadataStorage.findTypeMetadata(target, name)?.typeFunction();
          const designType = Reflect.getMetadata(
            'design:type',
            target.prototype as object,
            name,
          ) as unknown;
          const nestedClass = (type ?? designType) as DtoClass | undefined;
          if (
            typeof nestedClass !== 'function' ||
            nestedClass === Array ||
            nestedClass === Object
          ) {
            throw new Error(`${target.name}.${name}: @ValidateNested needs @Type(() => Class)`);
          }
          plan.nested = {
            metadata,
            each: metadata.each,
            target: () => this.validator(nestedClass),
          };
          break;
        }
        case ValidationTypes.PROMISE_VALIDATION:
          throw new Error(`${target.name}.${name}: promise validation is not supported`);
        default: {
          for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
            if (constraint.async) {
              throw new Error(`${target.name}.${name}: async constraint ${constraint.name}`);
            }
            const instance: ValidatorConstraintInterface = constraint.instance;
            const basic = BASIC_RULES.indexOf(constraint.name);
            plan.checks.push({
              constraint: constraint.name || metadata.type,
              rank: basic >= 0 ? basic : BASIC_RULES.length + position++,
              each: metadata.each,
              validate: instance.validate.bind(instance),
              validateIf: metadata.validateIf,
              metadata,
              instance,
              args: {
                targetName: target.name,
                property: name,
                object: {},
                value: undefined,
                constraints: metadata.constraints,
              },
            });
          }
        }
      }
    }
    const by = nestedResolution(target, name);
    if (by) plan.byDiscriminator = by;
    return plan;
  }
}

function passes(check: Check, object: object, value: unknown): boolean {
  if (check.validateIf && !check.validateIf(object, value)) return true;
  const args = check.args;
  args.object = object;
  args.value = value;
  if (check.each && Array.isArray(value)) {
    for (const item of value) if (!check.validate(item, args)) return false;
    return true;
  }
  return Boolean(check.validate(value, args));
}

function message(
  metadata: ValidationMetadata,
  instance: ValidatorConstraintInterface | undefined,
  object: object,
  value: unknown,
  className: string,
  property: string,
): string {
  const args: ValidationArguments = {
    targetName: className,
    property: metadata.propertyName,
    object,
    value,
    constraints: metadata.constraints,
  };
  const template = metadata.message || (instance?.defaultMessage?.(args) ?? '');
  return ValidationUtils.replaceMessageSpecialTokens(template, args) ?? `${property} is invalid`;
}

/** One property: its rules, then its nested DTO. Returns false when the property itself failed. */
function runProperty(
  plan: PropertyPlan,
  object: Record<string, unknown>,
  value: unknown,
  field: string,
  className: string,
  out: FieldIssue[],
  mode: IssueMode,
): boolean {
  for (const condition of plan.conditions) if (!condition(object, value)) return true;
  let worst: Check | undefined;
  for (const check of plan.checks) {
    if (passes(check, object, value)) continue;
    if (mode === 'all') {
      const text = message(check.metadata, check.instance, object, value, className, plan.name);
      out.push({ field, message: nameField(text, plan.name, field), constraint: check.constraint });
    }
    if (!worst || check.rank < worst.rank) worst = check;
  }
  if (worst && mode === 'first') {
    if (value === undefined || value === null) {
      out.push({ field, message: `${field} is required`, constraint: 'isDefined' });
    } else {
      const text = message(worst.metadata, worst.instance, object, value, className, plan.name);
      out.push({ field, message: nameField(text, plan.name, field), constraint: worst.constraint });
    }
    return false;
  }
  const nested = plan.nested;
  if (nested && value !== undefined) {
    if (Array.isArray(value) && nested.each) {
      const validate = nested.target();
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const at = `${field}.${i}`;
        if (isPlainObject(item)) validate(item, at, out, mode);
        else out.push(notAnObject(nested.metadata, object, item, className, plan.name, at, mode));
      }
    } else if (isPlainObject(value)) {
      nested.target()(value, field, out, mode);
    } else if (mode === 'all' || !worst) {
      out.push(notAnObject(nested.metadata, object, value, className, plan.name, field, mode));
    }
  }
  return worst === undefined;
}

function notAnObject(
  metadata: ValidationMetadata,
  object: object,
  value: unknown,
  className: string,
  property: string,
  field: string,
  mode: IssueMode,
): FieldIssue {
  const text =
    mode === 'all'
      ? nameField(
          message(metadata, undefined, object, value, className, property),
          field.slice(field.lastIndexOf('.') + 1),
          field,
        )
      : value === null
        ? `${field} is required`
        : `${field} must be an object`;
  return { field, message: text, constraint: ValidationTypes.NESTED_VALIDATION };
}

function validateByDiscriminator(
  plan: PropertyPlan,
  object: Record<string, unknown>,
  path: string,
  failed: string[] | undefined,
  resolvers: Map<string, NestedResolver>,
  out: FieldIssue[],
  mode: IssueMode,
  compiler: DtoCompiler,
): void {
  const { discriminator, resolver: resolverName } = plan.byDiscriminator as {
    discriminator: string;
    resolver: string;
  };
  const resolver = resolvers.get(resolverName);
  if (!resolver) throw new Error(`no resolver "${resolverName}" is defined for ValidateNestedBy`);
  const kind = object[discriminator];
  if (typeof kind !== 'string') return;
  const target = resolver.resolve(kind);
  if (!target) {
    if (mode === 'all' || !failed?.includes(discriminator)) {
      const field = path ? `${path}.${discriminator}` : discriminator;
      out.push({
        field,
        message: `${field} must be one of the following values: ${resolver.choices().join(', ')}`,
        constraint: 'isIn',
      });
    }
    return;
  }
  const value = object[plan.name];
  if (!isPlainObject(value) || (mode === 'first' && failed?.includes(plan.name))) return;
  compiler.validator(target)(value, path ? `${path}.${plan.name}` : plan.name, out, mode);
}
