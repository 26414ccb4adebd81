import { buildConnector } from 'undici';
import { lookup as dnsLookup, LookupAddress, LookupAllOptions } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { nonPublicReason } from './address-policy';

/** A webhook host that is, or resolves to, an address it may not be sent to. */
export class AddressRefusedError extends Error {
  readonly code = 'WEBHOOK.ADDRESS_REFUSED';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    const target = host === address ? address : `${host} (${address})`;
    super(
      `webhook refused: ${target} is not a public address (${reason}); WEBHOOK_ALLOW_PRIVATE=true allows it`,
    );
    this.name = 'AddressRefusedError';
  }
}

export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * A `lookup` for net.connect that hands out public addresses only: the socket
 * connects to what this returns, so a name that resolves (or re-resolves, as in
 * DNS rebinding) to a private address cannot be reached through it.
 */
export function publicOnlyLookup(resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(
      hostname,
      { family: options.family, hints: options.hints, all: true },
      (error, found) => {
        if (error) {
          callback(error, '', 0);
          return;
        }
        const allowed = found.filter((entry) => nonPublicReason(entry.address) === undefined);
        if (allowed.length === 0) {
          const [first] = found;
          callback(
            first
              ? new AddressRefusedError(hostname, first.address, nonPublicReason(first.address)!)
              : Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
            0,
          );
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0].address, allowed[0].family);
      },
    );
  };
}

/**
 * undici's connector behind the address policy: an IP-literal host is checked
 * before connecting, a name through publicOnlyLookup, and the address the socket
 * ended up connected to once more before any byte of the request is sent.
 */
export function publicOnlyConnector(resolve?: Resolver): buildConnector.connector {
  const connect = buildConnector({ lookup: publicOnlyLookup(resolve) });
  return (options, callback) => {
    if (isIP(options.hostname)) {
      const reason = nonPublicReason(options.hostname);
      if (reason) {
        callback(new AddressRefusedError(options.hostname, options.hostname, reason), null);
        return;
      }
    }
    connect(options, (...result) => {
      const [error, socket] = result;
      if (error) {
        callback(error, null);
        return;
      }
      const remote = socket.remoteAddress ?? '';
      const reason = nonPublicReason(remote);
      if (reason) {
        socket.destroy();
        callback(new AddressRefusedError(options.hostname, remote, reason), null);
        return;
      }
      callback(null, socket);
    });
  };
}
