// Types for fuzz-cases.js (plain CommonJS, shared with scripts/fuzz.js).
import type { Arbitrary } from 'fast-check';
import type Redis from 'ioredis';

export type Family = 'json' | 'mutation' | 'content-type' | 'path';

/** A compact description of one request (what fast-check prints for a counterexample). */
export interface FuzzCase {
  readonly family: Family;
  readonly kind: string;
  readonly [detail: string]: unknown;
}

export interface ExpectedJob {
  priority: string;
  payload: unknown;
}

/** What the API must answer; see the header of fuzz-cases.js. */
export interface Expectation {
  statuses?: number[];
  creates: number;
  jobs?: ExpectedJob[];
  fieldErrors?: boolean;
  errorFields?: string[];
  /** A 400 names no field outside these. */
  errorFieldsWithin?: string[];
  /** A 400 carries exactly this many errors. */
  errorCount?: number;
  successAllowed?: boolean;
  /** Sent with a (first-use) Idempotency-Key: a 201 also stores one idempotency record. */
  idempotent?: boolean;
}

export interface FuzzRequest {
  family: Family;
  /** family/kind[/mutation], for tables. */
  label: string;
  method: string;
  path: string;
  /** Sent verbatim in the request line (socket transport). */
  rawPath?: Uint8Array;
  transport: 'fetch' | 'socket';
  headers: Record<string, string>;
  body?: Uint8Array;
  expect: Expectation;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
  /** The connection was reset while a body over the size limit was being sent (status 0). */
  reset?: boolean;
}

export interface FuzzCases {
  json: Arbitrary<FuzzCase>;
  mutation: Arbitrary<FuzzCase>;
  contentType: Arbitrary<FuzzCase>;
  path: Arbitrary<FuzzCase>;
  all: Arbitrary<FuzzCase>;
}

export declare const BODY_LIMIT_BYTES: number;
export declare const MAX_REPORTED_ERRORS: number;
export declare const FAMILIES: readonly Family[];

export interface FuzzOptions {
  /** Deepest nesting the deep-nesting mutations generate (default 5,000). */
  maxDepth?: number;
}

/** Reads the server's job types from its OpenAPI document; the oracle uses them from then on. */
export declare function learnJobTypes(baseUrl: string): Promise<string[]>;
export declare function makeCases(options?: FuzzOptions): FuzzCases;
/** The request for a case. */
export declare function build(c: FuzzCase): FuzzRequest;
export declare function send(baseUrl: string, req: FuzzRequest): Promise<FuzzResponse>;
/** Every invariant the response breaks; [] when it satisfies them all. */
export declare function check(req: FuzzRequest, res: FuzzResponse): string[];
export declare function createdIds(req: FuzzRequest, res: FuzzResponse): string[];
export declare function checkStoredJobs(
  redis: Redis,
  prefix: string,
  ids: string[],
  jobs: ExpectedJob[] | undefined,
): Promise<string[]>;
export declare function expectForJsonBody(
  endpoint: 'single' | 'bulk',
  bytes: Uint8Array,
): Expectation;
export declare function describeRequest(req: FuzzRequest): string;
