import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '../../common/validation/class-validator-errors';
import type { FieldIssue } from '../../common/validation/field-error';
import { jobCompiler } from '../../common/validation/test-compiler';
import fc from 'fast-check';
import { isEmail } from 'class-validator';
import {
  EMAIL_LIMITS,
  EMAIL_RULE,
  isPlainAddress,
  SendEmailPayloadDto,
} from './send-email-payload.dto';

/** The options the class-validator reference runs with (whitelist, forbidNonWhitelisted...). */
const OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

const compiler = jobCompiler();

/** Every rule a payload breaks, one entry each (`all` mode). */
type Engine = (payload: Record<string, unknown>) => FieldIssue[];

/**
 * The same tables run through both: the compiled validator the API executes
 * (src/common/validation/dto-compiler.ts), and class-validator itself on the same DTO.
 * Each expectation holding for both shows they agree on every case.
 */
const ENGINES: [string, Engine][] = [
  ['the compiled validator', (payload) => compiler.validate(SendEmailPayloadDto, payload, 'all')],
  [
    'class-validator',
    (payload) =>
      flattenValidationErrors(validateSync(plainToInstance(SendEmailPayloadDto, payload), OPTIONS)),
  ],
];

/** What the API answers: one issue per invalid field (`first` mode of the compiled validator). */
const answer = (payload: Record<string, unknown>) =>
  compiler.validate(SendEmailPayloadDto, payload, 'first').map(({ field, message }) => ({
    field,
    message,
  }));

/** An address of exactly `length` characters: a 64-character local part and labels of at most 63. */
function addressOfLength(length: number): string {
  const local = 'a'.repeat(64);
  let domainLength = length - local.length - 1 - '.com'.length;
  const labels: string[] = [];
  while (domainLength > 0) {
    // Never leave a remainder of 0 (an empty label) after the separator.
    const label = Math.min(63, domainLength === 64 ? 62 : domainLength);
    labels.push('b'.repeat(label));
    domainLength -= label + 1;
  }
  const address = `${local}@${labels.join('.')}.com`;
  if (address.length !== length) throw new Error(`built ${address.length}, wanted ${length}`);
  return address;
}

/** Addresses `to` accepts. */
const VALID_TO: [string, string][] = [
  ['plain address', 'alice@example.com'],
  ['dots, plus tag, sub-domains', 'a.b+tag@sub.example.co.uk'],
  ['long TLD', 'x@example.museum'],
  ['upper case', 'Alice@Example.COM'],
  ['digits and hyphen in the domain', 'bob@mail-01.example.com'],
  ['a 64-character local part', `${'a'.repeat(64)}@example.com`],
  ['exactly 254 characters', addressOfLength(254)],
  ['an internationalised domain in its xn-- form', 'alice@xn--exmple-cua.com'],
];

/** Addresses `to` refuses. */
const INVALID_TO: [string, string][] = [
  ['no @ at all', 'plain'],
  ['no local part', '@example.com'],
  ['no domain', 'alice@'],
  ['a domain without TLD', 'alice@localhost'],
  ['a one-letter TLD', 'alice@example.c'],
  ['an IP literal', 'alice@[127.0.0.1]'],
  ['a bare IP domain', 'alice@127.0.0.1'],
  ['a display name', 'Alice <alice@example.com>'],
  ['a space in the local part', 'alice @example.com'],
  ['a space in the domain', 'alice@exa mple.com'],
  ['leading whitespace', ' alice@example.com'],
  ['trailing whitespace', 'alice@example.com '],
  ['a tab', 'alice@example.com\tx'],
  ['a non-ASCII local part', 'ünïcode@example.com'],
  ['two @', 'alice@@example.com'],
  ['two addresses', 'alice@example.com,bob@example.com'],
  ['an empty domain label', 'alice@example..com'],
  ['a trailing dot in the domain', 'alice@example.com.'],
  ['a domain label starting with a hyphen', 'alice@-example.com'],
  ['a leading dot in the local part', '.alice@example.com'],
  ['consecutive dots in the local part', 'a..b@example.com'],
  ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
  ['255 characters', addressOfLength(255)],
  ['CRLF header injection', 'alice@example.com\r\nBcc: x@example.com'],
  ['a trailing LF', 'alice@example.com\n'],
  ['a trailing CR', 'alice@example.com\r'],
  ['a leading LF', '\nalice@example.com'],
  ['a Unicode line separator', 'alice@example.com\u2028'],
  // validator.js alone accepts these four and throws on the fifth (a 500 before).
  ['a non-ASCII (IDN) domain: use its xn-- form', 'alice@exämple.com'],
  ['a quoted local part', '"quoted"@example.com'],
  ['a quoted local part with a space', '"a b"@example.com'],
  ['a quoted local part with CRLF', '"a\r\nBcc: victim@example.com"@example.com'],
  ['an ideographic space in the domain', 'alice@exa\u3000mple.com'],
  ['a lone surrogate', '\ud800'],
  ['a lone surrogate in an address', 'alice\udc00@example.com'],
];

