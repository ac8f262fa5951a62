import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must never reach unless private targets are allowed (WEBHOOKS_ALLOW_PRIVATE):
 * loopback, private networks, link-local (cloud metadata 169.254.169.254 included), carrier-grade
 * NAT (Alibaba's metadata 100.100.100.200), multicast, reserved and unspecified ranges, and their
 * IPv6 counterparts (unique-local covers AWS's fd00:ec2::254).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** IPv4 embedded in an IPv6 address (mapped ::ffff:a.b.c.d, compatible, NAT64 64:ff9b::/96), else undefined. */
function embeddedV4(addr: string): string | undefined {
  const a = addr.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** True when the IP address is in a range webhooks must not reach. */
export function isForbiddenAddress(addr: string): boolean {
  const bare = addr.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const fam = isIP(bare);
  if (fam === 4) return blocked.check(bare, 'ipv4');
  if (fam === 6) {
    const v4 = embeddedV4(bare);
    if (v4) return blocked.check(v4, 'ipv4');
    return blocked.check(bare, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export class RefusedAddressError extends Error {
  readonly code = 'refused_address';
  constructor(host: string, addr: string) {
    super(`Refused to deliver to ${host}: it resolves to ${addr}, a private, loopback, link-local, multicast or metadata address`);
    this.name = 'RefusedAddressError';
  }
}

/** Obvious local names refused before any DNS look-up. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** Refuses URLs whose host is literally a forbidden address or a local name (checked when an endpoint is saved). */
export function literalHostProblem(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isForbiddenAddress(host) ? `${host} is a private, loopback, link-local, multicast or metadata address` : undefined;
  if (LOCAL_NAMES.test(host)) return `${host} is a local name`;
  return undefined;
}

/**
 * Resolves the host and checks every address it has (an attacker's DNS may mix public and private
 * answers); returns the address to connect to, so the check and the connection use the same one.
 */
export async function resolveSafely(host: string, allowPrivate: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const fam = isIP(bare);
  const addrs = fam ? [{ address: bare, family: fam as 4 | 6 }] : ((await lookup(bare, { all: true })) as { address: string; family: 4 | 6 }[]);
  if (!addrs.length) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  if (!allowPrivate) {
    for (const a of addrs) if (isForbiddenAddress(a.address)) throw new RefusedAddressError(host, a.address);
    if (!fam && LOCAL_NAMES.test(bare)) throw new RefusedAddressError(host, addrs[0]!.address);
  }
  return addrs[0]!;
}
