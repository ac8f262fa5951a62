import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { BlockList, isIP } from 'node:net';
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';

/*
 * The one guarded HTTP client for every outbound call a tenant can influence (connector handlers,
 * webhooks, the hub's wallet calls): the host is resolved and every address it has is checked before
 * connecting (the connection goes to the checked address), redirects are never followed, proxies from
 * the environment are ignored (a proxy would resolve the name itself), and every exchange is bounded
 * by a timeout and a response size.
 */

/**
 * Addresses an outbound call must never reach unless private targets are allowed
 * (`CONNECTORS_ALLOW_PRIVATE` / `WEBHOOKS_ALLOW_PRIVATE`): loopback, private networks, link-local
 * (cloud metadata 169.254.169.254 included), carrier-grade NAT (Alibaba's metadata 100.100.100.200),
 * multicast, reserved and unspecified ranges, and their IPv6 counterparts (unique-local covers AWS's
 * fd00:ec2::254).
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

/** True when the IP address is in a range outbound calls must not reach (anything that is not an address is refused too). */
export function isForbiddenAddress(addr: string): boolean {
  const bare = addr.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const fam = isIP(bare);
  if (fam === 4) return blocked.check(bare, 'ipv4');
  if (fam === 6) {
    const v4 = embeddedV4(bare);
    if (v4) return blocked.check(v4, 'ipv4');
    return blocked.check(bare, 'ipv6');
  }
  return true;
}

/** The guard refused a target; `code` is `refused_address`. */
export class RefusedAddressError extends Error {
  readonly code = 'refused_address';
  constructor(host: string, addr: string) {
    super(`Refused to connect to ${host}: it resolves to ${addr}, a private, loopback, link-local, multicast or metadata address`);
    this.name = 'RefusedAddressError';
  }
}

/** Obvious local names refused before any DNS look-up. */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** Why a URL's host is refused without resolving it (a forbidden IP literal or a local name), else undefined. */
export function literalHostProblem(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isForbiddenAddress(host) ? `${host} is a private, loopback, link-local, multicast or metadata address` : undefined;
  if (LOCAL_NAMES.test(host)) return `${host} is a local name`;
  return undefined;
}

/** Resolves a name to all its addresses (swappable in tests: no test may use the real DNS). */
export type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;

const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true })) as { address: string; family: 4 | 6 }[];

/**
 * Resolves the host and checks every address it has (an attacker's DNS may mix public and private
 * answers); returns the addresses to connect to, so the check and the connection use the same ones.
 */
export async function resolveAllSafely(
  host: string,
  allowPrivate: boolean,
  resolver: Resolver = systemResolver,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const fam = isIP(bare);
  const addrs = fam ? [{ address: bare, family: fam as 4 | 6 }] : await resolver(bare);
  if (!addrs.length) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  if (!allowPrivate) {
    for (const a of addrs) if (isForbiddenAddress(a.address)) throw new RefusedAddressError(host, a.address);
    if (!fam && LOCAL_NAMES.test(bare)) throw new RefusedAddressError(host, addrs[0]!.address);
  }
  return addrs;
}

/** {@link resolveAllSafely}, first address. */
export async function resolveSafely(host: string, allowPrivate: boolean, resolver?: Resolver): Promise<{ address: string; family: 4 | 6 }> {
  return (await resolveAllSafely(host, allowPrivate, resolver))[0]!;
}

/**
 * A `lookup` for sockets (net.connect, http agents) that refuses forbidden addresses: the socket
 * connects only to an address that passed the check. Handles both `all: true` (Happy Eyeballs) and
 * single-address callers.
 */
export function guardedLookup(allowPrivate: boolean, resolver?: Resolver): LookupFunction {
  return ((hostname: string, options: { all?: boolean } | number | undefined, callback: (...a: unknown[]) => void) => {
    const cb = typeof options === 'function' ? (options as (...a: unknown[]) => void) : callback;
    const all = typeof options === 'object' && options !== null && !!options.all;
    resolveAllSafely(hostname, allowPrivate, resolver).then(
      (addrs) => (all ? cb(null, addrs) : cb(null, addrs[0]!.address, addrs[0]!.family)),
      (e: unknown) => cb(e),
    );
  }) as LookupFunction;
}

