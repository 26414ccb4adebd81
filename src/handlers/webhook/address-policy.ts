import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which addresses a webhook may connect to: public unicast only. Everything in the
 * IANA special-purpose registries that is not globally reachable is refused, with
 * the name of its range, so that `last_error` can say why.
 */

type Family = 'ipv4' | 'ipv6';

/** [network, prefix length, what it is] */
const IPV4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved (6to4 relay anycast)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // 255.255.255.255, broadcast, included
];

/** Checked after the ranges that embed an IPv4 address (mapped, NAT64, 6to4). */
const IPV6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved (IPv4-compatible)'],
  ['64:ff9b:1::', 48, 'private (local-use NAT64)'],
  ['100::', 64, 'reserved (discard-only)'],
  ['2001::', 23, 'IETF protocol assignment'], // Teredo, benchmarking, ORCHID...
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private (site-local)'],
  ['ff00::', 8, 'multicast'],
];

function blockLists(ranges: [string, number, string][], family: Family): [BlockList, string][] {
  return ranges.map(([network, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return [list, label];
  });
}

const IPV4_LISTS = blockLists(IPV4_RANGES, 'ipv4');
const IPV6_LISTS = blockLists(IPV6_RANGES, 'ipv6');
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (a zone index is ignored). */
export function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0].toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => parseInt(group, 16));
}

function ipv4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

function ipv4Reason(address: string): string | undefined {
  return IPV4_LISTS.find(([list]) => list.check(address, 'ipv4'))?.[1];
}

/**
 * Why `address` (an IP address) is not a public unicast address, or undefined when
 * it is. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged
 * by the address they carry. Not an IP address at all: "not an IP address".
 */
export function nonPublicReason(address: string): string | undefined {
  if (isIPv4(address)) return ipv4Reason(address);
  if (!isIPv6(address)) return 'not an IP address';
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  let embedded: string | undefined;
  if (zeros(0, 5) && g[5] === 0xffff)
    embedded = ipv4FromGroups(g[6], g[7]); // ::ffff:a.b.c.d
  else if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6))
    embedded = ipv4FromGroups(g[6], g[7]); // NAT64
  else if (g[0] === 0x2002) embedded = ipv4FromGroups(g[1], g[2]); // 6to4
  if (embedded !== undefined) return ipv4Reason(embedded);
  const canonical = g.map((x) => x.toString(16)).join(':');
  const reason = IPV6_LISTS.find(([list]) => list.check(canonical, 'ipv6'))?.[1];
  if (reason) return reason;
  if (!GLOBAL_UNICAST.check(canonical, 'ipv6')) return 'reserved (not global unicast)';
  return undefined;
}
