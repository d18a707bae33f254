// The host backend of CONTRACT §4 on the Fetch API: the element's only network peer. It starts
// BankID orders, binds each to the browser session that started it, makes the animated QR code,
// paces BankID's collect, and hands a completed login to the host's onComplete.
//
//   POST {basePath}/auth | /sign  {flow, returnUrl?} → {orderRef, autoStartToken} (this device)
//                                                      {orderRef, qr} (other device)
//   POST {basePath}/collect       {orderRef}         → {orderRef, status, hintCode?, qr?, …}
//   POST {basePath}/cancel        {orderRef}         → {}
//
// What the backend remembers of a live order (orderRef, the QR secrets, start time, the caller's
// address) travels sealed in one cookie per order, so any instance with the same key serves any
// request. The store (store.ts) holds only what instances must agree on: rate limits, the pace of
// BankID collects and the one-time claim of a completion. See server/README.md for the security
// model.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  addressMatcher,
  canonicalIp,
  forwardedEntry,
  ipFamily,
  originOf,
  plainIp,
  rateKeys,
  withoutPort,
} from './client-address.js';
import { cookieNames, deriveKeys, readCookies, seal, setCookieLine, unseal, type CookieNames } from './cookies.js';
import {
  HttpError,
  errorResponse,
  invalidParameters,
  isJsonContentType,
  jsonResponse,
  readJsonObject,
  toNodeListener,
  type ConnectionInfo,
  type NodeListener,
} from './http.js';
import { qrPayload } from './qr-payload.js';
import { isRpError, type CompletionData, type OrderRequest, type Requirement, type RpApi } from './rp-client.js';
import { createMemoryStore, type BankIdStore, type RateRule, type TokenBucket } from './store.js';

export type Operation = 'auth' | 'sign';
export type Flow = 'this-device' | 'other-device';

const SECOND = 1000;
const MAX_BODY_BYTES = 4 * 1024;
const MAX_ORDER_REF_LENGTH = 128;
/** BankID's tokens are UUIDs; the element refuses anything else, so the backend does too. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** BANKID-REFERENCE §1.3: web.userAgent is 1–256 characters; returnUrl at most 512 at BankID. */
const MAX_USER_AGENT_LENGTH = 256;
const MAX_RETURN_URL_LENGTH = 512;
/** userVisibleData: 1–1 500 characters after base64. */
const MAX_VISIBLE_DATA_BASE64 = 1500;
/** Orders end at BankID within minutes; the cookie (and our own check) outlive that a little. */
const ORDER_TTL_MS = 10 * 60 * SECOND;
/** Live orders kept per browser (the newest); older ones are abandoned. */
const MAX_LIVE_ORDERS = 4;
/** Stale order cookies deleted per answer; any more simply run out on their own. */
const MAX_EXPIRED_PER_ANSWER = 8;
const DEVICE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60; // Chrome's cap
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/; // 16 random bytes, base64url
const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/; // BankID allows 1–64 characters
/** When BankID rate-limits us without saying for how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 2;
/** What a collect record says once an order has ended: every instance then refuses it. */
const ENDED = '!ended';
/**
 * Pending hint codes that say the app has the order: then no QR code is sent. Any other, one BankID
 * adds later too, keeps fresh codes coming, since the element keeps the code in view (CONTRACT §4).
 * The same list as the element's (src/messages.ts); `userCallConfirm` is for phone orders only.
 */
const APP_HAS_ORDER_HINTS = new Set(['started', 'userSign', 'userMrtd', 'userFace', 'userStepUp', 'processing']);
/** BankID's "our configuration is broken" answers: never the user's fault (BANKID-REFERENCE §1.6). */
const CONFIG_ERROR_STATUSES = new Set([401, 403, 404, 405, 415]);
/** The browser schemes an iOS return may use besides our own origin (CONTRACT §4). */
const BROWSER_RETURN_SCHEMES = new Set(['googlechromes://', 'firefox://']);

/** Query parameter added to a this-device order's returnUrl; checked by verifyReturn(). */
export const RETURN_NONCE_PARAM = 'bankid-nonce';

export interface RateLimits {
  /** auth/sign per client (an IPv4 address or an IPv6 /64); an IPv6 /48 gets four times this. */
  start: RateRule;
  /** collect/cancel per client. */
  poll: RateRule;
  /**
   * Every start and cancel sent to BankID (collects are paced per order instead), per instance
   * (memory store) or per fleet (shared store).
   */
  bankIdCalls: RateRule;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  start: { burst: 5, perMinute: 10 },
  poll: { burst: 10, perMinute: 180 },
  bankIdCalls: { burst: 100, perMinute: 3000 },
});

/** What the user sees (and signs) in the BankID app. */
export interface UserVisibleText {
  text: string;
  format?: 'simpleMarkdownV1';
  /** Signed but not shown (sign orders), e.g. a hash of the document. */
  nonVisibleData?: string | Uint8Array;
}

export type UserVisibleDataOption =
  | string
  | ((order: {
      operation: Operation;
      request: Request;
    }) => string | UserVisibleText | Promise<string | UserVisibleText>);

/** A completed order, as onComplete gets it. */
export interface Completion {
  orderRef: string;
  operation: Operation;
  flow: Flow;
  /** BankID's completionData: user, device, signature, ocspResponse, risk, … Store it for audit. */
  completionData: CompletionData;
  /**
   * Whether BankID saw the user's app at the address of this browser: true, false, or null when
   * the two are of different families (IPv4 and IPv6) and cannot be compared. For this-device
   * orders a false never reaches onComplete (deviceAddressCheck 'refuse').
   */
  deviceIpMatches: boolean | null;
  /** The caller's address when the order started, and now. */
  startAddress: string;
  clientAddress: string;
}

/** Lets onComplete add headers to the collect answer, e.g. the Set-Cookie of the host's own login session. */
export interface CompletionReply {
  headers: Headers;
  /** The node:http objects when served through nodeListener (e.g. for express-session). */
  node?: { req: IncomingMessage; res: ServerResponse };
}

export type OnComplete = (
  completion: Completion,
  request: Request,
  reply: CompletionReply,
) => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;

