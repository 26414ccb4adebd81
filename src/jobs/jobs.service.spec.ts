import { canonicalJson } from './jobs.service';

describe('canonicalJson (the request fingerprint behind Idempotency-Key)', () => {
  it('ignores object key order, at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it('keeps array order and value types apart', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });

  it('is JSON', () => {
    const value = { to: 'a@example.com', subject: 'x"y\n', n: [true, 1.5] };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});
