import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';

/** Limits on a webhook payload; the README quotes these. */
export const WEBHOOK_LIMITS = {
  urlMaxLength: 2048,
  maxHeaders: 20,
  headerNameMaxLength: 256,
  headerValueMaxLength: 8192,
  bodyMaxBytes: 256 * 1024,
  timeoutMinMs: 100,
  timeoutMaxMs: 30_000,
  timeoutDefaultMs: 10_000,
} as const;

export const WEBHOOK_METHODS = ['POST', 'PUT'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/**
 * Header names a payload may not set: hop-by-hop and framing headers (RFC 9110
 * 7.6.1, 6.1; undici refuses most of them too), and those the sender sets itself.
 */
export const RESERVED_HEADERS = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'http2-settings',
  'content-type',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
] as const;

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Printable ASCII and tab: no CR, LF or other control character. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** A value the way a message may show it: JSON-quoted and cut short. */
function shown(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.length > 40 ? `${quoted.slice(0, 37)}..."` : quoted;
}

/** What is wrong with a webhook URL, or undefined. */
export function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > WEBHOOK_LIMITS.urlMaxLength) {
    return `must be at most ${WEBHOOK_LIMITS.urlMaxLength} characters`;
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    return 'must be printable ASCII without spaces (percent-encode the rest, xn-- for international domains)';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'must be an http:// or https:// URL';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials (user:password@); send them in headers';
  }
  if (url.hostname === '') return 'must name a host';
  return undefined;
}

/** What is wrong with a headers object, or undefined. */
export function headersProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object of header names to string values';
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > WEBHOOK_LIMITS.maxHeaders) {
    return `must have at most ${WEBHOOK_LIMITS.maxHeaders} entries`;
  }
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    if (!HEADER_NAME.test(name) || name.length > WEBHOOK_LIMITS.headerNameMaxLength) {
      return `has an invalid header name ${shown(name)} (letters, digits and !#$%&'*+-.^_\`|~, at most ${WEBHOOK_LIMITS.headerNameMaxLength} characters)`;
    }
    const lower = name.toLowerCase();
    if ((RESERVED_HEADERS as readonly string[]).includes(lower)) {
      return `must not set ${name} (a hop-by-hop or framing header, or one the sender sets)`;
    }
    if (seen.has(lower)) return `names ${name} twice (header names are case-insensitive)`;
    seen.add(lower);
    if (
      typeof headerValue !== 'string' ||
      !HEADER_VALUE.test(headerValue) ||
      headerValue.length > WEBHOOK_LIMITS.headerValueMaxLength
    ) {
      return `has an invalid value for ${name} (a string of printable ASCII and tabs, no line breaks, at most ${WEBHOOK_LIMITS.headerValueMaxLength} characters)`;
    }
  }
  return undefined;
}

/** The body as it is sent: its JSON text. */
export function serializedBody(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** What is wrong with a body, or undefined. */
export function bodyProblem(value: unknown): string | undefined {
  const bytes = Buffer.byteLength(serializedBody(value), 'utf8');
  if (bytes > WEBHOOK_LIMITS.bodyMaxBytes) {
    return `must be at most ${WEBHOOK_LIMITS.bodyMaxBytes} bytes as JSON (got ${bytes})`;
  }
  return undefined;
}

/** A class-validator rule from a `problem` function; the message starts with the field. */
function Satisfies(
  name: string,
  problem: (value: unknown) => string | undefined,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => problem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'value'} ${problem(args?.value) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** The `webhook` job's payload: where to send what. */
export class WebhookPayloadDto {
  @ApiProperty({
    example: 'https://hooks.example.com/orders',
    description:
      `Where to send: an absolute http:// or https:// URL, at most ${WEBHOOK_LIMITS.urlMaxLength} ` +
      'printable ASCII characters, without credentials. By default its host must resolve to a ' +
      'public address (WEBHOOK_ALLOW_PRIVATE).',
    maxLength: WEBHOOK_LIMITS.urlMaxLength,
  })
  @Satisfies('isWebhookUrl', urlProblem)
  readonly url!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_METHODS, default: 'POST' })
  @IsOptional()
  @IsIn(WEBHOOK_METHODS)
  readonly method?: WebhookMethod;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    maxProperties: WEBHOOK_LIMITS.maxHeaders,
    example: { Authorization: 'Bearer 0123456789abcdef', 'X-Tenant': 'acme' },
    description:
      `Extra request headers, at most ${WEBHOOK_LIMITS.maxHeaders}. Not allowed: ` +
      `${RESERVED_HEADERS.join(', ')} (hop-by-hop, framing, or set by the sender).`,
  })
  @IsOptional()
  @Satisfies('isHeaderMap', headersProblem)
  readonly headers?: Record<string, string>;

  @ApiPropertyOptional({
    // Any JSON value: OpenAPI 3.0 has no "any" type keyword, so every kind is listed
    // (null through the object kind: 3.0 marks null with `nullable` beside a type).
    oneOf: [
      { type: 'object', nullable: true },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
    example: { event: 'order.paid', order_id: 1234 },
    description:
      `Any JSON value, sent as the request body with Content-Type: application/json ` +
      `(at most ${WEBHOOK_LIMITS.bodyMaxBytes} bytes as JSON). Omitted: an empty body; null is sent as null.`,
  })
  @IsOptional()
  @Satisfies('isJsonWithin', bodyProblem)
  readonly body?: unknown;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: WEBHOOK_LIMITS.timeoutMinMs,
    maximum: WEBHOOK_LIMITS.timeoutMaxMs,
    default: WEBHOOK_LIMITS.timeoutDefaultMs,
    description: 'Limit for the whole exchange (connect, request, response), in ms.',
  })
  @IsOptional()
  @IsInt({ message: timeoutMessage })
  @Min(WEBHOOK_LIMITS.timeoutMinMs, { message: timeoutMessage })
  @Max(WEBHOOK_LIMITS.timeoutMaxMs, { message: timeoutMessage })
  readonly timeout_ms?: number;
}

function timeoutMessage(args: ValidationArguments): string {
  return `${args.property} must be an integer between ${WEBHOOK_LIMITS.timeoutMinMs} and ${WEBHOOK_LIMITS.timeoutMaxMs}`;
}
