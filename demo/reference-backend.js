// demo/reference-backend.js — the reference host backend of CONTRACT §4, over a BankID RP API v6.0
// client (demo/rp-client.js, or anything with the same four methods).
//
//   POST {basePath}/auth     {flow, returnUrl?} → {orderRef, autoStartToken?, qr?}
//   POST {basePath}/sign     {flow, returnUrl?} → {orderRef, autoStartToken?, qr?}
//   (autoStartToken only for this-device orders, qr only for other-device ones)
//   POST {basePath}/collect  {orderRef}         → {orderRef, status, hintCode?, qr?, completionData?}
//   POST {basePath}/cancel   {orderRef}         → {}
//
// Stateless: no instance needs to remember anything about a live order. What it must know of one
// (orderRef, the QR secrets, start time, the client IP, the last collect) travels in one encrypted
// and authenticated cookie per order (AES-256-GCM, HttpOnly, SameSite=Strict), so any number of
// instances sharing the same key can serve the same login without a shared store.
//
// Per-instance DEFENCE state (small, bounded, in memory, never needed for a login to work):
//   - rate limits: a token bucket per client address for starts, one for collect/cancel
//     (rateLimit). Each instance counts alone, so behind N instances a client gets up to N times
//     the limit; put a shared limit in the load balancer if that matters.
//   - claims: the orderRefs this instance has completed in the last 10 minutes, so a replayed
//     order cookie cannot complete the same order twice HERE. Another instance does not know the
//     claim: the host's onComplete must be idempotent per orderRef (e.g. a unique insert).
//
// Cookies (all HttpOnly):
//   bid_session       the browser session the orders belong to. Random, rotated on every new
//                     order (session fixation, BANKID-REFERENCE §7). SameSite=Strict, Path=basePath.
//   bid_device        long-lived random id sent to BankID as web.deviceIdentifier. NOT the session.
//                     SameSite=Lax, Path=/.
//   bid_o_<id>        one per live order; <id> = first 10 hex digits of SHA-256(orderRef). Its own
//                     name per order means a late answer about an old order can never overwrite
//                     the new one. SameSite=Strict, Path=basePath, ~10 min.
//
// Instances must share the key and keep their clocks in step (NTP): the QR time and the collect
// cache are computed from times written into the cookie by whichever instance served last.
//
// Porting notes: the order cookie value is base64url(iv[12] | ciphertext | tag[16]) of a JSON
// object, AES-256-GCM with the cookie NAME as additional data. The cipher and nonce keys are
// derived from one 32-byte secret with HKDF-SHA256, so one secret can serve both purposes.
//
// Plain node:http and node:crypto; no dependencies besides ./qr-code.js (the QR payload).

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { isIP } from 'node:net';
import { qrPayload } from './qr-code.js';

const SECOND = 1000;
const MAX_BODY_BYTES = 4 * 1024;
const MAX_ORDER_REF_LENGTH = 128;
/** BankID's tokens are UUIDs; anything far longer is not BankID, and would bloat the cookie. */
const MAX_TOKEN_LENGTH = 128;
const MAX_RETURN_URL_LENGTH = 2048;
/** BANKID-REFERENCE §1.3: web.userAgent is 1–256 characters. */
const MAX_USER_AGENT_LENGTH = 256;
/** Orders end at BankID within minutes; the cookie (and our own check) outlive that a little. */
const ORDER_TTL_SECONDS = 10 * 60;
/** Live orders kept per browser; older ones are abandoned (their cookies are dropped). */
const MAX_LIVE_ORDERS = 5;
/** Browsers cap cookies at 4096 bytes; Chrome also caps Max-Age at 400 days. */
const MAX_SET_COOKIE_BYTES = 4096;
const DEVICE_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60;
/** When BankID rate-limits us without saying for how long: our own collect period. */
const DEFAULT_RETRY_AFTER_SECONDS = 2;
/** Completed orders stay claimed this long (BankID keeps a completed order for 3 min). */
const CLAIM_TTL_MS = 10 * 60 * SECOND;
/** Bounds of the per-instance defence state (oldest entries go first). */
const MAX_CLAIMS = 100_000;
const MAX_RATE_BUCKETS = 10_000;
/**
 * Per client address (IPv6: per /64) and instance. `start` (auth, sign): 5 at once, then 10 a
 * minute. `poll` (collect, cancel): 10 at once, then 3 a second (the element collects at most
 * once a second).
 */
const DEFAULT_RATE_LIMIT = { start: { burst: 5, perMinute: 10 }, poll: { burst: 10, perMinute: 180 } };

const SESSION_COOKIE = 'bid_session';
const DEVICE_COOKIE = 'bid_device';
const ORDER_COOKIE_PREFIX = 'bid_o_';
const ORDER_COOKIE_NAME = /^bid_o_[0-9a-f]{10}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/; // 16 random bytes, base64url
const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/; // BankID allows 1–64 characters

/** Query parameter added to the returnUrl; see verifyReturnNonce(). */
export const RETURN_NONCE_PARAM = 'bankid-nonce';

const OPERATIONS = ['auth', 'sign', 'collect', 'cancel'];
const FLOWS = new Set(['this-device', 'other-device']);
const DEVICE_IP_POLICIES = new Set(['reject', 'flag']);
/** Pending hint codes while nobody has scanned the code yet: only then is a QR shown. */
const QR_HINT_CODES = new Set(['outstandingTransaction', 'noClient']);
/** BankID's "our configuration is broken" answers: never the user's fault (§1.6). */
const CONFIG_ERROR_STATUSES = new Set([401, 403, 404, 405, 415]);

