/**
 * Keeps Herald from being used to reach the network it runs in (SSRF): by default, deliveries go only
 * to public addresses.
 *
 * Which check is authoritative: the one on the RESOLVED address, made when the socket connects
 * (`createGuardedConnector`). Checking the URL's host name when an endpoint is saved proves nothing —
 * DNS can answer differently later (DNS rebinding), and names like `localhost` or `x.nip.io` hide
 * private addresses. So the connector hands `net`/`tls` a `lookup` that resolves the name with
 * `dns.lookup` and refuses the connection if ANY resolved address is not public (refusing on any,
 * not just the chosen one, because Node's happy-eyeballs may try each address in turn). Host names
 * that are IP literals skip `lookup` in Node, so the connector checks those itself before connecting.
 * A connection, once made, is to a checked address; keep-alive reuses it only for the same origin.
 *
 * `validateEndpointUrl` is the cheap syntactic check the API runs when an endpoint is saved.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, isIPv4, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { ValidationError } from '../errors.js';

/** A connection refused because the address is not public. `send` turns it into an outcome. */
export class BlockedAddressError extends Error {
  readonly code = 'HERALD_BLOCKED_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    const target = host === address ? address : `${host} (${address})`;
    super(`refused to deliver to ${target}: ${reason} (start Herald with --allow-private-networks to allow)`);
    this.name = 'BlockedAddressError';
  }
}

interface Range {
  bytes: Uint8Array;
  bits: number;
  reason: string;
}

function range(cidr: string, reason: string): Range {
  const [address, bits] = cidr.split('/') as [string, string];
  return { bytes: isIPv4(address) ? ipv4Bytes(address) : ipv6Bytes(address), bits: Number(bits), reason };
}

// IANA special-purpose registries (RFC 6890 and successors). Anything listed is refused.
const IPV4_BLOCKED: readonly Range[] = [
  range('255.255.255.255/32', 'broadcast address'),
  range('0.0.0.0/8', '"this network" address (0.0.0.0/8)'),
  range('10.0.0.0/8', 'private address (10.0.0.0/8)'),
  range('100.64.0.0/10', 'carrier-grade NAT address (100.64.0.0/10)'),
  range('127.0.0.0/8', 'loopback address'),
  range('169.254.0.0/16', 'link-local address (169.254.0.0/16, includes cloud metadata services)'),
  range('172.16.0.0/12', 'private address (172.16.0.0/12)'),
  range('192.0.0.0/24', 'IETF protocol assignment address (192.0.0.0/24)'),
  range('192.0.2.0/24', 'documentation address (192.0.2.0/24)'),
  range('192.88.99.0/24', 'reserved 6to4 relay address (192.88.99.0/24)'),
  range('192.168.0.0/16', 'private address (192.168.0.0/16)'),
  range('198.18.0.0/15', 'benchmarking address (198.18.0.0/15)'),
  range('198.51.100.0/24', 'documentation address (198.51.100.0/24)'),
  range('203.0.113.0/24', 'documentation address (203.0.113.0/24)'),
  range('224.0.0.0/4', 'multicast address'),
  range('240.0.0.0/4', 'reserved address (240.0.0.0/4)'),
];

const IPV6_BLOCKED: readonly Range[] = [
  range('::/128', 'unspecified address'),
  range('::1/128', 'loopback address'),
  range('::/96', 'IPv4-compatible address (deprecated)'),
  range('64:ff9b:1::/48', 'local-use NAT64 address (64:ff9b:1::/48)'),
  range('100::/64', 'discard-only address (100::/64)'),
  range('2001::/23', 'IETF protocol assignment address (2001::/23, includes Teredo)'),
  range('2001:db8::/32', 'documentation address (2001:db8::/32)'),
  range('2002::/16', '6to4 address (2002::/16)'),
  range('3fff::/20', 'documentation address (3fff::/20)'),
  range('fc00::/7', 'unique local address (fc00::/7)'),
  range('fe80::/10', 'link-local address (fe80::/10)'),
  range('fec0::/10', 'site-local address (fec0::/10, deprecated)'),
  range('ff00::/8', 'multicast address'),
];

/** IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up at. */
const IPV6_EMBEDDING_IPV4: readonly Range[] = [
  range('::ffff:0:0/96', 'IPv4-mapped'),
  range('64:ff9b::/96', 'NAT64'),
];

const GLOBAL_UNICAST = range('2000::/3', '');

/**
 * Why `address` (an IPv4 or IPv6 literal) is not a public address, or null when it is.
 *
 * @example
 * blockedAddressReason('10.1.2.3') // 'private address (10.0.0.0/8)'
 * blockedAddressReason('::ffff:127.0.0.1') // 'IPv4-mapped loopback address'
 * blockedAddressReason('93.184.215.14') // null
 */
export function blockedAddressReason(address: string): string | null {
  const version = isIP(stripZone(address));
  if (version === 4) return matchRange(IPV4_BLOCKED, ipv4Bytes(address))?.reason ?? null;
  if (version !== 6) return 'not an IP address';
  const bytes = ipv6Bytes(address);
  const embedding = matchRange(IPV6_EMBEDDING_IPV4, bytes);
  if (embedding) {
    const inner = matchRange(IPV4_BLOCKED, bytes.subarray(12))?.reason;
    return inner === undefined ? null : `${embedding.reason} ${inner}`;
  }
  const blocked = matchRange(IPV6_BLOCKED, bytes);
  if (blocked) return blocked.reason;
  return inRange(GLOBAL_UNICAST, bytes) ? null : 'reserved address (outside global unicast 2000::/3)';
}

export function isPublicAddress(address: string): boolean {
  return blockedAddressReason(address) === null;
}

/**
 * A `lookup` for `net.connect`/`tls.connect` that resolves with `dns.lookup` and fails with a
 * `BlockedAddressError` when any resolved address is not public.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  const all: LookupAllOptions = { ...options, all: true };
  dnsLookup(hostname, all, (error, addresses) => {
    if (error) return callback(error, '', 0);
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason !== null) return callback(new BlockedAddressError(hostname, address, reason), '', 0);
    }
    const first: LookupAddress | undefined = addresses[0];
    if (first === undefined) return callback(notFound(hostname), '', 0);
    if (options.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  });
};

/**
 * An undici connector that refuses non-public addresses: IP-literal hosts before connecting, names
 * through `guardedLookup`. Pass it as the Pool's `connect` option.
 */
export function createGuardedConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: guardedLookup });
  return (target, callback) => {
    // undici has already removed the brackets of an IPv6 literal.
    if (isIP(stripZone(target.hostname)) !== 0) {
      const reason = blockedAddressReason(target.hostname);
      if (reason !== null) {
        callback(new BlockedAddressError(target.hostname, target.hostname, reason), null);
        return;
      }
    }
    connect(target, callback);
  };
}

/**
 * Parses an endpoint URL and checks the rules every endpoint must meet: http or https, a host, no
 * credentials. Does not resolve the host (see the header for why that would prove nothing).
 *
 * @throws ValidationError with field `url`.
 */
export function validateEndpointUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ValidationError('url must be an absolute URL such as https://example.com/webhooks', { field: 'url', cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError(`url must use http or https, not ${parsed.protocol.slice(0, -1)}`, { field: 'url' });
  }
  if (parsed.hostname === '') throw new ValidationError('url must include a host', { field: 'url' });
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ValidationError('url must not contain a username or password', { field: 'url' });
  }
  return parsed;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

function matchRange(ranges: readonly Range[], bytes: Uint8Array): Range | undefined {
  return ranges.find((r) => r.bytes.length === bytes.length && inRange(r, bytes));
}

function inRange({ bytes: prefix, bits }: Range, bytes: Uint8Array): boolean {
  if (prefix.length !== bytes.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (prefix[i] !== bytes[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (prefix[whole]! & mask) === (bytes[whole]! & mask);
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.'), Number);
}

/** The 16 bytes of a valid IPv6 literal (check with `isIP` first); a zone index is ignored. */
function ipv6Bytes(address: string): Uint8Array {
  let text = stripZone(address);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    const high = (v4[0]! << 8) | v4[1]!;
    const low = (v4[2]! << 8) | v4[3]!;
    text = `${text.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}
