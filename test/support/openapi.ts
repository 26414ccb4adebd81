import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

interface Operation {
  operationId: string;
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema?: Json }> }
  >;
}

/** `GET /jobs/{job_id}`: an operation as the document names it. */
export type OperationKey = `${Uppercase<string>} /${string}`;

/** Every documented (operation, status), as `GET /jobs/{job_id} 404`. */
export function documentedStatuses(document: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const status of Object.keys(operation.responses)) {
        out.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  return out.sort();
}

/**
 * Path templates that one request could match, for the same method (what Redocly's
 * no-ambiguous-paths rule checks, but per method): `/jobs/{id}/x` and `/jobs/y/{id}`.
 */
export function ambiguousPaths(document: OpenApiDocument): string[] {
  const isVar = (part: string) => /^{.+}$/.test(part);
  const overlap = (a: string, b: string): boolean => {
    const pa = a.split('/');
    const pb = b.split('/');
    if (pa.length !== pb.length) return false;
    let varsA = 0;
    let varsB = 0;
    for (let i = 0; i < pa.length; i++) {
      if (isVar(pa[i]) || isVar(pb[i])) {
        varsA += Number(isVar(pa[i]));
        varsB += Number(isVar(pb[i]));
      } else if (pa[i] !== pb[i]) {
        return false;
      }
    }
    // As the Redocly rule: a static segment beats a variable one only when the counts differ.
    return varsA === varsB;
  };
  const found: string[] = [];
  const paths = Object.keys(document.paths);
  for (const method of HTTP_METHODS) {
    const withMethod = paths.filter((path) => document.paths[path][method]);
    withMethod.forEach((a, i) => {
      for (const b of withMethod.slice(i + 1)) {
        if (overlap(a, b)) found.push(`${method.toUpperCase()} ${a} and ${b}`);
      }
    });
  }
  return found;
}

/**
 * Object schemas with declared properties become closed (`additionalProperties: false`)
 * for the response check: a field the API sends must be in the document. The document
 * itself stays open to additions, as public contracts should.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // `example` holds data, not schemas.
    out[key] = key === 'example' ? value : closed(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/**
 * Validates response bodies against the schemas the document gives them, with Ajv over
 * the document's own components (OpenAPI 3.0: `nullable`, formats; `example` is data).
 */
export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(this.ajv);
    // OpenAPI annotations Ajv does not know; they constrain nothing.
    this.ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
    // The document's schemas as one resource, `openapi#/definitions/<name>`.
    this.ajv.addSchema({
      $id: 'openapi',
      definitions: rebase(closed(document.components.schemas) as Json, '#/definitions/'),
    });
  }

  private responseOf(operation: OperationKey, status: number) {
    const [method, path] = operation.split(' ');
    return this.document.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
  }

  /** The JSON schema of one documented response, or undefined when it is not documented. */
  schemaOf(operation: OperationKey, status: number): Json | undefined {
    return this.responseOf(operation, status)?.content?.['application/json']?.schema;
  }

  /** The media types one documented response declares. */
  mediaTypesOf(operation: OperationKey, status: number): string[] {
    return Object.keys(this.responseOf(operation, status)?.content ?? {});
  }

  /** The headers the document says one response carries (lower case). */
  headersOf(operation: OperationKey, status: number): string[] {
    return Object.keys(this.responseOf(operation, status)?.headers ?? {}).map((name) =>
      name.toLowerCase(),
    );
  }

  /** Ajv's errors for `body` as the `status` response of `operation`; [] when it conforms. */
  validate(operation: OperationKey, status: number, body: unknown): string[] {
    const schema = this.schemaOf(operation, status);
    if (!schema) return [`${operation} documents no application/json response ${status}`];
    const key = `${operation} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(closed(schema) as Json, 'openapi#/definitions/'));
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }
}

/** `#/components/schemas/X` references, pointed at `${base}X`. */
function rebase(schema: Json, base: string): Json {
  const text = JSON.stringify(schema).replaceAll(
    '"$ref":"#/components/schemas/',
    `"$ref":"${base}`,
  );
  return JSON.parse(text) as Json;
}

export interface LintResult {
  exitCode: number;
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: unknown[] }[];
  stderr: string;
}

/**
 * `redocly lint` (the locally installed CLI) on `document`, with the repository's
 * redocly.yaml (the recommended rules, telemetry off) and its lint-ignore file, both
 * copied beside the document in a temporary folder.
 */
export async function lintDocument(document: OpenApiDocument): Promise<LintResult> {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-openapi-'));
  try {
    copyFileSync(join(ROOT, 'redocly.yaml'), join(dir, 'redocly.yaml'));
    copyFileSync(join(ROOT, '.redocly.lint-ignore.yaml'), join(dir, '.redocly.lint-ignore.yaml'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document, null, 2));
    return await new Promise<LintResult>((resolve, reject) => {
      execFile(
        REDOCLY,
        ['lint', '--config', 'redocly.yaml', '--format', 'json', 'openapi.json'],
        {
          cwd: dir,
          timeout: 60_000,
          // Nothing may reach the network: no usage telemetry, no update check.
          env: {
            ...process.env,
            REDOCLY_TELEMETRY: 'off',
            REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          },
        },
        (error, stdout, stderr) => {
          const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          try {
            const report = JSON.parse(stdout) as Omit<LintResult, 'exitCode' | 'stderr'>;
            resolve({ exitCode, ...report, stderr });
          } catch {
            reject(new Error(`redocly lint gave no JSON report (exit ${exitCode}): ${stderr}`));
          }
        },
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
