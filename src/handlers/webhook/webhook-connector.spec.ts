import { LookupAddress } from 'node:dns';
import { AddressRefusedError, publicOnlyLookup, Resolver } from './webhook-connector';

/** A resolver that answers from a table, and records what it was asked. */
function resolver(table: Record<string, LookupAddress[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve: Resolver = (hostname, _options, callback) => {
    asked.push(hostname);
    const found = table[hostname];
    if (!found)
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
        [],
      );
    else callback(null, found);
  };
  return Object.assign(resolve, { asked });
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

function lookupAll(
  resolve: Resolver,
  hostname: string,
): Promise<{ error: Error | null; addresses: unknown }> {
  return new Promise((done) =>
    publicOnlyLookup(resolve)(hostname, { all: true }, (error, addresses) =>
      done({ error, addresses }),
    ),
  );
}

function lookupOne(
  resolve: Resolver,
  hostname: string,
): Promise<{ error: Error | null; address: unknown; family: unknown }> {
  return new Promise((done) =>
    publicOnlyLookup(resolve)(hostname, {}, (error, address, family) =>
      done({ error, address, family }),
    ),
  );
}

describe('publicOnlyLookup', () => {
  const table = {
    'public.example': [v4('93.184.216.34'), v6('2606:2800:220:1::1')],
    'loopback.example': [v4('127.0.0.1'), v6('::1')],
    'mixed.example': [v4('10.0.0.5'), v4('93.184.216.34')],
    'mapped.example': [v6('::ffff:169.254.169.254')],
  };

  it('passes public addresses through (all, and the first one)', async () => {
    expect(await lookupAll(resolver(table), 'public.example')).toEqual({
      error: null,
      addresses: table['public.example'],
    });
    expect(await lookupOne(resolver(table), 'public.example')).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('refuses a name that resolves to non-public addresses only, naming the name, address and range', async () => {
    const { error } = await lookupAll(resolver(table), 'loopback.example');
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect(error?.message).toBe(
      'webhook refused: loopback.example (127.0.0.1) is not a public address (loopback); WEBHOOK_ALLOW_PRIVATE=true allows it',
    );
    const mapped = await lookupOne(resolver(table), 'mapped.example');
    expect(mapped.error?.message).toContain('(link-local)');
  });

  it('keeps only the public addresses of a mixed answer', async () => {
    expect(await lookupAll(resolver(table), 'mixed.example')).toEqual({
      error: null,
      addresses: [v4('93.184.216.34')],
    });
    expect((await lookupOne(resolver(table), 'mixed.example')).address).toBe('93.184.216.34');
  });

  it('resolves at every connection: a name that turns private later is refused then (DNS rebinding)', async () => {
    const answers = { 'rebind.example': [v4('93.184.216.34')] } as Record<string, LookupAddress[]>;
    const resolve = resolver(answers);
    expect((await lookupOne(resolve, 'rebind.example')).address).toBe('93.184.216.34');
    answers['rebind.example'] = [v4('127.0.0.1')];
    expect((await lookupOne(resolve, 'rebind.example')).error).toBeInstanceOf(AddressRefusedError);
    expect(resolve.asked).toEqual(['rebind.example', 'rebind.example']);
  });

  it('passes resolver errors on', async () => {
    const { error } = await lookupAll(resolver(table), 'missing.example');
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