describe.each(ENGINES)('SendEmailPayloadDto through %s', (_engine, validate) => {
  /** The failed rules, by field: `{ to: ['isEmail'], ... }`. */
  function failures(payload: Record<string, unknown>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const issue of validate(payload)) (out[issue.field] ??= []).push(issue.constraint);
    for (const rules of Object.values(out)) rules.sort();
    return out;
  }

  it('accepts a full payload and a payload with only `to`', () => {
    expect(validate({ to: 'alice@example.com', subject: 'Hello', body: 'Hi there' })).toEqual([]);
    expect(validate({ to: 'alice@example.com' })).toEqual([]);
  });

  it('accepts empty subject and body', () => {
    expect(validate({ to: 'alice@example.com', subject: '', body: '' })).toEqual([]);
  });

  it('treats null subject and body as absent (IsOptional)', () => {
    expect(validate({ to: 'alice@example.com', subject: null, body: null })).toEqual([]);
  });

  describe('to', () => {
    it('is required', () => {
      expect(failures({})).toEqual({ to: ['isEmail', 'isString', 'maxLength'] });
      expect(failures({ subject: 'x', body: 'y' })).toEqual({
        to: ['isEmail', 'isString', 'maxLength'],
      });
      expect(failures({ to: null })).toEqual({ to: ['isEmail', 'isString', 'maxLength'] });
    });

    it.each([
      ['a number', 42],
      ['a boolean', true],
      ['an array of one address', ['alice@example.com']],
      ['an object', { address: 'alice@example.com' }],
    ])('must be a string, not %s (no coercion)', (_what, to) => {
      expect(failures({ to })).toMatchObject({ to: expect.arrayContaining(['isString']) });
    });

    it('names the rule in its message', () => {
      expect(validate({ to: 'plain' })).toEqual([
        {
          field: 'to',
          constraint: 'isEmail',
          message: 'to must be a valid e-mail address (local@domain.tld)',
        },
      ]);
    });

    it('documents the e-mail rule it applies', () => {
      // toMatchObject: validator.js merges its defaults into the options object it is given.
      expect(EMAIL_RULE).toMatchObject({
        allow_display_name: false,
        require_tld: true,
        allow_ip_domain: false,
        allow_utf8_local_part: false,
        ignore_max_length: false,
      });
      expect(EMAIL_LIMITS.toMaxLength).toBe(254);
    });

    describe('address table', () => {
      it.each(VALID_TO)('accepts %s: %j', (_what, to) => {
        expect(validate({ to })).toEqual([]);
      });

      it.each(INVALID_TO)('rejects %s: %j', (_what, to) => {
        expect(failures({ to })).toMatchObject({ to: expect.arrayContaining(['isEmail']) });
      });

      it('rejects a 255-character address on length as well', () => {
        expect(failures({ to: addressOfLength(255) })).toEqual({ to: ['isEmail', 'maxLength'] });
      });
    });
  });

  describe('subject', () => {
    const max = EMAIL_LIMITS.subjectMaxLength;

    it(`is limited to ${max} characters`, () => {
      expect(max).toBe(255);
      expect(validate({ to: 'alice@example.com', subject: 's'.repeat(max) })).toEqual([]);
      expect(failures({ to: 'alice@example.com', subject: 's'.repeat(max + 1) })).toEqual({
        subject: ['maxLength'],
      });
    });

    it.each([
      ['CRLF', 'Hi\r\nBcc: victim@example.com'],
      ['LF', 'Hi\nX-Injected: yes'],
      ['CR', 'Hi\rX-Injected: yes'],
      ['a trailing LF', 'Hi\n'],
      ['a leading CR', '\rHi'],
    ])('rejects %s', (_what, subject) => {
      expect(validate({ to: 'alice@example.com', subject })).toEqual([
        {
          field: 'subject',
          constraint: 'matches',
          message: 'subject must not contain line breaks',
        },
      ]);
    });

    it('accepts tabs and non-ASCII text', () => {
      expect(validate({ to: 'alice@example.com', subject: 'Grüße\tund 👋' })).toEqual([]);
    });

    it.each([
      ['a number', 7],
      ['an array', ['Hello']],
      ['an object', { text: 'Hello' }],
      ['a boolean', false],
    ])('must be a string, not %s', (_what, subject) => {
      expect(failures({ to: 'alice@example.com', subject })).toMatchObject({
        subject: expect.arrayContaining(['isString']),
      });
    });
  });

  describe('body', () => {
    const max = EMAIL_LIMITS.bodyMaxLength;

    it(`is limited to ${max} characters`, () => {
      expect(max).toBe(100_000);
      expect(validate({ to: 'alice@example.com', body: 'b'.repeat(max) })).toEqual([]);
      expect(failures({ to: 'alice@example.com', body: 'b'.repeat(max + 1) })).toEqual({
        body: ['maxLength'],
      });
    });

    it('may contain line breaks (it is the message text)', () => {
      expect(validate({ to: 'alice@example.com', body: 'line 1\r\nline 2\nline 3' })).toEqual([]);
    });

    it.each([
      ['a number', 1],
      ['an object', { html: '<b>hi</b>' }],
      ['an array', ['Hi']],
    ])('must be a string, not %s', (_what, body) => {
      expect(failures({ to: 'alice@example.com', body })).toMatchObject({
        body: expect.arrayContaining(['isString']),
      });
    });
  });

  describe('html', () => {
    const max = EMAIL_LIMITS.htmlMaxLength;

    it(`is optional and limited to ${max} characters`, () => {
      expect(max).toBe(200_000);
      expect(validate({ to: 'alice@example.com', html: '<p>Hi</p>' })).toEqual([]);
      expect(validate({ to: 'alice@example.com', html: '' })).toEqual([]);
      expect(validate({ to: 'alice@example.com', html: null })).toEqual([]);
      expect(validate({ to: 'alice@example.com', html: 'h'.repeat(max) })).toEqual([]);
      expect(failures({ to: 'alice@example.com', html: 'h'.repeat(max + 1) })).toEqual({
        html: ['maxLength'],
      });
    });

    it('may contain line breaks (it is a body, not a header)', () => {
      expect(validate({ to: 'alice@example.com', html: '<p>a</p>\r\n<p>b</p>' })).toEqual([]);
    });

    it.each([
      ['a number', 1],
      ['an object', { body: '<b>hi</b>' }],
      ['an array', ['<p>']],
      ['a boolean', true],
    ])('must be a string, not %s', (_what, html) => {
      expect(failures({ to: 'alice@example.com', html })).toMatchObject({
        html: expect.arrayContaining(['isString']),
      });
    });

    it('names the field in its message', () => {
      const [error] = validate({ to: 'alice@example.com', html: 'h'.repeat(max + 1) });
      expect(error).toMatchObject({
        field: 'html',
        constraint: 'maxLength',
        message: `html must be shorter than or equal to ${max} characters`,
      });
    });
  });

  describe('reply_to', () => {
    it('is optional and accepts a plain address', () => {
      expect(validate({ to: 'alice@example.com', reply_to: 'support@example.com' })).toEqual([]);
      expect(validate({ to: 'alice@example.com', reply_to: null })).toEqual([]);
      expect(validate({ to: 'alice@example.com', reply_to: addressOfLength(254) })).toEqual([]);
    });

    it.each([
      ['CRLF header injection', 'support@example.com\r\nBcc: victim@example.com'],
      ['a trailing LF', 'support@example.com\n'],
      ['a lone CR', 'support@example.com\rX: y'],
      ['a display name', 'Support <support@example.com>'],
      ['two addresses', 'a@example.com,b@example.com'],
      ['a domain without TLD', 'support@localhost'],
      ['a quoted local part with CRLF', '"a\r\nBcc: victim@example.com"@example.com'],
      ['an empty string', ''],
    ])('rejects %s', (_what, reply_to) => {
      const errors = validate({ to: 'alice@example.com', reply_to });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        field: 'reply_to',
        constraint: 'isEmail',
        message: 'reply_to must be a valid e-mail address (local@domain.tld)',
      });
    });

    it('is limited to 254 characters', () => {
      expect(EMAIL_LIMITS.replyToMaxLength).toBe(254);
      expect(failures({ to: 'alice@example.com', reply_to: addressOfLength(255) })).toEqual({
        reply_to: ['isEmail', 'maxLength'],
      });
    });

    it.each([
      ['a number', 7],
      ['an array', ['support@example.com']],
      ['an object', { address: 'support@example.com' }],
    ])('must be a string, not %s', (_what, reply_to) => {
      expect(failures({ to: 'alice@example.com', reply_to })).toMatchObject({
        reply_to: expect.arrayContaining(['isString']),
      });
    });
  });

  describe('unknown fields', () => {
    it.each(['cc', 'bcc', 'from', 'headers', 'replyTo', 'reply-to', 'text', 'HTML'])(
      'rejects %s',
      (field) => {
        expect(validate({ to: 'alice@example.com', [field]: 'x' })).toEqual([
          {
            field,
            constraint: 'whitelistValidation',
            message: `property ${field} should not exist`,
          },
        ]);
      },
    );

    it('reports every unknown field together with the known fields’ errors', () => {
      expect(failures({ to: 'nope', cc: 'b@example.com', bcc: 'c@example.com' })).toEqual({
        to: ['isEmail'],
        cc: ['whitelistValidation'],
        bcc: ['whitelistValidation'],
      });
    });
  });

  it('reports each failing field at once', () => {
    expect(
      failures({ to: 7, subject: 'a\nb', body: 'b'.repeat(EMAIL_LIMITS.bodyMaxLength + 1) }),
    ).toEqual({
      to: ['isEmail', 'isString', 'maxLength'],
      subject: ['matches'],
      body: ['maxLength'],
    });
  });
});