export interface BankIdBackendOptions {
  /** BankID's RP API (createRpClient, or anything with auth/sign/collect/cancel). */
  rp: RpApi;
  /** 32 secret bytes, the same on every instance (cookieKeyFromEnv()). */
  cookieKey: Uint8Array;
  /**
   * Keys cookieKey held before (previousCookieKeysFromEnv()), at most 4: order cookies and return
   * nonces made under them are still accepted, so the key can change without dropping a login in
   * progress. Only cookieKey seals and makes nonces. Drop a key 10 minutes after no instance uses it.
   */
  previousCookieKeys?: readonly Uint8Array[];
  /** The origin users see, e.g. 'https://shop.example'. Required when NODE_ENV=production. */
  publicOrigin?: string;
  /** Where the four endpoints live; default '/api/bankid'. */
  basePath?: string;
  /** What the BankID app shows with every order: a text, or a function of the order. Required. */
  userVisibleData: UserVisibleDataOption;
  /** Requirements sent with every order (certificatePolicies, pinCode, mrtd, …). */
  requirement?: Requirement;
  /** Shared state for many instances; default an in-memory store for one. */
  store?: BankIdStore;
  /** Called once per completed order: log the user in here. Its object goes to the browser. */
  onComplete?: OnComplete;
  /** Complete orders that BankID rates `risk: 'high'`; default false (they fail with hint highRisk). */
  acceptHighRisk?: boolean;
  /**
   * A this-device order completed by an app at another address than the browser's:
   * 'refuse' (default): of the same family → failed deviceMismatch; IPv4 against IPv6 →
   * onComplete decides (deviceIpMatches null). 'strict': both are refused. 'flag': onComplete
   * decides every case.
   */
  deviceAddressCheck?: 'refuse' | 'strict' | 'flag';
  /** Send completionData to the browser too; default false (the demo turns it on). */
  exposeCompletionData?: boolean;
  /**
   * Believe X-Forwarded-For/-Proto/-Host: true = one proxy, a number = that many; or
   * `{ hops?, from }` to believe them only from these proxy addresses or networks
   * (e.g. `['10.0.0.0/8']`), which is what to use when the app can be reached around the proxies.
   * Default false.
   */
  trustProxy?: boolean | number | { hops?: number; from: readonly string[] };
  /** Per-client and per-fleet limits; `false` turns them off (benchmarks only). */
  rateLimits?: Partial<RateLimits> | false;
  /** Ask BankID about an order at most this often; default 2000 ms, at least 1000. */
  collectEveryMs?: number;
  /** Clock in ms. */
  now?: () => number;
  /** One line per problem; default console.error. Lines never hold personal data. */
  log?: (line: string) => void;
}

export interface BankIdBackend {
  /**
   * Answers the four endpoints; null for any other path (the host serves it). Pass the socket's
   * `clientAddress` (or set trustProxy): without it 127.0.0.1 stands in, and in production it is 500.
   */
  fetch(request: Request, connection?: ConnectionInfo): Promise<Response | null>;
  /** The same for node:http, Express, Connect and Fastify's middie: other paths go to next(), or 404. */
  nodeListener: NodeListener;
  /**
   * On the page an iOS this-device login returns to: true when the URL's bankid-nonce belongs to
   * this browser's session, i.e. the device coming back is the one that started the order.
   */
  verifyReturn(request: Request | IncomingMessage): boolean;
}

/** The state of one live order, sealed into its cookie. */
interface OrderState {
  operation: Operation;
  orderRef: string;
  sid: string;
  qrStartToken: string;
  qrStartSecret: string;
  startedAt: number;
  flow: Flow;
  startAddress: string;
}

/** What one request tells about its caller. */
interface Caller {
  origin: string | null;
  https: boolean;
  address: string;
  names: CookieNames;
  cookies: Map<string, string[]>;
  /** The session ids the browser sent (normally one). */
  sessions: string[];
}

/** Everything a step may add to the answer. */
interface Reply {
  cookies: string[];
  headers: Headers;
}

/** Same answer for unknown, expired, tampered and another session's orders: reveal nothing. */
const noSuchOrder = (): HttpError => invalidParameters('No such order');

/** At most this many previous cookie keys: each one costs every unreadable cookie another try. */
const MAX_PREVIOUS_COOKIE_KEYS = 4;

/** A key from base64 or base64url text, or what the text held instead (for the error message). */
function keyFromText(text: string): Buffer | string {
  if (text === '') return 'nothing';
  // Buffer.from(…, 'base64') silently skips bad characters, so check the alphabet first.
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
  if (!key) return 'text that is not base64';
  return key.length === 32 ? key : `${key.length} bytes`;
}

/**
 * The cookie key from `BANKID_COOKIE_KEY` (base64 or base64url of 32 random bytes); every instance
 * needs the same one. Unset: an error with `NODE_ENV=production` (a random key per process would
 * break every login that reaches another instance or outlives a restart); elsewhere a random key
 * with a warning.
 */