/** Whether host settings let outbound calls reach private addresses (`CONNECTORS_ALLOW_PRIVATE`, or the older `WEBHOOKS_ALLOW_PRIVATE`). */
export function allowPrivateFrom(settings: Record<string, string | undefined>): boolean {
  const on = (v: string | undefined) => /^(true|1|yes)$/i.test(v ?? '');
  return on(settings.CONNECTORS_ALLOW_PRIVATE) || on(settings.WEBHOOKS_ALLOW_PRIVATE);
}

export interface GuardedHttpOptions {
  /** Let calls reach private, loopback and link-local addresses (on-premise systems, tests). Default false. */
  allowPrivate?: boolean;
  /** Whole-exchange deadline in ms (connect, send, answer). Default 15 000. */
  timeoutMs?: number;
  /** Largest response body read, in bytes. Default 10 MB. */
  maxResponseBytes?: number;
  baseURL?: string;
  headers?: Record<string, string>;
  /** Keep connections open between calls (long-lived clients only). Default false. */
  keepAlive?: boolean;
  /** Name resolution (tests inject one; the default is the system resolver). */
  resolver?: Resolver;
}

/**
 * An axios instance that cannot be pointed at the hub's own network: IP literals and local names
 * are refused before the request, names are resolved and every address checked by the sockets'
 * `lookup`, redirects are never followed (a 3xx is an answer, not a hop; callers see it as an error
 * unless they accept it with `validateStatus`), environment proxies are ignored, and each call has
 * a deadline and a response size cap. A refusal rejects with an error whose `code` is
 * `refused_address`.
 *
 * @example
 * const http = guardedHttp({ allowPrivate: false, timeoutMs: 10_000 });
 * await http.post('https://api.vendor.example/v1/orders', order);       // fine
 * await http.get('http://169.254.169.254/latest/meta-data');            // rejects: refused_address
 */
export function guardedHttp(o: GuardedHttpOptions = {}): AxiosInstance {
  const allowPrivate = !!o.allowPrivate;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const lookup = guardedLookup(allowPrivate, o.resolver);
  // One agent pair per client; a reused keep-alive socket was connected to a checked address.
  const keepAlive = !!o.keepAlive;
  const httpAgent = new http.Agent({ keepAlive, lookup } as http.AgentOptions);
  const httpsAgent = new https.Agent({ keepAlive, lookup } as https.AgentOptions);
  const ax = axios.create({
    ...(o.baseURL ? { baseURL: o.baseURL } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
    timeout: timeoutMs,
    maxRedirects: 0,
    proxy: false,
    maxContentLength: o.maxResponseBytes ?? 10 * 1024 * 1024,
    maxBodyLength: 10 * 1024 * 1024,
    httpAgent,
    httpsAgent,
  });
  ax.interceptors.request.use((c: InternalAxiosRequestConfig) => {
    // Per-request overrides cannot switch the guard off.
    c.maxRedirects = 0;
    c.proxy = false;
    c.httpAgent = httpAgent;
    c.httpsAgent = httpsAgent;
    c.signal ??= AbortSignal.timeout(c.timeout || timeoutMs);
    const url = new URL(ax.getUri(c));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw Object.assign(new Error(`Unsupported URL scheme ${url.protocol}`), { code: 'bad_url' });
    if (!allowPrivate) {
      const why = literalHostProblem(url);
      if (why) throw new RefusedAddressError(url.hostname, why.split(' ')[0]!);
    }
    return c;
  });
  return ax;
}

/** True when an error (axios-wrapped or not) is the guard's refusal. */
export function isRefusedAddress(e: unknown): boolean {
  const x = e as { code?: string; cause?: unknown } | undefined;
  return !!x && (x instanceof RefusedAddressError || x.code === 'refused_address' || (x.cause !== undefined && isRefusedAddress(x.cause)));
}