describe('SendEmailPayloadDto: what the API answers (compiled validator, first mode)', () => {
  it.each(VALID_TO)('accepts %s', (_what, to) => {
    expect(answer({ to, subject: 'Hello', body: 'Hi' })).toEqual([]);
  });

  it.each(INVALID_TO)('refuses %s with one message naming to', (_what, to) => {
    // Too long fails the e-mail rule as well: the length is the message then.
    const message =
      to.length > EMAIL_LIMITS.toMaxLength
        ? `to must be shorter than or equal to ${EMAIL_LIMITS.toMaxLength} characters`
        : 'to must be a valid e-mail address (local@domain.tld)';
    expect(answer({ to })).toEqual([{ field: 'to', message }]);
  });

  it('a missing or null `to` is required, not three rules', () => {
    expect(answer({})).toEqual([{ field: 'to', message: 'to is required' }]);
    expect(answer({ to: null })).toEqual([{ field: 'to', message: 'to is required' }]);
  });

  it('a `to` of the wrong type: its type first', () => {
    expect(answer({ to: 42 })).toEqual([{ field: 'to', message: 'to must be a string' }]);
  });

  it('names every invalid field at once, one message each, unknown fields included', () => {
    expect(
      answer({
        to: 'nope',
        subject: 'a\nb',
        body: 'b'.repeat(EMAIL_LIMITS.bodyMaxLength + 1),
        cc: 'x@example.com',
      }),
    ).toEqual([
      { field: 'cc', message: 'property cc should not exist' },
      { field: 'to', message: 'to must be a valid e-mail address (local@domain.tld)' },
      { field: 'subject', message: 'subject must not contain line breaks' },
      {
        field: 'body',
        message: `body must be shorter than or equal to ${EMAIL_LIMITS.bodyMaxLength} characters`,
      },
    ]);
  });

  it('each message is one class-validator gives for that field', () => {
    for (const [, to] of INVALID_TO) {
      const [issue] = compiler.validate(SendEmailPayloadDto, { to }, 'first');
      const reference = flattenValidationErrors(
        validateSync(plainToInstance(SendEmailPayloadDto, { to }), OPTIONS),
      ).map((i) => i.message);
      expect(reference).toContain(issue.message);
    }
  });
});