export function cookieKeyFromEnv(env: Record<string, string | undefined> = process.env): Buffer {
  const text = (env['BANKID_COOKIE_KEY'] ?? '').trim();
  if (text === '' && env['NODE_ENV'] === 'production') {
    throw new Error(
      'BANKID_COOKIE_KEY is not set (NODE_ENV=production): every instance needs the same 32 random bytes, in base64. ' +
        `Make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  if (text === '') {
    console.warn(
      'bankid-login: BANKID_COOKIE_KEY is not set, using a random key. Orders in progress will not ' +
        "survive a restart, and other instances cannot read this one's cookies.",
    );
    return randomBytes(32);
  }
  const key = keyFromText(text);
  if (typeof key === 'string') {
    throw new Error(
      `BANKID_COOKIE_KEY must be 32 random bytes in base64 (got ${key}). ` +
        `Make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  return key;
}

/**
 * The keys `BANKID_COOKIE_KEY` held before, from `BANKID_PREVIOUS_COOKIE_KEYS`: base64 or base64url
 * of 32 bytes each, separated by commas, at most 4. Cookies and return nonces made under them are
 * still read (see the previousCookieKeys option). Unset or empty: none.
 */
export function previousCookieKeysFromEnv(env: Record<string, string | undefined> = process.env): Buffer[] {
  const text = (env['BANKID_PREVIOUS_COOKIE_KEYS'] ?? '').trim();
  if (text === '') return [];
  const texts = text.split(',').map((part) => part.trim());
  if (texts.length > MAX_PREVIOUS_COOKIE_KEYS) {
    throw new Error(
      `BANKID_PREVIOUS_COOKIE_KEYS holds ${texts.length} keys; at most ${MAX_PREVIOUS_COOKIE_KEYS} are read. ` +
        'Keep only the keys retired in the last 10 minutes.',
    );
  }
  return texts.map((part, i) => {
    const key = keyFromText(part);
    if (typeof key === 'string') {
      throw new Error(
        `BANKID_PREVIOUS_COOKIE_KEYS: key ${i + 1} of ${texts.length} must be 32 random bytes in base64 ` +
          `(got ${key}); separate the keys with commas`,
      );
    }
    return key;
  });
}

/** Constant-time string equality. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const randomId = (bytes = 16): string => randomBytes(bytes).toString('base64url');

const returnNonce = (nonceKey: Buffer, sid: string): string =>
  createHmac('sha256', nonceKey).update(sid, 'utf8').digest('base64url');

// The order state as its cookie carries it. Version 2, which BankID's answers always fit, is binary:
// one byte (2 in the low four bits; 0x10 sign, 0x20 other device, 0x40 an IPv6 address), then
// orderRef, the session id, qrStartToken and qrStartSecret as 16 raw bytes each, startedAt as 6
// bytes of milliseconds and the start address as 4 or 16 bytes: 75 or 87 bytes, a cookie value of
// 138 or 154 characters. A state that would not come back exactly the same (a token that is not a
// lower-case UUID, a zone id in the address, …) goes as version 1, the JSON array
// `[1, operation, orderRef, …]` that cookies held before. Both are read: version 1 starts with '['.

const V2 = 0x02;
const V2_SIGN = 0x10;
const V2_OTHER_DEVICE = 0x20;
const V2_IPV6 = 0x40;
/** The bits a version-2 first byte may have besides the version. */
const V2_FLAGS = V2_SIGN | V2_OTHER_DEVICE | V2_IPV6;
/** Everything but the address: the first byte, four 16-byte ids, 6 bytes of time. */
const V2_FIXED_LENGTH = 1 + 4 * 16 + 6;
const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_ARRAY = 0x5b; // '['

const uuidBytes = (text: string): Buffer | null =>
  LOWER_CASE_UUID.test(text) ? Buffer.from(text.replace(/-/g, ''), 'hex') : null;

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A canonical address (canonicalIp) as 4 or 16 bytes; null for anything else. */
function addressBytes(address: string): Buffer | null {
  const family = ipFamily(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6 || !/^[0-9a-f:]+$/.test(address)) return null;
  const [head = '', tail, extra] = address.split('::');
  if (extra !== undefined) return null;
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(':') : [];
    const zeros = 8 - groups.length - rest.length;
    if (zeros < 1) return null;
    groups.push(...Array<string>(zeros).fill('0'), ...rest);
  }
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), 2 * i));
  return bytes;
}

function addressText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16));
  return canonicalIp(groups.join(':'));
}

/** Version 2, or null when a field does not have the form it needs. */
function packState(state: OrderState): Buffer | null {
  const { operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, startAddress } = state;
  const sidBytes = SESSION_ID.test(sid) ? Buffer.from(sid, 'base64url') : null;
  const ids = [uuidBytes(orderRef), sidBytes, uuidBytes(qrStartToken), uuidBytes(qrStartSecret)];
  const address = addressBytes(startAddress);
  if (!ids.every((id) => id?.length === 16) || address === null) return null;
  if (!(Number.isSafeInteger(startedAt) && startedAt >= 0 && startedAt < 2 ** 48)) return null;
  const time = Buffer.alloc(6);
  time.writeUIntBE(startedAt, 0, 6);
  const flags =
    V2 |
    (operation === 'sign' ? V2_SIGN : 0) |
    (flow === 'other-device' ? V2_OTHER_DEVICE : 0) |
    (address.length === 16 ? V2_IPV6 : 0);
  return Buffer.concat([Buffer.of(flags), ...(ids as Buffer[]), time, address]);
}

/** Version 2 back: exactly the length its first byte calls for, or null. */
function unpackState(bytes: Buffer): OrderState | null {
  const flags = bytes[0];
  if (flags === undefined || (flags & ~V2_FLAGS) !== V2) return null;
  if (bytes.length !== V2_FIXED_LENGTH + (flags & V2_IPV6 ? 16 : 4)) return null;
  let at = 1;
  const take = (length: number): Buffer => bytes.subarray(at, (at += length));
  return {
    operation: flags & V2_SIGN ? 'sign' : 'auth',
    orderRef: uuidText(take(16)),
    sid: take(16).toString('base64url'),
    qrStartToken: uuidText(take(16)),
    qrStartSecret: uuidText(take(16)),
    startedAt: take(6).readUIntBE(0, 6),
    flow: flags & V2_OTHER_DEVICE ? 'other-device' : 'this-device',
    startAddress: addressText(bytes.subarray(at)),
  };
}

const sameState = (a: OrderState, b: OrderState): boolean =>
  (Object.keys(a) as Array<keyof OrderState>).every((key) => a[key] === b[key]);

function encodeState(state: OrderState): Buffer {
  const packed = packState(state);
  // Only what decodes to the very same strings goes as version 2.
  const unpacked = packed && unpackState(packed);
  if (packed && unpacked && sameState(unpacked, state)) return packed;
  const { operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, startAddress } = state;
  const v1 = [1, operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, startAddress];
  return Buffer.from(JSON.stringify(v1), 'utf8');
}

function decodeState(bytes: Buffer): OrderState | null {
  return bytes[0] === JSON_ARRAY ? decodeJsonState(bytes.toString('utf8')) : unpackState(bytes);
}

/** Version 1: the JSON array. */
function decodeJsonState(text: string): OrderState | null {
  try {
    const [v, operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, startAddress] = JSON.parse(
      text,
    ) as unknown[];
    const strings = [orderRef, sid, qrStartToken, qrStartSecret, startAddress];
    if (v !== 1 || !strings.every((s) => typeof s === 'string') || typeof startedAt !== 'number') return null;
    if ((operation !== 'auth' && operation !== 'sign') || (flow !== 'this-device' && flow !== 'other-device')) {
      return null;
    }
    return { operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, startAddress } as OrderState;
  } catch {
    return null;
  }
}

/** The previousCookieKeys option: 32-byte keys, at most 4, none of them cookieKey itself; or a TypeError. */
function checkPreviousCookieKeys(value: unknown, cookieKey: Uint8Array): Uint8Array[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PREVIOUS_COOKIE_KEYS) {
    throw new TypeError(
      `createBankIdBackend: previousCookieKeys must be an array of at most ${MAX_PREVIOUS_COOKIE_KEYS} keys ` +
        '(see previousCookieKeysFromEnv())',
    );
  }
  return value.map((key: unknown, i) => {
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new TypeError(
        `createBankIdBackend: previousCookieKeys[${i}] must be 32 bytes (see previousCookieKeysFromEnv())`,
      );
    }
    // The same key twice: the rotation did not happen (the new key is missing from cookieKey).
    if (Buffer.from(key).equals(Buffer.from(cookieKey))) {
      throw new TypeError(
        `createBankIdBackend: previousCookieKeys[${i}] is cookieKey itself; put the new key in cookieKey`,
      );
    }
    return key;
  });
}