const DEFAULT_USER_VISIBLE_DATA = {
  auth: 'Logga in på Exempelbanken',
  sign: 'Jag godkänner villkoren för Exempelbanken.',
};

// ---------------------------------------------------------------------------------------------
// Errors answered to the browser

/** An answer other than 200, in BankID's own error shape {errorCode, details}. */
class HttpError extends Error {
  constructor(status, errorCode, details, headers = {}) {
    super(details);
    this.status = status;
    this.errorCode = errorCode;
    this.details = details;
    this.headers = headers;
  }
}

const invalid = (details) => new HttpError(400, 'invalidParameters', details);
/** Same answer for "unknown", "expired", "tampered" and "another session's": reveal nothing. */
const noSuchOrder = () => invalid('No such order');

// ---------------------------------------------------------------------------------------------
// Keys

/**
 * Two independent keys from the one configured secret (HKDF-SHA256), so the cookie cipher and the
 * returnUrl nonce never share a key.
 */
function deriveKeys(cookieKey) {
  const derive = (label) => Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), label, 32));
  return {
    sealKey: derive('bankid-login order cookie v1'),
    nonceKey: derive('bankid-login return nonce v1'),
  };
}

function checkCookieKey(cookieKey) {
  if (!(cookieKey instanceof Uint8Array) || cookieKey.length !== 32) {
    throw new TypeError('reference-backend: cookieKey must be a 32-byte Buffer (see cookieKeyFromEnv())');
  }
}

/**
 * The cookie key from `BANKID_COOKIE_KEY` (base64 or base64url of 32 random bytes). Every
 * instance behind a load balancer needs the same key. Without the variable a random key is made,
 * which is fine for the demo: live orders just do not survive a restart.
 * @param {Record<string, string|undefined>} [env]
 * @returns {Buffer} 32 bytes
 * @throws {Error} if the variable is set but is not base64 of exactly 32 bytes
 */
