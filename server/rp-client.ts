// A client for BankID's RP API v6.0 (BANKID-REFERENCE §1): HTTPS POSTs with JSON bodies over
// mutual TLS. The RP presents its certificate (PKCS#12 `pfx` + passphrase, or PEM `key` + `cert`)
// and trusts ONLY the CA it is given for BankID's server, never the system's root store, so a
// certificate from any other issuer is refused even if a public CA signed it.
//
// Answers are the parsed JSON (HTTP 200) or one of two typed errors: RpError (BankID answered
// with an error) and RpNetworkError (no usable answer). Neither ever carries a personal number,
// key material or a request body into a message, a log line or JSON.

import https from 'node:https';
import tls from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';

/** The production RP API (BANKID-REFERENCE §1.1). */
export const PRODUCTION_URL = 'https://appapi2.bankid.com/rp/v6.0/';
/** BankID's test environment ("kundtest"). */
export const TEST_URL = 'https://appapi2.test.bankid.com/rp/v6.0/';

/** Largest answer we read; BankID's are a few kilobytes (a signature and an OCSP response). */
const MAX_ANSWER_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

export type RpEndpoint = 'auth' | 'sign' | 'collect' | 'cancel';

/**
 * Digit runs that could be a personal number (YYMMDD-NNNN, YYYYMMDDNNNN, with or without - or +)
 * become `[redacted]`: BankID's `details` may quote what we sent.
 */
export function redactPersonalNumbers(text: string): string {
  return text.replace(/\d{6,8}[-+]?\d{4}/g, '[redacted]');
}

/** BankID answered, but not with 200. */
export class RpError extends Error {
  override readonly name = 'RpError';
  /** BankID's errorCode, or null if the body had none. */
  readonly errorCode: string | null;
  /** BankID's details text with anything like a personal number redacted ('' if none). */
  readonly details: string;
  readonly status: number;
  /** How long BankID asked us to wait (Retry-After or RateLimit-Reset), if it said. */
  readonly retryAfterMs: number | null;
  readonly endpoint: RpEndpoint;

  constructor(fields: {
    errorCode: string | null;
    details: string;
    status: number;
    retryAfterMs: number | null;
    endpoint: RpEndpoint;
  }) {
    super(`BankID ${fields.endpoint}: HTTP ${fields.status} ${fields.errorCode ?? '(no errorCode)'}`);
    this.errorCode = fields.errorCode;
    this.details = redactPersonalNumbers(fields.details);
    this.status = fields.status;
    this.retryAfterMs = fields.retryAfterMs;
    this.endpoint = fields.endpoint;
  }

  toJSON(): Record<string, unknown> {
    const { name, message, status, errorCode, details, retryAfterMs, endpoint } = this;
    return { name, message, status, errorCode, details, retryAfterMs, endpoint };
  }
}

/** No usable answer from BankID: connection, TLS, timeout, or an answer that is not JSON. */
export class RpNetworkError extends Error {
  override readonly name = 'RpNetworkError';
  readonly endpoint: RpEndpoint;
  /** A short machine-readable reason, e.g. 'timeout', 'ECONNREFUSED', 'invalid-answer'. */
  readonly code: string | undefined;

  constructor(message: string, fields: { endpoint: RpEndpoint; code?: string | undefined; cause?: unknown }) {
    super(`BankID ${fields.endpoint}: ${message}`, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.endpoint = fields.endpoint;
    this.code = fields.code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, endpoint: this.endpoint, code: this.code };
  }
}

/** True for an error in RpError's shape, from this client or any other with the same fields. */
export function isRpError(error: unknown): error is Pick<RpError, 'status' | 'errorCode' | 'retryAfterMs'> {
  const e = error as Partial<RpError> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    Number.isInteger(e.status) &&
    (typeof e.errorCode === 'string' || e.errorCode === null)
  );
}

