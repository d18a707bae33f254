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