/** The publicOrigin option as an origin, or a TypeError. */
function checkPublicOrigin(value: string): string {
  let url: URL | null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!(url && (url.protocol === 'https:' || url.protocol === 'http:') && url.href === `${url.origin}/`)) {
    throw new TypeError("createBankIdBackend: publicOrigin must be an origin such as 'https://shop.example'");
  }
  return url.origin;
}

function checkRule(rule: unknown, name: string): RateRule {
  const { burst, perMinute } = (rule ?? {}) as Partial<RateRule>;
  if (!(Number.isFinite(burst) && burst! >= 1 && Number.isFinite(perMinute) && perMinute! > 0)) {
    throw new TypeError(`createBankIdBackend: rateLimits.${name} must be {burst: ≥ 1, perMinute: > 0}`);
  }
  return { burst: burst!, perMinute: perMinute! };
}

function checkUserVisibleText(value: string | UserVisibleText): {
  userVisibleData: string;
  userVisibleDataFormat?: 'simpleMarkdownV1';
  userNonVisibleData?: string;
} {
  const { text, format, nonVisibleData } = typeof value === 'string' ? ({ text: value } as UserVisibleText) : value;
  const userVisibleData = typeof text === 'string' && text !== '' ? Buffer.from(text, 'utf8').toString('base64') : '';
  if (userVisibleData === '' || userVisibleData.length > MAX_VISIBLE_DATA_BASE64) {
    throw new TypeError('userVisibleData must be a text of 1–1 500 characters in base64 (about 1 100 bytes of UTF-8)');
  }
  if (format !== undefined && format !== 'simpleMarkdownV1') {
    throw new TypeError("userVisibleData.format may only be 'simpleMarkdownV1'");
  }
  return {
    userVisibleData,
    ...(format ? { userVisibleDataFormat: format } : {}),
    ...(nonVisibleData !== undefined ? { userNonVisibleData: Buffer.from(nonVisibleData).toString('base64') } : {}),
  };
}

/** A BankID failure → the answer for the browser, plus one log line. BankID's `details` stay out of both. */
function rpFailure(call: string, error: unknown, log: (line: string) => void): HttpError {
  if (!isRpError(error)) {
    const reason = String(
      (error as { code?: unknown; name?: unknown } | null)?.code ?? (error as Error)?.name ?? 'error',
    );
    log(`bankid-login: BankID ${call}: no usable answer (${reason.slice(0, 40)}) → 503 bankidUnavailable`);
    return new HttpError(503, 'bankidUnavailable', 'BankID cannot be reached right now.');
  }
  const { status, errorCode, retryAfterMs } = error;
  let answer: HttpError;
  if (status === 400 && errorCode === 'alreadyInProgress') {
    answer = new HttpError(400, 'alreadyInProgress', 'An order for this user is already in progress.');
  } else if (status === 400) {
    answer = invalidParameters('BankID refused the request.');
  } else if (status === 429) {
    const seconds = retryAfterMs && retryAfterMs > 0 ? Math.ceil(retryAfterMs / SECOND) : DEFAULT_RETRY_AFTER_SECONDS;
    answer = new HttpError(429, 'tooManyRequests', 'Too many requests; try again shortly.', {
      'Retry-After': String(seconds),
    });
  } else if (status === 408) {
    answer = new HttpError(503, 'requestTimeout', 'BankID did not answer in time.');
  } else if (status === 503) {
    answer = new HttpError(503, 'maintenance', 'BankID is temporarily out of service.');
  } else if (status === 500) {
    answer = new HttpError(500, 'internalError', 'BankID had an internal error.');
  } else if (CONFIG_ERROR_STATUSES.has(status)) {
    answer = new HttpError(500, 'internalError', 'The login service is misconfigured.');
  } else {
    answer = new HttpError(503, 'bankidUnavailable', 'BankID cannot be reached right now.');
  }
  const note = CONFIG_ERROR_STATUSES.has(status)
    ? ' (our RP configuration is broken: certificate, URL or request format)'
    : errorCode === 'invalidParameters'
      ? ' (order unknown to BankID, or a bug in our request)'
      : '';
  log(
    `bankid-login: BankID ${call}: ${status} ${errorCode ?? '(no errorCode)'} → ${answer.status} ${answer.errorCode}${note}`,
  );
  return answer;
}

/**
 * The reference host backend of CONTRACT §4 as a Fetch handler (see server/README.md). Options are
 * checked at once: a mistake is a TypeError here, never a weaker login later.
 */