/** An auth or sign request body (BANKID-REFERENCE §1.3). */
export interface OrderRequest {
  endUserIp: string;
  requirement?: Requirement;
  userVisibleData?: string;
  userVisibleDataFormat?: 'simpleMarkdownV1';
  userNonVisibleData?: string;
  returnUrl?: string;
  returnRisk?: boolean;
  web?: { referringDomain?: string; userAgent?: string; deviceIdentifier?: string };
}

/** Requirements on the user and their BankID (BANKID-REFERENCE §1.3). */
export interface Requirement {
  pinCode?: boolean;
  mrtd?: boolean;
  cardReader?: 'class1' | 'class2';
  certificatePolicies?: string[];
  personalNumber?: string;
}

/** BankID's answer to auth and sign. */
export interface OrderStarted {
  orderRef: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
}

/** What BankID reports about a finished order (BANKID-REFERENCE §1.5). */
export interface CompletionData {
  user: { personalNumber: string; name: string; givenName: string; surname: string };
  device: { ipAddress: string; uhi?: string };
  bankIdIssueDate?: string;
  stepUp?: { mrtd: boolean };
  signature: string;
  ocspResponse: string;
  risk?: 'low' | 'moderate' | 'high';
  [field: string]: unknown;
}

/** BankID's answer to collect. */
export type CollectResult =
  | { orderRef: string; status: 'pending'; hintCode?: string }
  | { orderRef: string; status: 'failed'; hintCode?: string }
  | { orderRef: string; status: 'complete'; completionData: CompletionData };

/** The four calls the backend makes. Anything with these methods can stand in (tests, proxies). */
export interface RpApi {
  auth(body: OrderRequest): Promise<OrderStarted>;
  sign(body: OrderRequest): Promise<OrderStarted>;
  collect(orderRef: string): Promise<CollectResult>;
  cancel(orderRef: string): Promise<Record<string, never>>;
}

export interface RpClient extends RpApi {
  /** Drops the kept-alive connections. */
  close(): void;
}

export interface RpClientOptions {
  /** The RP API base URL, e.g. TEST_URL or PRODUCTION_URL. */
  url: string;
  /** The ONLY CA trusted for BankID's server (PEM). */
  ca: string | Buffer | Array<string | Buffer>;
  /** The RP certificate and key as PKCS#12, with `passphrase`. */
  pfx?: Buffer | string;
  passphrase?: string | undefined; // `| undefined`: process.env.BANKID_PASSPHRASE goes in as it is (exactOptionalPropertyTypes)
  /** Or the RP key and certificate as PEM. */
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Deadline for each whole call (connect, TLS, send, wait, read); default 10 000 ms. */
  timeoutMs?: number;
}

/**
 * A client for the BankID RP API v6.0 over mutual TLS with a pinned server CA. A wrong passphrase
 * or a broken PEM fails here, at once, with a message that holds no secret.
 */
