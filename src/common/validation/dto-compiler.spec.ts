import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { SendEmailPayloadDto } from '../../handlers/send-email/send-email-payload.dto';
import { SubmitJobDto } from '../../jobs/dto/submit-job.dto';
import { SubmitJobsDto } from '../../jobs/dto/submit-jobs.dto';
import { flattenValidationErrors } from './class-validator-errors';
import type { FieldIssue } from './field-error';
import { jobCompiler } from './test-compiler';

/** The options the API has always validated with (whitelist, forbidNonWhitelisted...). */
const OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

const TYPES = { send_email: SendEmailPayloadDto };

/**
 * The reference: class-validator itself (through class-transformer) on the envelope, and
 * on the payload DTO of a registered job_type, as the service validated before the
 * compiled validators.
 */
function reference(body: Record<string, unknown>, bulk: boolean): FieldIssue[] {
  const target: new () => object = bulk ? SubmitJobsDto : SubmitJobDto;
  const out = flattenValidationErrors(validateSync(plainToInstance(target, body), OPTIONS));
  const jobs: unknown[] = bulk ? (Array.isArray(body.jobs) ? body.jobs : []) : [body];
  jobs.forEach((job, i) => {
    if (typeof job !== 'object' || job === null || Array.isArray(job)) return;
    const { job_type: type, payload } = job as Record<string, unknown>;
    const at = bulk ? `jobs.${i}.` : '';
    if (typeof type !== 'string') return;
    if (!Object.hasOwn(TYPES, type)) {
      out.push({
        field: `${at}job_type`,
        message: `${at}job_type must be one of the following values: send_email`,
        constraint: 'isIn',
      });
      return;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return;
    const dto = plainToInstance(SendEmailPayloadDto, payload);
    out.push(...flattenValidationErrors(validateSync(dto, OPTIONS), `${at}payload`));
  });
  return out;
}

const key = (i: FieldIssue) => `${i.field}|${i.constraint}|${i.message}`;
const sorted = (issues: FieldIssue[]) => issues.map(key).sort();

const value = fc.oneof(
  fc.constantFrom('send_email', 'send_fax', '', 'high', 'low', 'HIGH', null),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);
const to = fc.oneof(
  fc.constantFrom('alice@example.com', 'plain', 'a@b.c', '"a b"@example.com', 'x'.repeat(300)),
  value,
);
const payload = fc.oneof(
  fc.record(
    { to, subject: fc.oneof(fc.string(), fc.constant('a\nb'), value), body: value, cc: value },
    { requiredKeys: [] },
  ),
  value,
);
const job = fc.record(
  {
    job_type: fc.oneof(fc.constant('send_email'), value),
    priority: fc.oneof(fc.constantFrom('high', 'low'), value),
    payload,
    extra: value,
  },
  { requiredKeys: [] },
);
// Items of a bulk list are objects or scalars; arrays nested in the list are where the
// compiled validator differs on purpose (see dto-compiler.ts), tested below.
const item = fc.oneof(
  { weight: 4, arbitrary: job },
  { weight: 1, arbitrary: fc.constantFrom(1, null, 'x') },
);

describe('compiled DTO validators agree with class-validator', () => {
  const compiler = jobCompiler(TYPES);

  it('single bodies: the same rules broken, with the same messages (all mode)', () => {
    fc.assert(
      fc.property(job, (body) => {
        const compiled = compiler.validate(SubmitJobDto, body, 'all');
        expect(sorted(compiled)).toEqual(sorted(reference(body, false)));
      }),
      { numRuns: 2000 },
    );
  });

  it('bulk bodies: the same rules broken, with the same messages (all mode)', () => {
    fc.assert(
      fc.property(
        fc.record(
          { jobs: fc.oneof(fc.array(item, { maxLength: 4 }), value), other: value },
          {
            requiredKeys: [],
          },
        ),
        (body) => {
          const compiled = compiler.validate(SubmitJobsDto, body, 'all');
          const expected = reference(body, true);
          // class-validator adds a nestedValidation message for a non-list `jobs`; so does
          // the compiled validator, both in all mode: compare whole sets.
          expect(sorted(compiled)).toEqual(sorted(expected));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('first mode: the same invalid fields, one message each, one class-validator gave or "is required"', () => {
    fc.assert(
      fc.property(job, (body) => {
        const all = reference(body, false);
        const first = compiler.validate(SubmitJobDto, body, 'first');
        expect(first.map((i) => i.field).sort()).toEqual(
          [...new Set(all.map((i) => i.field))].sort(),
        );
        for (const issue of first) {
          const allowed = all.filter((i) => i.field === issue.field).map((i) => i.message);
          if (!issue.message.endsWith(' is required')) expect(allowed).toContain(issue.message);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('an array nested in the bulk list is refused as "must be an object" (class-validator would descend)', () => {
    const issues = compiler.validate(SubmitJobsDto, { jobs: [[{}]] }, 'first');
    expect(issues).toEqual([
      { field: 'jobs.0', message: 'jobs.0 must be an object', constraint: 'nestedValidation' },
    ]);
  });
});
