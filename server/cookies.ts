// The backend's cookies: names, the Set-Cookie lines, reading a Cookie header defensively, and the
// sealed order state (AES-256-GCM with the cookie's name as additional data).
//
// On HTTPS every name carries the `__Host-` prefix: the browser then accepts the cookie only from
// this very host, Secure, with Path=/ and no Domain, so a sibling subdomain or a plain-HTTP
// attacker cannot plant one. Every cookie is HttpOnly: no script ever needs to read one.

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** How many values of one name, and of all our names together, are read; the host's own cookies do not count. */
const MAX_VALUES_PER_NAME = 4;
const MAX_VALUES_READ = 16;
const MAX_VALUE_LENGTH = 4096;

const SESSION_NAME = 'bankid-session';
const DEVICE_NAME = 'bankid-device';
const ORDER_PREFIX = 'bankid-order-';
const ORDER_NAME = /^bankid-order-[0-9a-f]{10}$/;

export interface CookieNames {
  session: string;
  device: string;
  /** The cookie of one order: `<prefix>bankid-order-` + the first 10 hex digits of SHA-256(orderRef). */
  order(orderRef: string): string;
  /** True for a name that order() makes. */
  isOrder(name: string): boolean;
}

/** The names, with `__Host-` on HTTPS. Plain-HTTP pages (local development) get the bare names. */
export function cookieNames(https: boolean): CookieNames {
  const prefix = https ? '__Host-' : '';
  return {
    session: prefix + SESSION_NAME,
    device: prefix + DEVICE_NAME,
    order: (orderRef) =>
      prefix + ORDER_PREFIX + createHash('sha256').update(orderRef, 'utf8').digest('hex').slice(0, 10),
    isOrder: (name) => name.startsWith(prefix) && ORDER_NAME.test(name.slice(prefix.length)),
  };
}

/**
 * A Cookie header → name → values, keeping only names `wanted` accepts. A name may come more than
 * once (a planted cookie with a longer path is sent first), so every value is kept, up to a few:
 * the caller tries each, and a planted value can never hide the real one.
 */
export function readCookies(header: string | null, wanted: (name: string) => boolean): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  let read = 0;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!wanted(name) || value === '' || value.length > MAX_VALUE_LENGTH) continue;
    const values = cookies.get(name) ?? [];
    if (values.length >= MAX_VALUES_PER_NAME || values.includes(value)) continue;
    values.push(value);
    cookies.set(name, values);
    if (++read >= MAX_VALUES_READ) break;
  }
  return cookies;
}

export interface CookieAttributes {
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
}

/** One Set-Cookie line: HttpOnly, Path=/ (what `__Host-` requires). */
export function setCookieLine(name: string, value: string, { sameSite, maxAge, secure }: CookieAttributes): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
}

/** Two independent keys from the one configured secret (HKDF-SHA256): the cookie cipher and the return nonce. */
export function deriveKeys(cookieKey: Uint8Array): { sealKey: Buffer; nonceKey: Buffer } {
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), label, 32));
  return { sealKey: derive('bankid-login order cookie v1'), nonceKey: derive('bankid-login return nonce v1') };
}

/**
 * Encrypts `plain` (text as UTF-8, or bytes) for the cookie called `name`: base64url(iv | ciphertext | tag).
 * Useless under any other name.
 */
export function seal(sealKey: Buffer, name: string, plain: string | Uint8Array): string {
  const iv = randomBytes(12); // fresh for every value: GCM must never reuse an iv with a key
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const bytes = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** The bytes sealed in `value` for `name`, or null if it is not ours, altered, or moved to another name. */
export function unseal(sealKey: Buffer, name: string, value: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{40,}$/.test(value)) return null;
  const raw = Buffer.from(value, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch {
    return null; // wrong key, flipped bit, other name, truncated: all the same to the caller
  }
}