export function createRpClient(options: RpClientOptions): RpClient {
  const base = parseBaseUrl(options.url);
  const { ca, pfx, passphrase, key, cert, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (!ca || (Array.isArray(ca) && ca.length === 0)) {
    throw new TypeError('createRpClient: `ca` is required: the server CA is pinned, the system store is never used');
  }
  if (!pfx && !(key && cert)) {
    throw new TypeError('createRpClient: give the RP certificate as `pfx` (+ `passphrase`) or as `key` + `cert` (PEM)');
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError('createRpClient: timeoutMs must be a positive number');
  }
  const credentials: tls.SecureContextOptions = pfx ? { pfx } : { key: key!, cert: cert! };
  if (passphrase !== undefined) credentials.passphrase = passphrase;
  try {
    tls.createSecureContext({ ca, ...credentials });
  } catch (error) {
    // OpenSSL's message ("mac verify failure") holds no secret; the cause keeps it.
    throw new TypeError(
      'createRpClient: could not load the CA or the RP certificate/key (wrong passphrase, or not PEM/PKCS#12?)',
      { cause: error },
    );
  }
  // `ca` replaces Node's root store: only this CA is trusted.
  const agent = new https.Agent({ keepAlive: true, ca, ...credentials, minVersion: 'TLSv1.2' });
  const call = <T>(endpoint: RpEndpoint, body: unknown): Promise<T> =>
    post<T>(agent, new URL(endpoint, base), endpoint, body, timeoutMs);
  return {
    auth: (body) => call('auth', body),
    sign: (body) => call('sign', body),
    collect: (orderRef) => call('collect', { orderRef }),
    cancel: (orderRef) => call('cancel', { orderRef }),
    close: () => agent.destroy(),
  };
}

/** The base URL, ending in '/' so that endpoint names resolve beneath it. */
function parseBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('createRpClient: url must be an absolute URL such as ' + TEST_URL);
  }
  if (url.protocol !== 'https:') throw new TypeError('createRpClient: url must be https');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function post<T>(agent: https.Agent, url: URL, endpoint: RpEndpoint, body: unknown, timeoutMs: number): Promise<T> {
  const payload = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      settle();
    };
    const request = https.request(url, {
      method: 'POST',
      agent,
      rejectUnauthorized: true, // explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot weaken it
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': payload.length },
    });
    // One deadline for the whole call, not an idle timeout.
    const deadline = setTimeout(() => {
      finish(() => reject(new RpNetworkError(`no answer within ${timeoutMs} ms`, { endpoint, code: 'timeout' })));
      request.destroy();
    }, timeoutMs);
    request.on('error', (error) => finish(() => reject(networkError(endpoint, error))));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) response.destroy(new Error('answer too large'));
        else chunks.push(chunk);
      });
      response.on('error', (error) => finish(() => reject(networkError(endpoint, error))));
      response.on('aborted', () => finish(() => reject(networkError(endpoint, new Error('answer aborted')))));
      response.on('end', () => {
        finish(() => {
          try {
            resolve(interpret<T>(endpoint, response.statusCode ?? 0, response.headers, Buffer.concat(chunks)));
          } catch (error) {
            reject(error);
          }
        });
      });
    });
    request.end(payload);
  });
}

/** A whole answer → the parsed body (200), or the matching typed error. */
function interpret<T>(endpoint: RpEndpoint, status: number, headers: IncomingHttpHeaders, body: Buffer): T {
  const json = parseJsonObject(body.toString('utf8'));
  if (status === 200) {
    if (json === undefined) {
      throw new RpNetworkError('invalid answer (HTTP 200 without a JSON object)', { endpoint, code: 'invalid-answer' });
    }
    return json as T;
  }
  const shaped = json !== undefined && typeof json['errorCode'] === 'string';
  throw new RpError({
    errorCode: shaped ? (json['errorCode'] as string) : null,
    details: shaped && typeof json['details'] === 'string' ? json['details'] : '',
    status,
    retryAfterMs: retryAfterMs(headers),
    endpoint,
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset` (seconds); null if neither. */
function retryAfterMs(headers: IncomingHttpHeaders): number | null {
  const first = (value: string | string[] | undefined): string | undefined =>
    (Array.isArray(value) ? value[0] : value)?.trim();
  const retryAfter = first(headers['retry-after']);
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const reset = first(headers['ratelimit-reset']);
  return reset !== undefined && /^\d+$/.test(reset) ? Number(reset) * 1000 : null;
}

/** A socket or TLS error: the message names the kind of failure, the cause keeps the detail. */
function networkError(endpoint: RpEndpoint, error: Error): RpNetworkError {
  const code = (error as NodeJS.ErrnoException).code;
  const tlsProblem = typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/.test(code);
  const what = tlsProblem ? 'TLS handshake or certificate check failed' : 'connection failed';
  return new RpNetworkError(`${what}${code ? ` (${code})` : ''}`, { endpoint, code, cause: error });
}
