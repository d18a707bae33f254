// BankID's RP API v6.0 over HTTP: routing, BankID's error shapes, and the faults a test can inject
// (BANKID-REFERENCE §1.2, §1.6). A Fetch handler; `serveRpApi` puts it on HTTPS with mutual TLS.

import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import {
  HttpError,
  errorResponse,
  invalidParameters,
  isJsonContentType,
  jsonResponse,
  readJsonObject,
  toNodeListener,
  writeNodeResponse,
} from '../server/http.js';
import type { OrderBook } from './order-book.js';
import { isObject, orderRefOf, validateStart } from './requests.js';

export const API_PATH = '/rp/v6.0/';
export const RP_ENDPOINTS = Object.freeze(['auth', 'sign', 'collect', 'cancel'] as const);
export type RpEndpointName = (typeof RP_ENDPOINTS)[number];

/** Room for userNonVisibleData (up to 200 000 base64 characters) and the rest of a request. */
const MAX_BODY_BYTES = 256 * 1024;
/** Larger bodies are cut off by the node adapter (413) before they are read into memory. */
const MAX_READ_BYTES = 1024 * 1024;
/** The tooManyRequests fault's RateLimit-* values. */
const RATE_LIMIT = 10;
const RATE_LIMIT_RESET_S = 2;
const MAX_DELAY_MS = 120_000;

/** Faults that `inject()` can make matching requests answer. */
const INJECTABLE = {
  maintenance: { status: 503, details: 'Simulated maintenance: the service is temporarily unavailable' },
  internalError: { status: 500, details: 'Simulated internal error in BankID' },
  tooManyRequests: { status: 429, details: 'Simulated rate limit: too many requests' },
} as const;

export type InjectableError = keyof typeof INJECTABLE;

/** The fault setting in force. */
export interface Injection {
  error: InjectableError | null;
  /** Answers wait this long (real time). */
  delayMs: number;
  endpoints: readonly RpEndpointName[];
  /** How many more matching requests it applies to; Infinity until cleared. */
  count: number;
}

/** What `inject()` takes; `{error: null, delayMs: 0}` clears the setting. */
export interface InjectionSetting {
  error?: InjectableError | null;
  delayMs?: number;
  endpoints?: readonly RpEndpointName[];
  count?: number;
}

export const NO_INJECTION: Injection = Object.freeze({
  error: null,
  delayMs: 0,
  endpoints: RP_ENDPOINTS,
  count: Infinity,
});

