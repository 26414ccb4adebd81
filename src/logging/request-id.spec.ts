import { requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc', 'req-42', 'a.b:c_d-e', 'x'.repeat(128), '0f9e1c2a-7d4b-4e1a-9c3b-2a1f0e9d8c7b'])(
    'keeps the sane token %s',
    (id) => {
      expect(requestIdFrom(id)).toBe(id);
    },
  );

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['spaces', 'a b'],
    ['a line break', 'a\nb'],
    ['quotes and braces', '"}{"level":"fatal'],
    ['non-ASCII', 'réq'],
    ['repeated header', ['a', 'b']],
  ])('replaces a %s id with a new UUID', (_what, header) => {
    const id = requestIdFrom(header);
    expect(id).toMatch(UUID);
    expect(requestIdFrom(header)).not.toBe(id);
  });
});