export function cookieKeyFromEnv(env = process.env) {
  const text = (env.BANKID_COOKIE_KEY ?? '').trim();
  if (text === '') {
    console.warn(
      'reference-backend: BANKID_COOKIE_KEY is not set, using a random key. ' +
        "Orders in progress will not survive a restart, and other instances cannot read this one's cookies.",
    );
    return randomBytes(32);
  }
  // Buffer.from(…, 'base64') silently skips bad characters, so check the alphabet first.
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
  if (!key || key.length !== 32) {
    throw new Error(
      'BANKID_COOKIE_KEY must be 32 random bytes in base64 ' +
        `(got ${key ? `${key.length} bytes` : 'text that is not base64'}). Make one with: ` +
        `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// The returnUrl nonce (BANKID-REFERENCE §1.3 returnUrl, §7 session fixation)

function returnNonce(nonceKey, sessionId) {
  return createHmac('sha256', nonceKey).update(sessionId, 'utf8').digest('base64url');
}

/**
 * Checks the nonce this backend appended to a returnUrl (query parameter `bankid-nonce`) against
 * the session id of the browser that came back, so the host can tell that the device returning
 * from the BankID app is the one that started the order.
 * The nonce is HMAC(key, session id). It cannot include the orderRef: BankID gets the returnUrl in
 * the very request whose answer makes the orderRef. It is one per order all the same, since
 * every new order gets a fresh random session id.
 * Note: the session id is the `bid_session` cookie, which the browser sends only to paths under
 * basePath; a return page elsewhere must get it some other way. A host that ports this backend
 * into its own app session uses its own session id (rotated when an order starts) instead.
 * @param {object} args
 * @param {Buffer} args.cookieKey the same key the backend uses
 * @param {string|undefined} args.sessionId the `bid_session` cookie of the returning browser
 * @param {string|URL} args.url the URL the browser returned to (absolute, or path + query)
 * @returns {boolean}
 */
export function verifyReturnNonce({ cookieKey, sessionId, url }) {
  checkCookieKey(cookieKey);
  if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) return false;
  let nonce;
  try {
    nonce = new URL(url, 'http://return.invalid').searchParams.get(RETURN_NONCE_PARAM);
  } catch {
    return false;
  }
  if (!nonce) return false;
  return sameText(nonce, returnNonce(deriveKeys(cookieKey).nonceKey, sessionId));
}

/** Constant-time string equality (no early exit that would leak how much matched). */
function sameText(a, b) {
  const x = Buffer.from(String(a), 'utf8');
  const y = Buffer.from(String(b), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------------------------
// Cookies

/** `Cookie` header → Map. If a name repeats, the first one wins (the most specific path). */
function parseCookies(header) {
  const cookies = new Map();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** One Set-Cookie line. Every cookie here is HttpOnly: no script ever needs to read one. */
function serializeCookie(name, value, { path, sameSite, maxAge, secure }) {
  let line = `${name}=${value}; Path=${path}; HttpOnly; SameSite=${sameSite}`;
  if (maxAge !== undefined) line += `; Max-Age=${maxAge}`;
  if (secure) line += '; Secure';
  return line;
}

function randomId(bytes = 16) {
  return randomBytes(bytes).toString('base64url');
}

/** `bid_o_` + first 10 hex digits of SHA-256(orderRef): short, and only for this order. */
function orderCookieName(orderRef) {
  return ORDER_COOKIE_PREFIX + createHash('sha256').update(orderRef, 'utf8').digest('hex').slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Sealing the order state: AES-256-GCM, the cookie name as additional data

/**
 * @typedef {object} OrderState what the backend must remember about one live order
 * @property {1} v             format version
 * @property {'auth'|'sign'} op which kind of order, so onComplete can tell login from signing
 * @property {string} orderRef
 * @property {string} sid      the session id the order belongs to
 * @property {string} qrStartToken
 * @property {string} qrStartSecret never leaves the server in clear
 * @property {number} startedAt ms, when the auth/sign answer arrived (qrTime counts from here)
 * @property {'this-device'|'other-device'} flow
 * @property {string} ip       the client IP that started the order (compared with the device's)
 * @property {{status: string, hintCode: string|null, at: number} | null} last the last collect
 */

/** Encrypts `state` for the cookie called `name`; the value is useless under any other name. */
function seal(sealKey, name, state) {
  const iv = randomBytes(12); // fresh for every value: GCM must never reuse an iv with a key
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** The state sealed in `value` for `name`, or null if it is not ours, altered, or moved. */
function unseal(sealKey, name, value) {
  if (!/^[A-Za-z0-9_-]{40,}$/.test(value)) return null;
  const raw = Buffer.from(value, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    const state = JSON.parse(plain.toString('utf8'));
    return state?.v === 1 ? state : null;
  } catch {
    return null; // wrong key, flipped bit, other name, truncated: all the same to the caller
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the request

/** The path of the request, or null if the URL does not parse. */
function pathOf(url) {
  try {
    return new URL(url ?? '/', 'http://path.invalid').pathname;
  } catch {
    return null;
  }
}

/**
 * The entry `hops` from the right of a list header such as X-Forwarded-For ("client, proxy1"):
 * each trusted proxy appends one entry, so anything further left is the client's own word.
 */
function forwardedEntry(value, hops) {
  const entries = String(value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries[Math.max(0, entries.length - hops)] ?? '';
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: BankID wants the plain IPv4 form. */
function plainIp(address) {
  const text = String(address ?? '');
  return text.toLowerCase().startsWith('::ffff:') && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
}

/** One spelling per address (IPv6 compressed, lower case), so spellings compare equal. */
function canonicalIp(address) {
  const ip = plainIp(address);
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip; // a zone id (fe80::1%eth0) is not a URL host
  }
}

/** What the rate limits count by: the IPv4 address, or the IPv6 /64 (what one user holds). */
function rateKey(address) {
  const ip = canonicalIp(address);
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.split('::');
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(':') : [];
    groups.push(...Array(8 - groups.length - rest.length).fill('0'), ...rest);
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/**
 * Where the request came from and what it was sent to.
 * With `proxyHops` > 0 (trustProxy), X-Forwarded-For/-Proto/-Host are believed, counting that
 * many entries from the right (each trusted proxy appends one): only enable it behind proxies
 * that append or set them. With `publicOrigin`, Host and X-Forwarded-Host are never used.
 */
function requestFacts(req, proxyHops, publicOrigin) {
  const forwarded = (name) => (proxyHops > 0 ? forwardedEntry(req.headers[name], proxyHops) : '');
  const proto = forwarded('x-forwarded-proto').toLowerCase();
  const scheme = proto === 'http' || proto === 'https' ? proto : req.socket.encrypted ? 'https' : 'http';

  let origin = publicOrigin;
  if (!origin) {
    const host = forwarded('x-forwarded-host') || req.headers.host || '';
    try {
      if (host && !/[/?#@\\\s]/.test(host)) origin = new URL(`${scheme}://${host}`).origin;
    } catch {
      origin = null;
    }
  }

  const proxiedIp = plainIp(forwarded('x-forwarded-for'));
  const clientIp = isIP(proxiedIp) ? proxiedIp : plainIp(req.socket.remoteAddress);
  // Was the page the user sees served over HTTPS? (for secureCookies: 'auto')
  const https = publicOrigin ? publicOrigin.startsWith('https:') : scheme === 'https';

  return { origin: origin ?? null, https, clientIp, cookies: parseCookies(req.headers.cookie) };
}

/** Only `application/json` (any charset): a cross-site form can never send that without CORS. */
function checkJsonContentType(req) {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'unsupportedMediaType', 'Send the body as application/json.');
  }
}

/**
 * CSRF defence for a cookie-authenticated JSON API: a browser that says where the request comes
 * from must say "this very origin". (Origin is sent on every cross-origin POST; Sec-Fetch-Site by
 * every current browser.)
 */
function checkSameOrigin(req, origin) {
  const claimed = req.headers.origin;
  if (claimed !== undefined && (origin === null || !isSameOrigin(claimed, origin))) {
    throw new HttpError(403, 'forbidden', 'Cross-origin requests are not allowed.');
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'forbidden', 'Cross-site requests are not allowed.');
  }
}

/** The publicOrigin option as an origin ('https://shop.example'), or a TypeError. */
function checkPublicOrigin(value) {
  let url = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  // Only scheme, host and port: no path, query, fragment or user name.
  if (!(url && (url.protocol === 'https:' || url.protocol === 'http:') && url.href === `${url.origin}/`)) {
    throw new TypeError("reference-backend: publicOrigin must be an origin such as 'https://shop.example'");
  }
  return url.origin;
}

function isSameOrigin(url, origin) {
  try {
    return new URL(url).origin === origin; // "null" and garbage do not parse → false
  } catch {
    return false;
  }
}

/** The body as a JSON object, at most MAX_BODY_BYTES. */
async function readJsonObject(req) {
  const text = await readBody(req, MAX_BODY_BYTES);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('The request body must be a JSON object.');
  }
  return body;
}