describe('the fast address check', () => {
  const atomChars = "abcxyzABZ0189!#$%&'*+/=?^_`{|}~-";
  const labelChars = 'abzAZ09-';
  const pick = (chars: string, min: number, max: number) =>
    fc
      .array(fc.constantFrom(...chars.split('')), { minLength: min, maxLength: max })
      .map((a) => a.join(''));
  // Near-valid addresses: the shapes the fast check is about, with the edge cases in
  // reach (hyphens at label edges, long parts, dots, digits in the TLD).
  const address = fc
    .tuple(
      fc.array(pick(atomChars, 0, 20), { minLength: 1, maxLength: 4 }),
      fc.array(pick(labelChars, 0, 64), { minLength: 1, maxLength: 4 }),
      pick('abzAZ09-', 0, 8),
    )
    .map(([atoms, labels, tld]) => `${atoms.join('.')}@${[...labels, tld].join('.')}`);

  it('accepts only what validator.js accepts with the same rule', () => {
    fc.assert(
      fc.property(address, (value) => {
        // isAcceptedEmail refuses longer values before it looks further.
        if (value.length > EMAIL_LIMITS.toMaxLength || !isPlainAddress(value)) return true;
        return isEmail(value, { ...EMAIL_RULE });
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the common addresses', () => {
    for (const [, value] of VALID_TO.slice(0, 6)) expect(isPlainAddress(value)).toBe(true);
  });
});