/** Checks and normalises an injection setting (from code or from JSON); TypeError on nonsense. */
export function normaliseInjection(setting: unknown = {}): Injection {
  if (!isObject(setting)) throw new TypeError('inject: the setting must be an object');
  const { error = null, delayMs = 0, endpoints = RP_ENDPOINTS, count = Infinity } = setting;
  if (error !== null && !(typeof error === 'string' && isInjectable(error))) {
    throw new TypeError(`inject: error must be one of ${Object.keys(INJECTABLE).join(', ')} or null`);
  }
  if (!(typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
    throw new TypeError(`inject: delayMs must be a number from 0 to ${MAX_DELAY_MS}`);
  }
  if (!isEndpointList(endpoints)) {
    throw new TypeError(`inject: endpoints must be a list drawn from ${RP_ENDPOINTS.join(', ')}`);
  }
  if (!(count === Infinity || (typeof count === 'number' && Number.isSafeInteger(count) && count > 0))) {
    throw new TypeError('inject: count must be a positive whole number or Infinity');
  }
  if (error === null && delayMs === 0) return NO_INJECTION;
  return Object.freeze({ error, delayMs, endpoints: Object.freeze([...endpoints]), count: count as number });
}

const isInjectable = (name: string): name is InjectableError => Object.hasOwn(INJECTABLE, name);

function isEndpointList(value: unknown): value is readonly RpEndpointName[] {
  return Array.isArray(value) && value.every((e: unknown) => RP_ENDPOINTS.some((endpoint) => endpoint === e));
}

/** The error answer of an injected fault; the 429 carries BankID's rate-limit headers. */
function injectedError(error: InjectableError): HttpError {
  const { status, details } = INJECTABLE[error];
  const headers: Record<string, string> =
    error === 'tooManyRequests'
      ? {
          'RateLimit-Limit': String(RATE_LIMIT),
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(RATE_LIMIT_RESET_S),
          'Retry-After': String(RATE_LIMIT_RESET_S),
        }
      : {};
  return new HttpError(status, error, details, headers);
}

/** The endpoint a request path names, or null if BankID has no such endpoint here. */
function endpointOf(url: string): RpEndpointName | null {
  const { pathname } = new URL(url);
  if (!pathname.startsWith(API_PATH)) return null;
  const name = pathname.slice(API_PATH.length);
  return RP_ENDPOINTS.find((endpoint) => endpoint === name) ?? null;
}

export interface RpApi {
  handle(request: Request): Promise<Response>;
  /** Checks the setting itself: it may come from JSON. */
  inject(setting: unknown): Injection;
  injection(): Injection;
  /** Ends the delays of slow answers at once (their connections are being dropped). */
  stopDelays(): void;
}

export function createRpApi(book: OrderBook): RpApi {
  let injection = NO_INJECTION;
  const delays = new Set<() => void>();

  /** The fault for this request, if any; counts it down and clears itself at zero. */
  function takeInjection(endpoint: RpEndpointName): Injection | null {
    if (injection === NO_INJECTION || !injection.endpoints.includes(endpoint)) return null;
    const current = injection;
    const count = current.count - 1;
    injection = count > 0 ? Object.freeze({ ...current, count }) : NO_INJECTION;
    return current;
  }

  /** A real-time delay (a slow BankID) that stopDelays() cuts short. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        delays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      delays.add(done);
    });
  }

  /** Route, method, injected fault, media type, JSON, then the endpoint. */
  async function handle(request: Request): Promise<Response> {
    try {
      const endpoint = endpointOf(request.url);
      if (!endpoint)
        throw new HttpError(404, 'notFound', `No such endpoint: ${new URL(request.url).pathname.slice(0, 100)}`);
      if (request.method !== 'POST')
        throw new HttpError(405, 'methodNotAllowed', 'Only POST is allowed', { Allow: 'POST' });

      const body = await readJsonObject(request, MAX_BODY_BYTES).then(
        (value) => ({ value, error: null }),
        (error: unknown) => ({ value: null, error }),
      );
      const fault = takeInjection(endpoint);
      if (fault?.error && endpoint === 'collect' && typeof body.value?.['orderRef'] === 'string') {
        // Such a call never reaches the order book, yet a backend that hammers a failing BankID
        // should show up in the order's collect times too.
        book.noteCollectCall(body.value['orderRef']);
      }
      if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault?.error) throw injectedError(fault.error);

      if (!isJsonContentType(request.headers)) {
        throw new HttpError(415, 'unsupportedMediaType', 'Content-Type must be application/json');
      }
      if (body.error instanceof HttpError && body.error.status === 413) {
        throw invalidParameters(`The body is larger than ${MAX_BODY_BYTES} bytes`);
      }
      if (body.error) throw body.error;
      return jsonResponse(200, answer(endpoint, body.value));
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      throw error;
    }
  }

  function answer(endpoint: RpEndpointName, body: unknown): unknown {
    switch (endpoint) {
      case 'auth':
      case 'sign':
        return book.start(endpoint, validateStart(endpoint, body));
      case 'collect':
        return book.collect(orderRefOf(body));
      case 'cancel':
        return book.cancel(orderRefOf(body));
    }
  }

  return {
    handle,
    inject(setting) {
      injection = normaliseInjection(setting);
      return injection;
    },
    injection: () => injection,
    stopDelays() {
      for (const done of [...delays]) done();
    },
  };
}

export interface RpServerCredentials {
  /** The CA whose client certificates are accepted (PEM). */
  ca: string;
  /** The server's key and certificate (PEM). */
  key: string;
  cert: string;
}

/**
 * An HTTPS server for the handler that, like BankID, completes the handshake only with a client
 * certificate from `ca`. Not listening yet.
 */
export function serveRpApi(
  handle: (request: Request) => Promise<Response>,
  { ca, key, cert }: RpServerCredentials,
): https.Server {
  const listener = toNodeListener(handle, { maxBodyBytes: MAX_READ_BYTES });
  return https.createServer(
    { key, cert, ca: [ca], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    (req, res) => {
      // rejectUnauthorized already stops the handshake; this is the belt to those braces.
      if (!(req.socket as TLSSocket).authorized) {
        void writeNodeResponse(
          res,
          errorResponse(new HttpError(401, 'unauthorized', 'A valid RP client certificate is required')),
        );
        return;
      }
      listener(req, res);
    },
  );
}