export function createBankIdBackend(options: BankIdBackendOptions): BankIdBackend {
  const {
    rp,
    cookieKey,
    basePath = '/api/bankid',
    userVisibleData,
    requirement,
    onComplete,
    acceptHighRisk = false,
    deviceAddressCheck = 'refuse',
    exposeCompletionData = false,
    trustProxy = false,
    collectEveryMs = 2000,
    now = Date.now,
    log = (line: string) => console.error(line),
  } = options;
  for (const method of ['auth', 'sign', 'collect', 'cancel'] as const) {
    if (typeof rp?.[method] !== 'function') throw new TypeError(`createBankIdBackend: rp.${method} must be a function`);
  }
  if (!(cookieKey instanceof Uint8Array) || cookieKey.length !== 32) {
    throw new TypeError('createBankIdBackend: cookieKey must be 32 bytes (see cookieKeyFromEnv())');
  }
  const previousCookieKeys = checkPreviousCookieKeys(options.previousCookieKeys, cookieKey);
  if (!/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(basePath)) {
    throw new TypeError('createBankIdBackend: basePath must be a plain absolute path such as "/api/bankid"');
  }
  if (userVisibleData === undefined) {
    throw new TypeError(
      'createBankIdBackend: userVisibleData is required: the text the BankID app shows, e.g. "Logga in på Shop"',
    );
  }
  if (typeof userVisibleData === 'string') checkUserVisibleText(userVisibleData);
  else if (typeof userVisibleData !== 'function') {
    throw new TypeError('createBankIdBackend: userVisibleData must be a text or a function of the order');
  }
  const siteOrigin = options.publicOrigin === undefined ? null : checkPublicOrigin(options.publicOrigin);
  const production = process.env['NODE_ENV'] === 'production';
  let warnedNoAddressAt = -Infinity;
  if (siteOrigin === null && production) {
    throw new TypeError(
      "createBankIdBackend: publicOrigin is required when NODE_ENV=production (e.g. 'https://shop.example'): " +
        'without it the Host header would decide which origin is trusted',
    );
  }
  const proxy = typeof trustProxy === 'object' && trustProxy !== null ? trustProxy : null;
  const proxyHops: number = proxy
    ? (proxy.hops ?? 1)
    : typeof trustProxy === 'number'
      ? trustProxy
      : trustProxy
        ? 1
        : 0;
  if (!(Number.isInteger(proxyHops) && proxyHops >= 0) || (proxy && !Array.isArray(proxy.from))) {
    throw new TypeError(
      'createBankIdBackend: trustProxy must be true, false, the number of trusted proxies, or {hops?, from: [addresses]}',
    );
  }
  let isTrustedProxy: (address: string | undefined) => boolean = () => true;
  if (proxy) {
    try {
      isTrustedProxy = addressMatcher(proxy.from);
    } catch (error) {
      throw new TypeError(`createBankIdBackend: trustProxy.from: ${(error as Error).message}`, { cause: error });
    }
  }
  if (!['refuse', 'strict', 'flag'].includes(deviceAddressCheck)) {
    throw new TypeError("createBankIdBackend: deviceAddressCheck must be 'refuse', 'strict' or 'flag'");
  }
  if (!(Number.isFinite(collectEveryMs) && collectEveryMs >= 1000)) {
    throw new TypeError(
      'createBankIdBackend: collectEveryMs must be at least 1000 (BankID: at most one collect a second)',
    );
  }
  let limits: RateLimits | null = null;
  if (options.rateLimits !== false) {
    const merged = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    limits = {
      start: checkRule(merged.start, 'start'),
      poll: checkRule(merged.poll, 'poll'),
      bankIdCalls: checkRule(merged.bankIdCalls, 'bankIdCalls'),
    };
  }
  const store = options.store ?? createMemoryStore({ now });
  // The current key first: it alone seals and makes nonces; the previous ones are only read.
  const { sealKey, nonceKey } = deriveKeys(cookieKey);
  const previousKeys = previousCookieKeys.map((key) => deriveKeys(key));
  const sealKeys = [sealKey, ...previousKeys.map((key) => key.sealKey)];
  const nonceKeys = [nonceKey, ...previousKeys.map((key) => key.nonceKey)];
  const base = basePath.replace(/\/$/, '');
  const routes = new Map<string, Operation | 'collect' | 'cancel'>(
    (['auth', 'sign', 'collect', 'cancel'] as const).map((op) => [`${base}/${op}`, op]),
  );

  // --- the caller ------------------------------------------------------------------------

  /** The X-Forwarded-* entry to believe, if the request came through the trusted proxies. */
  function forwardedOf(headers: Headers, connection: ConnectionInfo): (name: string) => string | null {
    const trusted = proxyHops > 0 && isTrustedProxy(connection.clientAddress);
    return (name) => (trusted ? forwardedEntry(headers.get(name), proxyHops) : null);
  }

  /** Is the page the user sees on HTTPS? publicOrigin says; else the request (and a trusted proxy). */
  function schemeOf(url: URL, forwarded: (name: string) => string | null): 'http' | 'https' {
    if (siteOrigin) return siteOrigin.startsWith('https:') ? 'https' : 'http';
    const proto = forwarded('x-forwarded-proto')?.toLowerCase();
    if (proto === 'https' || proto === 'http') return proto;
    return url.protocol === 'https:' ? 'https' : 'http';
  }

  function callerOf(request: Request, connection: ConnectionInfo): Caller {
    const forwarded = forwardedOf(request.headers, connection);
    const url = new URL(request.url);
    const scheme = schemeOf(url, forwarded);
    let origin = siteOrigin;
    if (origin === null) {
      const host = forwarded('x-forwarded-host') ?? url.host;
      origin = /^[A-Za-z0-9.:[\]-]+$/.test(host) ? originOf(`${scheme}://${host}`) : null;
    }
    const proxied = forwarded('x-forwarded-for');
    const candidates = [proxied === null ? '' : plainIp(withoutPort(proxied)), plainIp(connection.clientAddress ?? '')];
    let address = candidates.find((ip) => ipFamily(ip) !== 0);
    if (address === undefined) {
      const advice = 'call backend.fetch(request, { clientAddress }) with the socket address, or set trustProxy';
      // BankID's endUserIp and every per-client limit need the real address: production refuses.
      if (production) throw new Error(`no client address: ${advice}`);
      // Said again every minute: every user now shares one set of limits, and this-device logins fail.
      if (now() - warnedNoAddressAt >= 60_000) {
        warnedNoAddressAt = now();
        log(`bankid-login: no client address, 127.0.0.1 stands in (never in production): ${advice}`);
      }
      address = '127.0.0.1';
    }
    const https = scheme === 'https';
    const names = cookieNames(https);
    const cookies = readCookies(
      request.headers.get('cookie'),
      (name) => name === names.session || name === names.device || names.isOrder(name),
    );
    const sessions = (cookies.get(names.session) ?? []).filter((sid) => SESSION_ID.test(sid));
    return { origin, https, address: canonicalIp(address), names, cookies, sessions };
  }

  /**
   * CSRF defence for a cookie-authenticated JSON API: a browser that says where the request comes
   * from must say "this very origin". (Origin comes with every cross-origin POST; Sec-Fetch-Site
   * from every current browser.)
   */
  function checkSameOrigin(headers: Headers, origin: string | null): void {
    const claimed = headers.get('origin');
    if (claimed !== null && (origin === null || originOf(claimed) !== origin)) {
      throw new HttpError(403, 'forbidden', 'Cross-origin requests are not allowed.');
    }
    const site = headers.get('sec-fetch-site');
    if (site !== null && site !== 'same-origin' && site !== 'none') {
      throw new HttpError(403, 'forbidden', 'Cross-site requests are not allowed.');
    }
  }

  // --- cookies ---------------------------------------------------------------------------

  const orderCookie = (caller: Caller, name: string, state: OrderState): string =>
    setCookieLine(name, seal(sealKey, name, encodeState(state)), {
      sameSite: 'Strict',
      maxAge: ORDER_TTL_MS / SECOND,
      secure: caller.https,
    });
  const expiredCookie = (caller: Caller, name: string): string =>
    setCookieLine(name, '', { sameSite: 'Strict', maxAge: 0, secure: caller.https });

  /** The bytes sealed in `value` under the current key, else under a previous one; null if none opens it. */
  function unsealAny(name: string, value: string): Buffer | null {
    for (const key of sealKeys) {
      const plain = unseal(key, name, value);
      if (plain !== null) return plain;
    }
    return null;
  }

  /**
   * The order sealed under `name` in one of `values`, if it is ours, intact, young, really this
   * order's cookie, and started in one of `sessions`. One sealed under a previous key is good too;
   * it moves to the current key when its cookie is next written anyway (carryOverOrders), never
   * by an extra Set-Cookie on a collect.
   */
  function openOrder(caller: Caller, name: string, values: readonly string[]): OrderState | null {
    const t = now();
    for (const value of values) {
      const plain = unsealAny(name, value);
      const state = plain === null ? null : decodeState(plain);
      if (!state || caller.names.order(state.orderRef) !== name) continue;
      if (!(t - state.startedAt < ORDER_TTL_MS)) continue; // do not trust Max-Age alone
      if (caller.sessions.some((sid) => sameText(sid, state.sid))) return state;
    }
    return null;
  }

  /** The order named in a collect/cancel body, if this browser session started it; else "No such order". */
  function findOrder(caller: Caller, orderRef: string): { name: string; state: OrderState } {
    const name = caller.names.order(orderRef);
    const state = openOrder(caller, name, caller.cookies.get(name) ?? []);
    if (!state || state.orderRef !== orderRef) throw noSuchOrder();
    return { name, state };
  }

  /**
   * A new order rotates the session id. The browser's other live orders move to the new id (so the
   * element can still cancel them); unreadable, foreign and surplus order cookies are deleted, a
   * few per answer.
   */
  function carryOverOrders(caller: Caller, newSid: string): string[] {
    const live: Array<{ name: string; state: OrderState }> = [];
    const stale: string[] = [];
    for (const [name, values] of caller.cookies) {
      if (!caller.names.isOrder(name)) continue;
      const state = openOrder(caller, name, values);
      if (state) live.push({ name, state });
      else stale.push(name);
    }
    live.sort((a, b) => b.state.startedAt - a.state.startedAt);
    // MAX_LIVE_ORDERS - 1: the order being started takes the last place.
    for (const { name } of live.splice(MAX_LIVE_ORDERS - 1)) stale.push(name);
    return [
      ...live.map(({ name, state }) => orderCookie(caller, name, { ...state, sid: newSid })),
      ...stale.slice(0, MAX_EXPIRED_PER_ANSWER).map((name) => expiredCookie(caller, name)),
    ];
  }

  // --- limits ----------------------------------------------------------------------------

  const tooMany = (waitMs: number): HttpError =>
    new HttpError(429, 'tooManyRequests', 'Too many requests; try again shortly.', {
      'Retry-After': String(Math.max(1, Math.ceil(waitMs / SECOND))),
    });

  /**
   * 429 unless the caller and its network (an IPv6 /48 gets four times a client's room) have a
   * token left, and, for a call that makes BankID work (start, cancel), the fleet too. Collects
   * are paced per order instead, so a flood of starts or cancels can never stall a login in progress.
   */
  async function checkRate(kind: 'start' | 'poll', caller: Caller, withBankIdCall: boolean): Promise<void> {
    if (!limits) return;
    const rule = limits[kind];
    const keys = rateKeys(caller.address);
    const buckets: TokenBucket[] = [{ key: `${kind}:${keys.user}`, ...rule }];
    if (keys.network) {
      buckets.push({ key: `${kind}:${keys.network}`, burst: rule.burst * 4, perMinute: rule.perMinute * 4 });
    }
    if (withBankIdCall) buckets.push({ key: 'bankid', ...limits.bankIdCalls });
    const waitMs = await store.takeTokens(buckets);
    if (waitMs > 0) throw tooMany(waitMs);
  }

  // --- answers ---------------------------------------------------------------------------

  /** qrTime: whole seconds since the auth/sign answer arrived (BANKID-REFERENCE §5.1). */
  const qrAt = (state: OrderState, t: number): string =>
    qrPayload(state.qrStartToken, state.qrStartSecret, Math.max(0, Math.floor((t - state.startedAt) / SECOND)));

  function pendingAnswer(state: OrderState, hintCode: string | null, t: number): Record<string, unknown> {
    // The element knows which order it asked about: no orderRef in the answer it gets every second.
    const answer: Record<string, unknown> = { status: 'pending' };
    if (hintCode) answer['hintCode'] = hintCode;
    // A QR code until the app has the order, and never for this-device orders.
    if (state.flow === 'other-device' && !(hintCode !== null && APP_HAS_ORDER_HINTS.has(hintCode)))
      answer['qr'] = qrAt(state, t);
    return answer;
  }

  // --- the endpoints ---------------------------------------------------------------------

  async function start(
    operation: Operation,
    body: Record<string, unknown>,
    request: Request,
    caller: Caller,
    reply: Reply,
  ) {
    const flow = body['flow'];
    if (flow !== 'this-device' && flow !== 'other-device') {
      throw invalidParameters('flow must be "this-device" or "other-device".');
    }
    const returnUrl = checkReturnUrl(body['returnUrl'], caller.origin);
    await checkRate('start', caller, true);

    let visible: ReturnType<typeof checkUserVisibleText>;
    try {
      visible = checkUserVisibleText(
        typeof userVisibleData === 'string' ? userVisibleData : await userVisibleData({ operation, request }),
      );
    } catch (error) {
      throw new Error(`userVisibleData: ${(error as Error).message}`, { cause: error });
    }
    const sid = randomId(); // rotated now; the new order belongs to the new id
    const knownDevice = caller.cookies.get(caller.names.device)?.find((id) => DEVICE_ID.test(id));
    const deviceId = knownDevice ?? randomId(32);
    const web: NonNullable<OrderRequest['web']> = { deviceIdentifier: deviceId };
    const domain = caller.origin === null ? '' : new URL(caller.origin).hostname;
    if (domain.length >= 3 && domain.length <= 253) web.referringDomain = domain;
    const userAgent = (request.headers.get('user-agent') ?? '').slice(0, MAX_USER_AGENT_LENGTH);
    if (userAgent) web.userAgent = userAgent;
    const orderRequest: OrderRequest = { endUserIp: caller.address, returnRisk: true, ...visible, web };
    if (requirement) orderRequest.requirement = requirement;
    // BankID's returnUrl is for the same device only: a phone that scanned a QR code must not be
    // sent to this browser's page. The nonce ties the return to this session.
    if (returnUrl && flow === 'this-device') {
      const withNonce = withReturnNonce(returnUrl, returnNonce(nonceKey, sid));
      if (withNonce.length <= MAX_RETURN_URL_LENGTH) orderRequest.returnUrl = withNonce;
      else
        log(`bankid-login: ${operation}: the returnUrl is over ${MAX_RETURN_URL_LENGTH} characters; sent without it`);
    }

    let started: unknown;
    try {
      started = await rp[operation](orderRequest);
    } catch (error) {
      throw rpFailure(operation, error, log);
    }
    const startedAt = now(); // qrTime counts from the answer, not from the request
    const { orderRef, autoStartToken, qrStartToken, qrStartSecret } = (started ?? {}) as Record<string, unknown>;
    const tokens = [autoStartToken, qrStartToken, qrStartSecret];
    if (
      !(typeof orderRef === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(orderRef)) ||
      !tokens.every((token) => typeof token === 'string' && UUID.test(token))
    ) {
      throw rpFailure(operation, { name: 'malformed answer' }, log);
    }
    const state: OrderState = {
      operation,
      orderRef,
      sid,
      qrStartToken: qrStartToken as string,
      qrStartSecret: qrStartSecret as string,
      startedAt,
      flow,
      startAddress: caller.address,
    };
    reply.cookies.push(
      setCookieLine(caller.names.session, sid, {
        sameSite: 'Lax',
        maxAge: ORDER_TTL_MS / SECOND,
        secure: caller.https,
      }),
      setCookieLine(caller.names.device, deviceId, {
        sameSite: 'Lax',
        maxAge: DEVICE_MAX_AGE_SECONDS,
        secure: caller.https,
      }),
      ...carryOverOrders(caller, sid),
      orderCookie(caller, caller.names.order(orderRef), state),
    );
    // Never qrStartToken or qrStartSecret: only the finished QR payload leaves the server. The
    // autoStartToken only where the element launches the app.
    if (flow === 'this-device') return { orderRef, autoStartToken };
    return { orderRef, qr: qrAt(state, startedAt) };
  }

  async function collect(
    body: Record<string, unknown>,
    request: Request,
    caller: Caller,
    reply: Reply,
    node: ConnectionInfo['node'],
  ) {
    const orderRef = requireOrderRef(body);
    const { name, state } = findOrder(caller, orderRef);
    await checkRate('poll', caller, false);

    const ended = (): HttpError => {
      reply.cookies.push(expiredCookie(caller, name));
      return noSuchOrder();
    };
    // BankID asks for one collect per order about every 2 s, across the whole fleet; the element
    // polls every second while a QR code shows. Callers without the turn get the last answer.
    const { turn, last } = await store.collectTurn(orderRef, collectEveryMs);
    if (last === ENDED) throw ended();
    const lastHint = last === null || last === '' ? null : last;
    if (!turn) return pendingAnswer(state, lastHint, now());

    let result: unknown;
    try {
      result = await rp.collect(orderRef);
    } catch (error) {
      // invalidParameters: BankID no longer knows the order (or has answered its end already).
      if (isRpError(error) && error.status === 400 && error.errorCode === 'invalidParameters') {
        await store.recordCollect(orderRef, ENDED, ORDER_TTL_MS);
        reply.cookies.push(expiredCookie(caller, name));
      }
      throw rpFailure('collect', error, log);
    }
    const { status, hintCode, completionData, orderRef: answeredFor } = (result ?? {}) as Record<string, unknown>;
    // An answer about another order is BankID (or what stands in between) confused: never ours to act on.
    if (answeredFor !== undefined && answeredFor !== orderRef)
      throw rpFailure('collect', { name: 'malformed answer' }, log);
    const hint = typeof hintCode === 'string' ? hintCode : null;
    if (status === 'pending') {
      await store.recordCollect(orderRef, hint ?? '', ORDER_TTL_MS);
      return pendingAnswer(state, hint, now());
    }
    if (status === 'failed') {
      await store.recordCollect(orderRef, ENDED, ORDER_TTL_MS);
      reply.cookies.push(expiredCookie(caller, name));
      return hint ? { orderRef, status: 'failed', hintCode: hint } : { orderRef, status: 'failed' };
    }
    if (status === 'complete' && completionData !== null && typeof completionData === 'object') {
      await store.recordCollect(orderRef, ENDED, ORDER_TTL_MS);
      reply.cookies.push(expiredCookie(caller, name));
      return complete(completionData as CompletionData, state, request, caller, reply, node);
    }
    throw rpFailure('collect', { name: 'malformed answer' }, log);
  }

  async function complete(
    completionData: CompletionData,
    state: OrderState,
    request: Request,
    caller: Caller,
    reply: Reply,
    node: ConnectionInfo['node'],
  ) {
    const { orderRef, flow, operation } = state;
    // Once per order in the whole fleet: a replayed order cookie, or a request racing this one, loses.
    if (!(await store.claimOnce(`complete:${orderRef}`, ORDER_TTL_MS))) throw noSuchOrder();
    const failed = (hintCode: string) => ({ orderRef, status: 'failed', hintCode });

    // A this-device order is finished by an app on the same device as the browser, so at the same
    // address. Elsewhere: someone else's browser started it (a forwarded autostart link).
    const device = canonicalIp(String(completionData.device?.ipAddress ?? ''));
    const known = [state.startAddress, caller.address];
    const deviceIpMatches = known.includes(device)
      ? true
      : known.some((address) => ipFamily(address) === ipFamily(device) && ipFamily(device) !== 0)
        ? false
        : null;
    const refused =
      deviceAddressCheck === 'strict'
        ? deviceIpMatches !== true
        : deviceAddressCheck === 'refuse' && deviceIpMatches === false;
    if (flow === 'this-device' && refused) {
      log(
        `bankid-login: collect: a this-device order was completed by an app at another address than the ` +
          'browser that started it → failed deviceMismatch (a forwarded autostart link?)',
      );
      return failed('deviceMismatch');
    }
    if (completionData.risk === 'high' && !acceptHighRisk) {
      log('bankid-login: collect: BankID rated the order risk high → failed highRisk');
      return failed('highRisk');
    }

    let extra: unknown;
    // The hook's headers (its login cookie) go out only if it finishes: a hook that threw half-way
    // must not log anyone in.
    const headers = new Headers();
    if (onComplete) {
      const completion: Completion = {
        orderRef,
        operation,
        flow,
        completionData,
        deviceIpMatches,
        startAddress: state.startAddress,
        clientAddress: caller.address,
      };
      try {
        extra = await onComplete(completion, request, { headers, ...(node ? { node } : {}) });
      } catch (error) {
        // The order is used up at BankID either way; the user starts again.
        log(
          `bankid-login: onComplete threw (${String((error as Error)?.name ?? 'error').slice(0, 40)}) → failed internalError`,
        );
        return failed('internalError');
      }
    }
    headers.forEach((value, name) => {
      if (name !== 'set-cookie') reply.headers.set(name, value);
    });
    for (const line of headers.getSetCookie()) reply.headers.append('Set-Cookie', line);
    const answer: Record<string, unknown> = extra !== null && typeof extra === 'object' ? { ...extra } : {};
    Object.assign(answer, { orderRef, status: 'complete' });
    if (exposeCompletionData) answer['completionData'] = completionData;
    return answer;
  }

  async function cancel(body: Record<string, unknown>, caller: Caller, reply: Reply) {
    const orderRef = requireOrderRef(body);
    const { name } = findOrder(caller, orderRef);
    await checkRate('poll', caller, true);
    // One cancel per order reaches BankID: replaying the request cannot spend BankID's budget.
    if (!(await store.claimOnce(`cancel:${orderRef}`, ORDER_TTL_MS))) {
      reply.cookies.push(expiredCookie(caller, name));
      throw noSuchOrder();
    }
    try {
      await rp.cancel(orderRef);
    } catch (error) {
      // invalidParameters: already ended or cancelled at BankID, which is what we wanted.
      if (!(isRpError(error) && error.status === 400 && error.errorCode === 'invalidParameters')) {
        throw rpFailure('cancel', error, log);
      }
    }
    await store.recordCollect(orderRef, ENDED, ORDER_TTL_MS);
    reply.cookies.push(expiredCookie(caller, name));
    return {};
  }

  async function handle(request: Request, connection: ConnectionInfo = {}): Promise<Response | null> {
    let operation: Operation | 'collect' | 'cancel' | undefined;
    try {
      operation = routes.get(new URL(request.url).pathname);
    } catch {
      operation = undefined;
    }
    if (!operation) return null;
    const reply: Reply = { cookies: [], headers: new Headers() };
    let response: Response;
    try {
      if (request.method !== 'POST') throw new HttpError(405, 'methodNotAllowed', 'Use POST.', { Allow: 'POST' });
      if (!isJsonContentType(request.headers)) {
        throw new HttpError(415, 'unsupportedMediaType', 'Send the body as application/json.');
      }
      const caller = callerOf(request, connection);
      checkSameOrigin(request.headers, caller.origin);
      const body = await readJsonObject(request, MAX_BODY_BYTES);
      const answer =
        operation === 'collect'
          ? await collect(body, request, caller, reply, connection.node)
          : operation === 'cancel'
            ? await cancel(body, caller, reply)
            : await start(operation, body, request, caller, reply);
      response = jsonResponse(200, answer);
    } catch (error) {
      if (error instanceof HttpError) {
        response = errorResponse(error);
      } else {
        log(`bankid-login: ${operation}: internal error: ${String((error as Error)?.message ?? error).slice(0, 200)}`);
        response = errorResponse(new HttpError(500, 'internalError', 'Something went wrong on the server.'));
      }
    }
    reply.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && name !== 'content-type' && name !== 'content-length')
        response.headers.set(name, value);
    });
    for (const line of [...reply.cookies, ...reply.headers.getSetCookie()]) response.headers.append('Set-Cookie', line);
    return response;
  }

  /** Whether `nonce` is the return nonce of `sid` under any of the keys: each compared, in constant time. */
  function isReturnNonce(nonce: string, sid: string): boolean {
    let match = false;
    for (const key of nonceKeys) match = sameText(nonce, returnNonce(key, sid)) || match;
    return match;
  }

  function verifyReturn(request: Request | IncomingMessage): boolean {
    let url: URL;
    let headers: Headers;
    let connection: ConnectionInfo;
    try {
      if (request instanceof Request) {
        ({ url, headers } = { url: new URL(request.url), headers: request.headers });
        connection = {};
      } else {
        const encrypted = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
        url = new URL(request.url ?? '/', `${encrypted ? 'https' : 'http'}://return.invalid`);
        headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === 'string') headers.set(name, value);
        }
        connection = { clientAddress: request.socket?.remoteAddress };
      }
    } catch {
      return false;
    }
    const nonce = url.searchParams.get(RETURN_NONCE_PARAM);
    if (!nonce) return false;
    // The same cookie name as the endpoints use: on HTTPS only the __Host- one, which nobody can plant.
    const { session } = cookieNames(schemeOf(url, forwardedOf(headers, connection)) === 'https');
    const sessions = readCookies(headers.get('cookie'), (name) => name === session).get(session) ?? [];
    return sessions.some((sid) => SESSION_ID.test(sid) && isReturnNonce(nonce, sid));
  }

  return {
    fetch: handle,
    nodeListener: toNodeListener(handle, {
      maxBodyBytes: MAX_BODY_BYTES,
      handles: (pathname) => routes.has(pathname),
    }),
    verifyReturn,
  };
}