/**
 * Reads the body without ever holding more than `limit` bytes. On overflow it stops listening
 * (rather than destroying the request, which would kill the socket before we can answer) and the
 * answer closes the connection.
 */
function readBody(req, limit) {
  const tooLarge = () =>
    new HttpError(413, 'invalidParameters', 'The request body is too large.', { Connection: 'close' });
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) return reject(tooLarge());
    const chunks = [];
    let size = 0;
    const stop = (settle, value) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) stop(reject, tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => stop(resolve, Buffer.concat(chunks).toString('utf8'));
    // The client went away mid-body: nobody will read the answer, and it is not our error.
    const unreadable = () => invalid('The request body could not be read.');
    const onError = () => stop(reject, unreadable());
    const onClose = () => stop(reject, unreadable());
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function requireFlow(body) {
  if (!FLOWS.has(body.flow)) throw invalid('flow must be "this-device" or "other-device".');
  return body.flow;
}

function requireOrderRef(body) {
  const { orderRef } = body;
  if (typeof orderRef !== 'string' || orderRef.length === 0 || orderRef.length > MAX_ORDER_REF_LENGTH) {
    throw invalid(`orderRef must be a string of 1–${MAX_ORDER_REF_LENGTH} characters.`);
  }
  return orderRef;
}

/** The body's returnUrl as a URL on our own origin, or null when there is none. */
function optionalReturnUrl(body, origin) {
  if (body.returnUrl === undefined) return null;
  const text = body.returnUrl;
  if (typeof text !== 'string' || text.length > MAX_RETURN_URL_LENGTH || origin === null) {
    throw invalid('returnUrl must be a URL on this site.');
  }
  let url;
  try {
    url = new URL(text);
  } catch {
    throw invalid('returnUrl must be a URL on this site.');
  }
  // Another origin would let anyone use us to send users (and our nonce) elsewhere.
  if (url.origin !== origin) throw invalid('returnUrl must be a URL on this site.');
  return url;
}

/**
 * The host name the user sees, without port (BankID's web.referringDomain): that of our origin
 * (publicOrigin, else the Host), which a browser's Origin header matches (checkSameOrigin).
 */
function referringDomain(origin) {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// BankID errors → what the element gets (CONTRACT §4 expects BankID-shaped errors)

/** RpError from rp-client.js, recognised by shape so any RP client can be plugged in. */
function isRpError(err) {
  return Number.isInteger(err?.status) && (typeof err.errorCode === 'string' || err.errorCode === null);
}

/**
 * Maps a failure of an rp call to the answer for the browser, and logs one line. BankID's
 * `details` are never passed on (nor logged: they may quote what we sent).
 */
function rpFailure(call, err, log) {
  if (!isRpError(err)) {
    // RpNetworkError (no usable answer), or anything else the client threw.
    const reason = String(err?.code ?? err?.name ?? 'error').slice(0, 40);
    log(`reference-backend: BankID ${call}: no usable answer (${reason}) → 503 bankidUnavailable`);
    return new HttpError(503, 'bankidUnavailable', 'BankID cannot be reached right now.');
  }
  const { status, errorCode } = err;
  const answer = mapRpError(status, errorCode, err.retryAfterMs);
  const note = CONFIG_ERROR_STATUSES.has(status)
    ? ' (our RP configuration is broken: certificate, URL or request format)'
    : errorCode === 'invalidParameters'
      ? ' (order unknown to BankID, or a bug in our request)'
      : '';
  log(
    `reference-backend: BankID ${call}: ${status} ${errorCode ?? '(no errorCode)'} → ` +
      `${answer.status} ${answer.errorCode}${note}`,
  );
  return answer;
}

function mapRpError(status, errorCode, retryAfterMs) {
  if (status === 400 && errorCode === 'alreadyInProgress') {
    return new HttpError(400, 'alreadyInProgress', 'An order for this user is already in progress.');
  }
  if (status === 400) {
    // Our own bug or an order BankID no longer knows; the element shows RFA22 either way.
    return invalid('BankID refused the request.');
  }
  if (status === 429) {
    const known = Number.isFinite(retryAfterMs) && retryAfterMs > 0;
    const seconds = known ? Math.ceil(retryAfterMs / SECOND) : DEFAULT_RETRY_AFTER_SECONDS;
    return new HttpError(429, 'tooManyRequests', 'Too many requests; try again shortly.', {
      'Retry-After': String(seconds),
    });
  }
  if (status === 408) return new HttpError(503, 'requestTimeout', 'BankID did not answer in time.');
  if (status === 503) return new HttpError(503, 'maintenance', 'BankID is temporarily out of service.');
  if (status === 500) return new HttpError(500, 'internalError', 'BankID had an internal error.');
  if (CONFIG_ERROR_STATUSES.has(status)) return new HttpError(500, 'internalError', 'The login service is misconfigured.');
  return new HttpError(503, 'bankidUnavailable', 'BankID cannot be reached right now.');
}

// ---------------------------------------------------------------------------------------------
// Answers

function sendJson(res, status, body, cookies, extraHeaders = {}) {
  if (res.headersSent) return; // an onComplete hook answered itself
  const text = JSON.stringify(body);
  // Keep cookies a host hook may have set with res.setHeader('Set-Cookie', …).
  const earlier = res.getHeader('Set-Cookie');
  const setCookie = [...(earlier === undefined ? [] : [earlier].flat().map(String)), ...cookies];
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    ...(setCookie.length > 0 ? { 'Set-Cookie': setCookie } : {}),
    ...extraHeaders,
  });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------
// Per-instance defence state (see the top of the file): bounded maps in memory

/**
 * A token bucket per key: `burst` requests at once, refilled at `perMinute`. Bounded: when full,
 * the longest-idle bucket goes (that client starts afresh, which is only ever more lenient).
 * @returns {(key: string) => number} takes a token: 0 if allowed, else ms until one is free
 */
function createRateLimiter({ burst, perMinute }, now) {
  const perMs = perMinute / 60_000;
  const buckets = new Map(); // key → {tokens, at}; Map order: least recently used first
  return function take(key) {
    const t = now();
    const old = buckets.get(key);
    buckets.delete(key);
    let tokens = old ? Math.min(burst, old.tokens + Math.max(0, t - old.at) * perMs) : burst;
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    if (buckets.size >= MAX_RATE_BUCKETS) buckets.delete(buckets.keys().next().value);
    buckets.set(key, { tokens, at: t });
    return allowed ? 0 : Math.ceil((1 - tokens) / perMs);
  };
}

/** The rateLimit option with the defaults filled in, or null when it is off. */
function rateLimitSettings(rateLimit) {
  if (rateLimit === false) return null;
  const settings = { ...DEFAULT_RATE_LIMIT, ...rateLimit };
  for (const kind of ['start', 'poll']) {
    const { burst, perMinute } = settings[kind] ?? {};
    if (!(Number.isFinite(burst) && burst >= 1 && Number.isFinite(perMinute) && perMinute > 0)) {
      throw new TypeError(`reference-backend: rateLimit.${kind} must be {burst: ≥ 1, perMinute: > 0}`);
    }
  }
  return settings;
}

/**
 * The orderRefs completed here in the last CLAIM_TTL_MS. Bounded: expired claims go first, then
 * the oldest when over MAX_CLAIMS (after a burst of 100 000 logins in 10 minutes).
 */
function createClaims(now) {
  const claims = new Map(); // orderRef → until; Map order: oldest first
  const isClaimed = (orderRef) => (claims.get(orderRef) ?? -Infinity) > now();
  return {
    isClaimed,
    /** Claims the order; false if it is already claimed. */
    claim(orderRef) {
      const t = now();
      for (const [ref, until] of claims) {
        if (until > t && claims.size < MAX_CLAIMS) break;
        claims.delete(ref);
      }
      if (isClaimed(orderRef)) return false;
      claims.set(orderRef, t + CLAIM_TTL_MS);
      return true;
    },
    release: (orderRef) => claims.delete(orderRef),
  };
}

// ---------------------------------------------------------------------------------------------
// The backend

/**
 * @typedef {object} RpApi the BankID RP API v6.0 client (demo/rp-client.js createRpClient())
 * @property {(body: object) => Promise<object>} auth
 * @property {(body: object) => Promise<object>} sign
 * @property {(orderRef: string) => Promise<object>} collect
 * @property {(orderRef: string) => Promise<object>} cancel
 * Failures throw an RpError-like {status, errorCode, retryAfterMs?} or anything else (network).
 */

/**
 * @typedef {object} CompleteInfo
 * @property {object} completionData BankID's completionData (user, device, signature, …)
 * @property {string} orderRef
 * @property {'auth'|'sign'} operation
 * @property {'this-device'|'other-device'} flow
 * @property {string} startIp the client IP that started the order
 * @property {string} clientIp the client IP of this request (the collect that saw complete)
 * @property {boolean} deviceIpMatches completionData.device.ipAddress (where BankID saw the user's
 *   app) is startIp. Expected for this-device orders (deviceIpPolicy); for other-device orders
 *   the phone is usually elsewhere, so it is only information there.
 * @property {import('node:http').IncomingMessage} req
 * @property {import('node:http').ServerResponse} res
 */

/**
 * The reference host backend of CONTRACT §4.
 * @param {object} options
 * @param {RpApi} options.rp the BankID RP API client
 * @param {Buffer} options.cookieKey 32 secret bytes, the same on every instance (cookieKeyFromEnv())
 * @param {() => number} [options.now] clock in ms
 * @param {string} [options.basePath] where the four endpoints live
 * @param {string} [options.publicOrigin] e.g. 'https://shop.example': the origin users see. SET IT
 *   IN PRODUCTION: then the Origin check, the returnUrl check and web.referringDomain use it and
 *   never Host / X-Forwarded-Host. Unset, they come from the Host header (the demo guards Host).
 * @param {boolean|number} [options.trustProxy] believe X-Forwarded-For/-Proto/-Host; true = one
 *   proxy, a number = that many trusted proxies, counted from the right of each header
 * @param {boolean|'auto'} [options.secureCookies] mark cookies Secure; 'auto' (default): when the
 *   page is HTTPS (publicOrigin, else the request: TLS socket, or X-Forwarded-Proto with trustProxy)
 * @param {'reject'|'flag'} [options.deviceIpPolicy] this-device orders whose completing device
 *   (completionData.device.ipAddress) is not at the start IP — a forwarded autostart link?
 *   'reject': the order fails with hintCode 'deviceMismatch', onComplete is not called.
 *   'flag' (default; dual-stack IPv4/IPv6 and carrier NAT can differ): onComplete decides
 *   (deviceIpMatches).
 * @param {false|{start?: {burst: number, perMinute: number}, poll?: {burst: number, perMinute: number}}} [options.rateLimit]
 *   per client address and instance (DEFAULT_RATE_LIMIT); false turns it off
 * @param {boolean} [options.exposeCompletionData] send completionData to the browser (the demo).
 *   Default false: the browser gets {orderRef, status: 'complete'} and what onComplete returns.
 * @param {{auth: string, sign: string}} [options.userVisibleData] text shown in the BankID app
 * @param {number} [options.collectEveryMs] call BankID's collect at most this often per order
 * @param {(info: CompleteInfo) => (object|void|Promise<object|void>)} [options.onComplete]
 *   ★ THE PLACE WHERE A REAL HOST LOGS THE USER IN: store completionData (audit), check
 *   completionData.risk and deviceIpMatches, create (and rotate) its own login session, set its
 *   cookie on `res`. Whatever object it returns is sent to the browser next to
 *   {orderRef, status: 'complete'}. It runs once per order on this instance (claims); make it
 *   idempotent per orderRef all the same (a unique insert): another instance does not know the
 *   claim, so a replayed order cookie sent there could reach it again.
 * @param {(line: string) => void} [options.log] one line per error; default console.error
 * @returns {{handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<boolean>}}
 */
export function createReferenceBackend({
  rp,
  cookieKey,
  now = Date.now,
  basePath = '/api/bankid',
  publicOrigin,
  trustProxy = false,
  secureCookies = 'auto',
  deviceIpPolicy = 'flag',
  rateLimit,
  exposeCompletionData = false,
  userVisibleData = DEFAULT_USER_VISIBLE_DATA,
  collectEveryMs = 2000,
  onComplete,
  log = (line) => console.error(line),
} = {}) {
  for (const method of OPERATIONS) {
    if (typeof rp?.[method] !== 'function') throw new TypeError(`reference-backend: rp.${method} must be a function`);
  }
  checkCookieKey(cookieKey);
  // The path goes into Set-Cookie as is, so only plain path characters.
  if (!/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(basePath)) {
    throw new TypeError('reference-backend: basePath must be a plain absolute path such as "/api/bankid"');
  }
  const base = basePath.replace(/\/$/, ''); // '' when the API sits at the root
  const cookiePath = base || '/';
  for (const op of ['auth', 'sign']) {
    if (typeof userVisibleData?.[op] !== 'string' || userVisibleData[op] === '') {
      throw new TypeError(`reference-backend: userVisibleData.${op} must be a non-empty string`);
    }
  }
  const siteOrigin = publicOrigin === undefined ? null : checkPublicOrigin(publicOrigin);
  if (siteOrigin === null && process.env.NODE_ENV === 'production') {
    log('reference-backend: publicOrigin is not set, so origins come from the Host header; set it in production');
  }
  const proxyHops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  if (!(Number.isInteger(proxyHops) && proxyHops >= 0)) {
    throw new TypeError('reference-backend: trustProxy must be true, false or the number of trusted proxies');
  }
  if (secureCookies !== 'auto' && typeof secureCookies !== 'boolean') {
    throw new TypeError("reference-backend: secureCookies must be true, false or 'auto'");
  }
  if (!DEVICE_IP_POLICIES.has(deviceIpPolicy)) {
    throw new TypeError("reference-backend: deviceIpPolicy must be 'reject' or 'flag'");
  }
  const limits = rateLimitSettings(rateLimit);
  const limiters = limits && { start: createRateLimiter(limits.start, now), poll: createRateLimiter(limits.poll, now) };
  const claims = createClaims(now);

  const { sealKey, nonceKey } = deriveKeys(cookieKey);
  const routes = new Map(OPERATIONS.map((op) => [`${base}/${op}`, op]));

  // --- cookies: each line is Secure when secureCookies says so for this request (out.https) --

  const cookie = (out, name, value, attributes) =>
    serializeCookie(name, value, { secure: secureCookies === 'auto' ? out.https : secureCookies, ...attributes });
  const sessionCookie = (out, sid) => cookie(out, SESSION_COOKIE, sid, { path: cookiePath, sameSite: 'Strict' });
  const deviceCookie = (out, id) =>
    cookie(out, DEVICE_COOKIE, id, { path: '/', sameSite: 'Lax', maxAge: DEVICE_MAX_AGE_SECONDS });
  const expiredOrderCookie = (out, name) => cookie(out, name, '', { path: cookiePath, sameSite: 'Strict', maxAge: 0 });

  function orderCookie(out, name, state) {
    const value = seal(sealKey, name, state);
    const line = cookie(out, name, value, { path: cookiePath, sameSite: 'Strict', maxAge: ORDER_TTL_SECONDS });
    if (Buffer.byteLength(line) > MAX_SET_COOKIE_BYTES) throw new Error('order cookie would exceed 4 KB');
    return line;
  }

  // --- rate limits -----------------------------------------------------------------------

  /** 429 when this client address has used up its `kind` bucket (start or poll). */
  function checkRate(kind, facts) {
    const waitMs = limiters ? limiters[kind](rateKey(facts.clientIp)) : 0;
    if (waitMs > 0) {
      throw new HttpError(429, 'tooManyRequests', 'Too many requests; try again shortly.', {
        'Retry-After': String(Math.max(1, Math.ceil(waitMs / SECOND))),
      });
    }
  }

  /** The order's state if the cookie is ours, intact, not too old and for this orderRef. */
  function openOrder(name, value, t) {
    const state = value === undefined ? null : unseal(sealKey, name, value);
    if (!state || typeof state.orderRef !== 'string' || orderCookieName(state.orderRef) !== name) return null;
    if (!(t - state.startedAt < ORDER_TTL_SECONDS * SECOND)) return null; // do not trust Max-Age alone
    return state;
  }

  /**
   * Collect and cancel: the order named in the body, if this browser session started it.
   * Missing, altered, expired, someone else's: all "No such order", and BankID is not asked.
   */
  function findOrder(facts, orderRef) {
    const name = orderCookieName(orderRef);
    const state = openOrder(name, facts.cookies.get(name), now());
    const sid = facts.cookies.get(SESSION_COOKIE);
    if (!state || state.orderRef !== orderRef || !sid || !sameText(state.sid, sid)) throw noSuchOrder();
    return { name, state };
  }

  /**
   * A new order rotates the session id. This browser's other live orders move to the new id
   * (so the element can still cancel them); cookies we cannot read, other sessions' orders and
   * all but the newest few are dropped, so stale cookies never pile up.
   */
  function carryOverOrders(out, cookies, oldSid, newSid) {
    const t = now();
    const lines = [];
    const live = [];
    for (const [name, value] of cookies) {
      if (!ORDER_COOKIE_NAME.test(name)) continue;
      const state = openOrder(name, value, t);
      if (state && oldSid && sameText(state.sid, oldSid)) live.push({ name, state });
      else lines.push(expiredOrderCookie(out, name));
    }
    live.sort((a, b) => b.state.startedAt - a.state.startedAt);
    live.forEach(({ name, state }, i) => {
      // MAX_LIVE_ORDERS - 1: the order being started takes the last place.
      const keep = i < MAX_LIVE_ORDERS - 1;
      lines.push(keep ? orderCookie(out, name, { ...state, sid: newSid }) : expiredOrderCookie(out, name));
    });
    return lines;
  }

  // --- answers ---------------------------------------------------------------------------

  /** qrTime: whole seconds since the auth/sign answer arrived (BANKID-REFERENCE §5.1). */
  function qrAt(state, t) {
    const qrTime = Math.max(0, Math.floor((t - state.startedAt) / SECOND));
    return qrPayload(state.qrStartToken, state.qrStartSecret, qrTime);
  }

  function pendingAnswer(state, hintCode, t) {
    const answer = { orderRef: state.orderRef, status: 'pending' };
    if (hintCode) answer.hintCode = hintCode;
    // A QR only while nobody has scanned it yet, and never for this-device orders.
    if (state.flow === 'other-device' && QR_HINT_CODES.has(hintCode)) answer.qr = qrAt(state, t);
    return answer;
  }

  // --- operations ------------------------------------------------------------------------

  async function start(operation, body, req, facts, out) {
    const flow = requireFlow(body);
    const returnUrl = optionalReturnUrl(body, facts.origin);
    const oldSid = facts.cookies.get(SESSION_COOKIE);
    const sid = randomId(); // rotated now; the new order belongs to the new id
    const knownDevice = facts.cookies.get(DEVICE_COOKIE) ?? '';
    const deviceId = DEVICE_ID.test(knownDevice) ? knownDevice : randomId(32); // 43 characters
    if (!isIP(facts.clientIp)) throw new Error('no client address'); // socket already gone
    checkRate('start', facts);

    const web = { referringDomain: referringDomain(facts.origin), deviceIdentifier: deviceId };
    const userAgent = String(req.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT_LENGTH);
    if (userAgent) web.userAgent = userAgent; // BankID wants 1–256 characters or nothing
    const request = {
      endUserIp: facts.clientIp,
      returnRisk: true,
      userVisibleData: Buffer.from(userVisibleData[operation], 'utf8').toString('base64'),
      web,
    };
    // BankID's returnUrl is for the same device only: a phone that scanned a QR code must not be
    // sent to this browser's page. The nonce ties the return to this session.
    if (returnUrl && flow === 'this-device') {
      returnUrl.searchParams.set(RETURN_NONCE_PARAM, returnNonce(nonceKey, sid));
      request.returnUrl = returnUrl.href;
    }

    let started;
    try {
      started = await rp[operation](request);
    } catch (err) {
      throw rpFailure(operation, err, log);
    }
    const startedAt = now(); // qrTime counts from the answer, not from the request
    const { orderRef, autoStartToken, qrStartToken, qrStartSecret } = started ?? {};
    const usable = (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_TOKEN_LENGTH;
    if (![orderRef, autoStartToken, qrStartToken, qrStartSecret].every(usable)) {
      throw rpFailure(operation, { name: 'malformed answer' }, log);
    }

    const ip = facts.clientIp; // at complete, compared with where BankID saw the app
    /** @type {OrderState} */
    const state = { v: 1, op: operation, orderRef, sid, qrStartToken, qrStartSecret, startedAt, flow, ip, last: null };
    out.cookies.push(
      sessionCookie(out, sid),
      deviceCookie(out, deviceId), // re-set on every order so it keeps living
      ...carryOverOrders(out, facts.cookies, oldSid, sid),
      orderCookie(out, orderCookieName(orderRef), state),
    );
    // Never qrStartToken or qrStartSecret: only the finished QR payload leaves the server. The
    // autoStartToken only where the element launches the app: the fewer copies, the fewer leaks.
    if (flow === 'this-device') return { orderRef, autoStartToken };
    return { orderRef, qr: qrAt(state, startedAt) };
  }

  async function collect(body, req, res, facts, out) {
    const orderRef = requireOrderRef(body);
    const { name, state } = findOrder(facts, orderRef);
    if (claims.isClaimed(orderRef)) {
      out.cookies.push(expiredOrderCookie(out, name)); // a replayed cookie of an ended order
      throw noSuchOrder();
    }
    checkRate('poll', facts);

    // BankID asks for about one collect every 2 s; the element polls every 1 s while a QR code
    // is shown. In between, answer from the cookie, with a fresh QR code.
    const t = now();
    const age = state.last ? t - state.last.at : Infinity;
    if (state.last?.status === 'pending' && age >= 0 && age < collectEveryMs) {
      return pendingAnswer(state, state.last.hintCode, t);
    }

    let result;
    try {
      result = await rp.collect(orderRef);
    } catch (err) {
      // invalidParameters here means BankID no longer knows the order: forget it too.
      if (isRpError(err) && err.status === 400 && err.errorCode === 'invalidParameters') {
        out.cookies.push(expiredOrderCookie(out, name));
      }
      throw rpFailure('collect', err, log);
    }
    const at = now();
    const hintCode = typeof result?.hintCode === 'string' ? result.hintCode : null;

    if (result?.status === 'pending') {
      out.cookies.push(orderCookie(out, name, { ...state, last: { status: 'pending', hintCode, at } }));
      return pendingAnswer(state, hintCode, at);
    }
    if (result?.status === 'failed') {
      out.cookies.push(expiredOrderCookie(out, name));
      return hintCode ? { orderRef, status: 'failed', hintCode } : { orderRef, status: 'failed' };
    }
    if (result?.status === 'complete' && result.completionData && typeof result.completionData === 'object') {
      return complete(result.completionData, state, name, req, res, facts, out);
    }
    throw rpFailure('collect', { name: 'malformed answer' }, log);
  }

  async function complete(completionData, state, name, req, res, facts, out) {
    const { orderRef, flow } = state;
    // Once per order on this instance: a replayed order cookie finds the claim (or a request
    // racing this one does).
    if (!claims.claim(orderRef)) {
      out.cookies.push(expiredOrderCookie(out, name));
      throw noSuchOrder();
    }
    // Ended: the cookie goes, so the data is handed out once (completionData is never stored).
    const ended = expiredOrderCookie(out, name);

    // A this-device order is finished by an app on the same device as the browser, so at the
    // same IP. Elsewhere: someone else's browser started it (a forwarded autostart link).
    const startIp = typeof state.ip === 'string' ? state.ip : '';
    const deviceIp = canonicalIp(completionData.device?.ipAddress);
    const deviceIpMatches = isIP(deviceIp) > 0 && deviceIp === canonicalIp(startIp);
    if (flow === 'this-device' && !deviceIpMatches && deviceIpPolicy === 'reject') {
      log(
        'reference-backend: collect: a this-device order was completed by an app at another IP ' +
          'address than the browser that started it → failed deviceMismatch (a forwarded autostart link?)',
      );
      out.cookies.push(ended);
      return { orderRef, status: 'failed', hintCode: 'deviceMismatch' };
    }

    // ★ A real host logs the user in here (onComplete). If its hook throws, the cookie and the
    // claim go back, so the element's retry can collect again (BankID keeps it for 3 min).
    let extra = null;
    if (onComplete) {
      try {
        extra = await onComplete({
          completionData,
          orderRef,
          operation: state.op,
          flow,
          startIp,
          clientIp: facts.clientIp,
          deviceIpMatches,
          req,
          res,
        });
      } catch (err) {
        claims.release(orderRef);
        throw err;
      }
    }
    out.cookies.push(ended);
    const answer = { ...(extra && typeof extra === 'object' ? extra : {}), orderRef, status: 'complete' };
    if (exposeCompletionData) answer.completionData = completionData; // the demo shows it
    return answer;
  }

  async function cancel(body, facts, out) {
    const orderRef = requireOrderRef(body);
    const { name } = findOrder(facts, orderRef);
    checkRate('poll', facts);
    try {
      await rp.cancel(orderRef);
    } catch (err) {
      // invalidParameters: already ended or cancelled at BankID, which is what we wanted.
      const gone = isRpError(err) && err.status === 400 && err.errorCode === 'invalidParameters';
      if (!gone) throw rpFailure('cancel', err, log);
    }
    out.cookies.push(expiredOrderCookie(out, name)); // this order's cookie only
    return {};
  }

  /**
   * Serves `POST {basePath}/auth|sign|collect|cancel`. Never throws.
   * @returns {Promise<boolean>} false if the path is not one of ours (the host serves it)
   */
  async function handle(req, res) {
    const operation = routes.get(pathOf(req.url));
    if (!operation) return false;
    // Set-Cookie lines, sent with the answer (errors included); https: was the page HTTPS?
    const out = { cookies: [], https: false };
    try {
      if (req.method !== 'POST') {
        throw new HttpError(405, 'methodNotAllowed', 'Use POST.', { Allow: 'POST' });
      }
      checkJsonContentType(req);
      const facts = requestFacts(req, proxyHops, siteOrigin);
      out.https = facts.https;
      checkSameOrigin(req, facts.origin);
      const body = await readJsonObject(req);
      let answer;
      if (operation === 'collect') answer = await collect(body, req, res, facts, out);
      else if (operation === 'cancel') answer = await cancel(body, facts, out);
      else answer = await start(operation, body, req, facts, out);
      sendJson(res, 200, answer, out.cookies);
    } catch (err) {
      let failure = err;
      if (!(err instanceof HttpError)) {
        log(`reference-backend: ${operation}: internal error: ${String(err?.message ?? err).slice(0, 200)}`);
        failure = new HttpError(500, 'internalError', 'Something went wrong on the server.');
      }
      sendJson(res, failure.status, { errorCode: failure.errorCode, details: failure.details }, out.cookies, failure.headers);
    }
    return true;
  }

  return { handle };
}
