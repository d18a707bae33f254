// Who is calling, and what the page's origin is: the socket address or, behind trusted proxies,
// X-Forwarded-* entries counted from the right; IP spellings made comparable; rate-limit keys.

import { isIP } from 'node:net';

/**
 * The entry `hops` from the right of a list header ("client, proxy1"): each trusted proxy appends
 * one, so anything further left is the client's own word. With fewer entries than hops the request
 * did not come through all the proxies, and no entry can be trusted: null.
 */
export function forwardedEntry(value: string | null, hops: number): string | null {
  if (hops <= 0 || value === null) return null;
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.length >= hops ? (entries[entries.length - hops] ?? null) : null;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: BankID wants the plain IPv4 form. */
export function plainIp(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** One spelling per address (IPv6 compressed, lower case), so two spellings compare equal. */
export function canonicalIp(address: string): string {
  const ip = plainIp(address.trim());
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip; // a zone id (fe80::1%eth0) is not a URL host
  }
}

/** 4, 6, or 0 when it is not an IP address. */
export const ipFamily = (address: string): 0 | 4 | 6 => isIP(canonicalIp(address)) as 0 | 4 | 6;

/** The eight groups of an IPv6 address, expanded. */
function ipv6Groups(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(':') : [];
    groups.push(...Array<string>(8 - groups.length - rest.length).fill('0'), ...rest);
  }
  return groups;
}

/**
 * What rate limits count by. One user: an IPv4 address, or an IPv6 /64 (what one household or
 * phone holds). One network: an IPv6 /48 (what one site holds; a /48 has 65 536 /64s), null for
 * IPv4, where carrier NAT already puts many users behind one address.
 */
export function rateKeys(address: string): { user: string; network: string | null } {
  const ip = canonicalIp(address);
  if (isIP(ip) !== 6) return { user: ip, network: null };
  const groups = ipv6Groups(ip);
  return { user: `${groups.slice(0, 4).join(':')}::/64`, network: `${groups.slice(0, 3).join(':')}::/48` };
}

/** The origin of an absolute URL, or null ("null" and garbage do not parse). */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * An X-Forwarded-For entry as some proxies write it, with a port (`198.51.100.7:5678`,
 * `[2001:db8::1]:443`), as the bare address; anything else as it is.
 */
export function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? (v4[1] as string) : entry;
}

/** An address as a number and its bit length, for prefix comparison. */
function addressBits(address: string): { value: bigint; bits: 32 | 128 } | null {
  const ip = canonicalIp(address);
  const family = isIP(ip);
  if (family === 4) {
    const value = ip.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n);
    return { value, bits: 32 };
  }
  if (family !== 6 || ip.includes('%') || ip.includes('.')) return null;
  return { value: ipv6Groups(ip).reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n), bits: 128 };
}

/**
 * A test for "is this address one of these": each entry an address ("10.0.0.7") or a network
 * ("10.0.0.0/8", "2001:db8::/32"). A TypeError names an entry that is neither.
 */
export function addressMatcher(entries: readonly string[]): (address: string | undefined) => boolean {
  const networks = entries.map((entry) => {
    const [base = '', length] = entry.split('/');
    const parsed = addressBits(base);
    const prefix = length === undefined ? parsed?.bits : Number(length);
    if (!parsed || prefix === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > parsed.bits) {
      throw new TypeError(`not an IP address or network: ${JSON.stringify(entry)}`);
    }
    const shift = BigInt(parsed.bits - prefix);
    return { bits: parsed.bits, shift, value: parsed.value >> shift };
  });
  return (address) => {
    const parsed = address === undefined ? null : addressBits(address);
    return (
      parsed !== null && networks.some((net) => net.bits === parsed.bits && parsed.value >> net.shift === net.value)
    );
  };
}