function requireOrderRef(body: Record<string, unknown>): string {
  const { orderRef } = body;
  if (typeof orderRef !== 'string' || orderRef.length === 0 || orderRef.length > MAX_ORDER_REF_LENGTH) {
    throw invalidParameters(`orderRef must be a string of 1–${MAX_ORDER_REF_LENGTH} characters.`);
  }
  return orderRef;
}

/**
 * The body's returnUrl: an http(s) URL on our own origin (its fragment dropped), or exactly one of
 * the iOS browser schemes; undefined when there is none. Anything else would let anyone use us to
 * send users, and our nonce, elsewhere.
 */
function checkReturnUrl(value: unknown, origin: string | null): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && BROWSER_RETURN_SCHEMES.has(value)) return value;
  const bad = (): HttpError =>
    invalidParameters('returnUrl must be a URL on this site, googlechromes:// or firefox://.');
  if (typeof value !== 'string' || value.length > 2048 || origin === null) throw bad();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad();
  }
  // A blob: URL has the origin of the URL inside it (blob:https://shop.example/…), yet is no page of
  // ours; a user name (https://evil.example@shop.example/) only makes a link look like another site's.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) throw bad();
  if (url.username !== '' || url.password !== '') throw bad();
  url.hash = '';
  return url.href;
}

/** The nonce goes on http(s) return URLs only; a browser scheme has nowhere to carry it. */
function withReturnNonce(returnUrl: string, nonce: string): string {
  if (BROWSER_RETURN_SCHEMES.has(returnUrl)) return returnUrl;
  const url = new URL(returnUrl);
  url.searchParams.set(RETURN_NONCE_PARAM, nonce);
  return url.href;
}
