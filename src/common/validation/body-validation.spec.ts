import { ValidationError } from 'class-validator';
import { SubmitJobDto } from '../../jobs/dto/submit-job.dto';
import { SubmitJobsDto } from '../../jobs/dto/submit-jobs.dto';
import { ApiError, ErrorBody as Body, MAX_REPORTED_ERRORS } from '../error-body';
import { BodyValidationPipe } from './body-validation.pipe';
import { flattenValidationErrors } from './class-validator-errors';
import { jobCompiler } from './test-compiler';

type ErrorBody = Body & { errors: NonNullable<Body['errors']> };

const flatten = (errors: ValidationError[], parent?: string) =>
  flattenValidationErrors(errors, parent).map(({ field, message }) => ({ field, message }));

function node(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

const job = {
  job_type: 'send_email',
  priority: 'high',
  payload: { to: 'alice@example.com', subject: 'Hello', body: 'Hi there' },
};

describe('flattenValidationErrors', () => {
  it('returns nothing for no errors', () => {
    expect(flatten([])).toEqual([]);
  });

  it('gives one entry per failed rule, named by the property', () => {
    const errors = [
      node('job_type', { isString: 'job_type must be a string', isNotEmpty: 'job_type x' }),
      node('priority', { isIn: 'priority must be one of the following values: high, low' }),
    ];
    expect(flatten(errors)).toEqual([
      { field: 'job_type', message: 'job_type must be a string' },
      { field: 'job_type', message: 'job_type x' },
      { field: 'priority', message: 'priority must be one of the following values: high, low' },
    ]);
  });

  it('joins nested children into a dotted path (jobs.3.payload.to)', () => {
    const tree = node('jobs', undefined, [
      node('3', undefined, [
        node('payload', undefined, [
          node('to', { isEmail: 'to must be a valid e-mail address (local@domain.tld)' }),
        ]),
        node('priority', { isIn: 'priority must be one of the following values: high, low' }),
      ]),
    ]);
    expect(flatten([tree])).toEqual([
      {
        field: 'jobs.3.payload.to',
        message: 'jobs.3.payload.to must be a valid e-mail address (local@domain.tld)',
      },
      {
        field: 'jobs.3.priority',
        message: 'jobs.3.priority must be one of the following values: high, low',
      },
    ]);
  });

  it('reports a parent’s own constraints before its children’s', () => {
    const tree = node('payload', { isObject: 'payload must be an object' }, [
      node('to', { isString: 'to must be a string' }),
    ]);
    expect(flatten([tree])).toEqual([
      { field: 'payload', message: 'payload must be an object' },
      { field: 'payload.to', message: 'payload.to must be a string' },
    ]);
  });

  it('prefixes everything with a given parent (how JobsService names payload fields)', () => {
    expect(
      flatten(
        [node('subject', { matches: 'subject must not contain line breaks' })],
        'jobs.2.payload',
      ),
    ).toEqual([
      {
        field: 'jobs.2.payload.subject',
        message: 'jobs.2.payload.subject must not contain line breaks',
      },
    ]);
  });
});

describe('BodyValidationPipe (compiled DTO validators)', () => {
  const pipe = new BodyValidationPipe(jobCompiler());

  async function rejection(value: unknown, metatype: new () => object): Promise<ErrorBody> {
    const error = await Promise.resolve()
      .then(() => pipe.transform(value, { type: 'body', metatype }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ApiError);
    return (error as ApiError).body as ErrorBody;
  }

  function fieldsOf(body: ErrorBody): string[] {
    return [...new Set(body.errors.map((e) => e.field))];
  }

  it('passes a valid body through, unchanged', () => {
    expect(pipe.transform(job, { type: 'body', metatype: SubmitJobDto })).toBe(job);
    const bulk = { jobs: [job, { ...job, priority: 'low' }] };
    expect(pipe.transform(bulk, { type: 'body', metatype: SubmitJobsDto })).toBe(bulk);
  });

  it('sends the one 400 shape: statusCode, error, joined message, code, errors[]', async () => {
    const body = await rejection({ ...job, priority: 'urgent' }, SubmitJobDto);
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'priority must be one of the following values: high, low',
      code: 'REQUEST.INVALID_FIELDS',
      errors: [
        { field: 'priority', message: 'priority must be one of the following values: high, low' },
      ],
    });
  });

  it('joins several messages with "; "', async () => {
    const body = await rejection({ ...job, priority: 'urgent', payload: 'x' }, SubmitJobDto);
    expect(body.message).toBe(body.errors.map((e) => e.message).join('; '));
    expect(fieldsOf(body)).toEqual(['priority', 'payload']);
  });

  describe('a body that is not a JSON object is refused with field "body"', () => {
    it.each([
      ['an array', [job]],
      ['an empty array', []],
      ['null', null],
      ['undefined', undefined],
      ['a string', 'send_email'],
      ['an empty string', ''],
      ['a number', 42],
      ['zero', 0],
      ['a boolean', true],
    ])('%s', async (_what, value) => {
      for (const metatype of [SubmitJobDto, SubmitJobsDto]) {
        expect(await rejection(value, metatype)).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'body must be a JSON object',
          code: 'REQUEST.INVALID_FIELDS',
          errors: [{ field: 'body', message: 'body must be a JSON object' }],
        });
      }
    });

    it('only for the body: a query string value is validated normally', async () => {
      await expect(
        Promise.resolve(pipe.transform('abc', { type: 'query', metatype: String })),
      ).resolves.toBe('abc');
    });
  });

  it('reports each missing field of an empty object once, as required', async () => {
    expect((await rejection({}, SubmitJobDto)).errors).toEqual([
      { field: 'job_type', message: 'job_type is required' },
      { field: 'priority', message: 'priority is required' },
      { field: 'payload', message: 'payload is required' },
    ]);
  });

  it('names envelope and payload fields together, one message per field', async () => {
    const jobs = Array.from({ length: 1000 }, () => job);
    jobs[7] = { ...job, payload: { ...job.payload, to: 'not-an-address' } };
    jobs[999] = { ...job, priority: 'urgent' };
    const body = await rejection({ jobs }, SubmitJobsDto);
    expect(body.errors).toEqual([
      {
        field: 'jobs.7.payload.to',
        message: 'jobs.7.payload.to must be a valid e-mail address (local@domain.tld)',
      },
      {
        field: 'jobs.999.priority',
        message: 'jobs.999.priority must be one of the following values: high, low',
      },
    ]);
  });

  it('checks the payload of a job whose envelope has other errors', async () => {
    const body = await rejection(
      { ...job, priority: 7, payload: { to: 5, cc: 'x' } },
      SubmitJobDto,
    );
    expect(fieldsOf(body).sort()).toEqual(['payload.cc', 'payload.to', 'priority']);
  });

  it('names an unregistered job_type with the registered ones', async () => {
    const body = await rejection({ ...job, job_type: 'send_fax' }, SubmitJobDto);
    expect(body.errors).toEqual([
      { field: 'job_type', message: 'job_type must be one of the following values: send_email' },
    ]);
  });

  it(`lists at most ${MAX_REPORTED_ERRORS} errors and counts the rest`, async () => {
    const body = await rejection({ jobs: Array.from({ length: 1000 }, () => ({})) }, SubmitJobsDto);
    expect(body.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(body.omitted_errors).toBe(3000 - MAX_REPORTED_ERRORS);
    expect(body.message).toMatch(/; and 2900 more invalid fields$/);
  });

  describe('unknown fields are rejected, not stripped', () => {
    it('at the top level', async () => {
      const body = await rejection({ ...job, extra: true }, SubmitJobDto);
      expect(body.errors).toEqual([{ field: 'extra', message: 'property extra should not exist' }]);
    });

    it('inside a bulk item, named by its index', async () => {
      const body = await rejection({ jobs: [job, job, job, { ...job, foo: 1 }] }, SubmitJobsDto);
      expect(fieldsOf(body)).toEqual(['jobs.3.foo']);
      expect(body.errors[0].message).toContain('foo should not exist');
    });

    it('beside the bulk list', async () => {
      const body = await rejection({ jobs: [job], dryRun: true }, SubmitJobsDto);
      expect(fieldsOf(body)).toEqual(['dryRun']);
    });
  });

  describe('types are never coerced', () => {
    it.each([
      ['priority: 1', { ...job, priority: 1 }, 'priority'],
      ['priority: ["high"]', { ...job, priority: ['high'] }, 'priority'],
      ['job_type: ["send_email"]', { ...job, job_type: ['send_email'] }, 'job_type'],
      ['job_type: 7', { ...job, job_type: 7 }, 'job_type'],
      ['job_type: true', { ...job, job_type: true }, 'job_type'],
      ['payload: "{}" (JSON in a string)', { ...job, payload: '{}' }, 'payload'],
      ['payload: []', { ...job, payload: [] }, 'payload'],
      ['payload: null', { ...job, payload: null }, 'payload'],
    ])('%s is rejected', async (_what, value, field) => {
      expect(fieldsOf(await rejection(value, SubmitJobDto))).toEqual([field]);
    });

    it('job_type: ["send_email"] fails as "must be a string"', async () => {
      const body = await rejection({ ...job, job_type: ['send_email'] }, SubmitJobDto);
      expect(body.errors).toContainEqual({
        field: 'job_type',
        message: 'job_type must be a string',
      });
    });

    it('job_type: "" is rejected as empty', async () => {
      const body = await rejection({ ...job, job_type: '' }, SubmitJobDto);
      expect(body.errors).toEqual([{ field: 'job_type', message: 'job_type should not be empty' }]);
    });

    it('job_type longer than 64 characters is rejected', async () => {
      const body = await rejection({ ...job, job_type: 'x'.repeat(65) }, SubmitJobDto);
      expect(fieldsOf(body)).toEqual(['job_type']);
    });
  });

  describe('bulk bodies', () => {
    it('name the offending item by index: jobs.3.priority', async () => {
      const body = await rejection(
        { jobs: [job, job, job, { ...job, priority: 'urgent' }] },
        SubmitJobsDto,
      );
      expect(body.errors).toEqual([
        {
          field: 'jobs.3.priority',
          message: 'jobs.3.priority must be one of the following values: high, low',
        },
      ]);
    });

    it('name several bad items and fields at once', async () => {
      const body = await rejection(
        { jobs: [{ ...job, payload: [] }, job, { ...job, job_type: 5, priority: 'HIGH' }] },
        SubmitJobsDto,
      );
      expect(fieldsOf(body)).toEqual(['jobs.0.payload', 'jobs.2.job_type', 'jobs.2.priority']);
    });

    it('refuse items that are not objects, by index', async () => {
      const body = await rejection({ jobs: [job, 1, null, 'x'] }, SubmitJobsDto);
      expect(fieldsOf(body)).toEqual(['jobs.1', 'jobs.2', 'jobs.3']);
    });

    it('refuse an empty list, a non-list and a missing list', async () => {
      for (const value of [{ jobs: [] }, { jobs: 'x' }, {}]) {
        expect(fieldsOf(await rejection(value, SubmitJobsDto))).toEqual(['jobs']);
      }
    });

    it('refuse an object in place of the list', async () => {
      const body = await rejection({ jobs: { 0: job } }, SubmitJobsDto);
      expect(body.errors).toContainEqual({ field: 'jobs', message: 'jobs must be an array' });
    });

    it('refuse more than 1000 items and accept exactly 1000', async () => {
      const many = (n: number) => ({ jobs: Array.from({ length: n }, () => job) });
      const body = await rejection(many(1001), SubmitJobsDto);
      expect(body.errors).toEqual([
        { field: 'jobs', message: 'jobs must contain no more than 1000 elements' },
      ]);
      const thousand = many(1000);
      expect(pipe.transform(thousand, { type: 'body', metatype: SubmitJobsDto })).toBe(thousand);
    });
  });
});
