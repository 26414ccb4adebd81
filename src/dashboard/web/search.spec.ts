import { parseSearch } from './search';

describe('parseSearch', () => {
  it('reads a UUID as a job id, lower-cased', () => {
    expect(parseSearch(' 3F0C9A4E-8B7E-4D1A-9C55-2B1F6F0E7A11 ')).toEqual({
      kind: 'job_id',
      id: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11',
    });
  });

  it('reads an address as a recipient, as typed (the API matches case-insensitively)', () => {
    expect(parseSearch('Alice@Example.com')).toEqual({
      kind: 'recipient',
      to: 'Alice@Example.com',
    });
  });

  it('reads nothing as no search, and anything else as invalid', () => {
    expect(parseSearch('   ')).toEqual({ kind: 'none' });
    expect(parseSearch('alice').kind).toBe('invalid');
    expect(parseSearch('a b@example.com').kind).toBe('invalid');
    expect(parseSearch('3f0c9a4e-8b7e').kind).toBe('invalid');
  });
});
