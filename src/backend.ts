/**
 * The HTTP contract with the host backend (CONTRACT §4): the requests, and validation of every
 * answer. Nothing here throws: every failure comes back as a value, so a misbehaving backend can
 * never crash the element.
 */
import type { Flow } from './events.js';
import { isUuid } from './platform.js';

export type BackendFailure =
  /** fetch rejected: offline, DNS, CORS, connection reset. */
  | { kind: 'network' }
  /** No answer within the deadline (the request is aborted). */
  | { kind: 'timeout' }
  /** The caller aborted through its signal: callers ignore this. */
  | { kind: 'aborted' }
  | { kind: 'http'; status: number; errorCode: string | null; retryAfterMs: number | null }
  /** 2xx but the body is not JSON of the expected shape (e.g. a proxy's HTML page). */
  | { kind: 'invalid' };

export type BackendResult<T> = { ok: true; value: T } | { ok: false; failure: BackendFailure };

export interface StartAnswer {
  orderRef: string;
  autoStartToken: string | null;
  qr: string | null;
}

export interface CollectAnswer {
  status: 'pending' | 'failed' | 'complete';
  hintCode: string | null;
  qr: string | null;
  /** The body as received, minus any qrStartSecret (bankid-complete's `response`). */
  body: Record<string, unknown>;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  keepalive?: boolean;
  /** Deadline in ms; default 10000 (CONTRACT §4). */
  timeoutMs?: number;
}

export const REQUEST_TIMEOUT_MS = 10_000;

/** Longest Retry-After we honour: a confused proxy must not park the element for hours. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/** Ours are a few hundred bytes (a signature with its OCSP answer some KB): more is a broken or hostile answer. */
const MAX_ANSWER_BYTES = 1 << 20;

const ORDER_REF = /^[\x21-\x7E]{1,128}$/;
const QR = /^bankid\.[A-Za-z0-9-]{1,64}\.\d{1,8}\.[0-9a-fA-F]{16,128}$/;
// BankID adds hint codes over time: any short word is a hint the flow can handle; odder strings are 'unknown'.
const HINT_CODE = /^[A-Za-z0-9_.-]{1,100}$/;
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const DELTA_SECONDS = /^\d+$/;
// HTTP-date in any of its three forms starts with a day name; Date.parse alone is far too lenient.
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s/i;

const STATUSES: readonly string[] = ['pending', 'failed', 'complete'];
const SECRET_KEY = 'qrStartSecret';

let secretWarned = false;

/** Lets tests observe the once-per-page warning again. */
export function _resetSecretWarningForTests(): void {
  secretWarned = false;
}

type Raw = { ok: true; status: number; headers: Headers; text: string | null } | { ok: false; failure: BackendFailure };

/**
 * One POST with the deadline. `readBody` false skips reading the body (cancel only needs the
 * status, and must not wait on a slow body).
 */
async function send(
  api: string,
  endpoint: string,
  body: unknown,
  options: RequestOptions | undefined,
  readBody: boolean,
): Promise<Raw> {
  const callerSignal = options?.signal;
  if (callerSignal?.aborted) return { ok: false, failure: { kind: 'aborted' } };

  const controller = new AbortController();
  // Which of the two aborts happened first decides the failure kind.
  let abortedBy: 'timeout' | 'caller' | null = null;
  const abort = (by: 'timeout' | 'caller'): void => {
    if (controller.signal.aborted) return;
    abortedBy = by;
    controller.abort();
  };
  const onCallerAbort = (): void => abort('caller');
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

  // Rejects on abort, so the deadline holds even against a fetch or body stream that ignores it.
  const abortPromise = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
  abortPromise.catch(() => undefined);

  const timeoutMs =
    typeof options?.timeoutMs === 'number' && Number.isFinite(options.timeoutMs) && options.timeoutMs > 0
      ? options.timeoutMs
      : REQUEST_TIMEOUT_MS;
  const timer = setTimeout(() => abort('timeout'), timeoutMs);

  const failed = (): Raw => {
    const kind = abortedBy === 'timeout' ? 'timeout' : abortedBy === 'caller' ? 'aborted' : 'network';
    return { ok: false, failure: { kind } };
  };

  try {
    let response: Response;
    try {
      const headers = new Headers();
      const hostHeaders = options?.headers;
      if (typeof hostHeaders === 'object' && hostHeaders !== null) {
        for (const [name, value] of Object.entries(hostHeaders)) headers.set(name, value);
      }
      // Ours win: the body is always JSON and only JSON answers are understood.
      headers.set('Content-Type', 'application/json');
      headers.set('Accept', 'application/json');
      response = await Promise.race([
        fetch(`${api.replace(/\/+$/, '')}/${endpoint}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers,
          body: JSON.stringify(body),
          keepalive: options?.keepalive === true,
          signal: controller.signal,
        }),
        abortPromise,
      ]);
    } catch {
      // Also covers a host header that fetch rejects: no request went out.
      return failed();
    }

    let text: string | null = null;
    if (readBody) {
      try {
        text = await Promise.race([readCapped(response), abortPromise]);
      } catch {
        if (abortedBy !== null) return failed();
        // A broken error body still leaves a usable status; a broken 2xx body is just unusable.
        text = null;
      }
    }
    return { ok: true, status: response.status, headers: response.headers, text };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** The body as text, or null past MAX_ANSWER_BYTES (read no further: it could be endless). */
async function readCapped(response: Response): Promise<string | null> {
  // A declared length of plain bytes is all the browser reads: text() ends with the browser's own
  // load (a stream read to its end leaves that load "cancelled" in the network log).
  const length = response.headers.get('content-length');
  if (length !== null && !response.headers.has('content-encoding') && /^\d{1,7}$/.test(length)) {
    if (Number(length) <= MAX_ANSWER_BYTES) return response.text();
  }
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (let chunk; reader && !(chunk = await reader.read()).done;) {
    size += chunk.value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      void reader.cancel().catch(() => undefined);
      return null;
    }
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text + decoder.decode();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string | null, reviver?: (key: string, value: unknown) => unknown): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text, reviver) as unknown;
  } catch {
    return undefined;
  }
}

/** Delta-seconds or an HTTP date → ms from now; null when absent or unreadable. */
function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  let ms: number;
  if (DELTA_SECONDS.test(v)) {
    ms = Number(v) * 1000;
  } else if (HTTP_DATE.test(v)) {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - Date.now();
  } else {
    return null;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function httpFailure(raw: { status: number; headers: Headers; text: string | null }): BackendFailure {
  const parsed = parseJson(raw.text);
  const code = isPlainObject(parsed) ? parsed['errorCode'] : undefined;
  return {
    kind: 'http',
    status: raw.status,
    errorCode: typeof code === 'string' && ERROR_CODE.test(code) ? code : null,
    retryAfterMs: parseRetryAfter(raw.headers.get('Retry-After')),
  };
}

/** Parses a 2xx body to a plain object with every qrStartSecret removed (and warned about once). */
function parseAnswer(text: string | null): Record<string, unknown> | null {
  let secret = false;
  // The reviver sees every key at every depth, so a secret nested in any object is dropped too.
  const parsed = parseJson(text, (key, value) => (key === SECRET_KEY ? ((secret = true), undefined) : value));
  if (!isPlainObject(parsed)) return null;
  if (secret && !secretWarned) {
    secretWarned = true;
    console.warn(
      '<bankid-login>: the backend sent "qrStartSecret" to the browser. It was ignored, but it must ' +
        'never leave the server: compute the QR code there and send only "qr".',
    );
  }
  return parsed;
}

/** absent or null → null; a valid string → itself; anything else → undefined (invalid). */
function optional(value: unknown, pattern: RegExp): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
}

function invalid(): { ok: false; failure: BackendFailure } {
  return { ok: false, failure: { kind: 'invalid' } };
}

export async function requestStart(
  api: string,
  operation: 'auth' | 'sign',
  body: { flow: Flow; returnUrl?: string },
  options?: RequestOptions,
): Promise<BackendResult<StartAnswer>> {
  const payload: { flow: Flow; returnUrl?: string } = { flow: body.flow };
  if (body.returnUrl !== undefined) payload.returnUrl = body.returnUrl;
  const raw = await send(api, operation, payload, options, true);
  if (!raw.ok) return raw;
  if (raw.status < 200 || raw.status > 299) {
    const failure = httpFailure(raw);
    // The user sees "unknown error"; the developer needs to know why (usually a dev proxy).
    if (failure.kind === 'http' && failure.errorCode === 'forbidden') {
      console.warn('<bankid-login>: 403 forbidden: a dev proxy that rewrites Host? Keep it (changeOrigin: false).');
    }
    return { ok: false, failure };
  }

  const answer = parseAnswer(raw.text);
  if (answer === null) return invalid();
  const orderRef = answer['orderRef'];
  if (typeof orderRef !== 'string' || !ORDER_REF.test(orderRef)) return invalid();
  // A token that is present but not a UUID could be anything: nothing may be launched with it.
  const token = answer['autoStartToken'];
  const autoStartToken = token === undefined || token === null ? null : isUuid(token) ? token : undefined;
  const qr = optional(answer['qr'], QR);
  if (autoStartToken === undefined || qr === undefined) return invalid();
  return { ok: true, value: { orderRef, autoStartToken, qr } };
}

export async function requestCollect(
  api: string,
  orderRef: string,
  options?: RequestOptions,
): Promise<BackendResult<CollectAnswer>> {
  const raw = await send(api, 'collect', { orderRef }, options, true);
  if (!raw.ok) return raw;
  if (raw.status < 200 || raw.status > 299) return { ok: false, failure: httpFailure(raw) };

  const answer = parseAnswer(raw.text);
  if (answer === null) return invalid();
  const status = answer['status'];
  if (typeof status !== 'string' || !STATUSES.includes(status)) return invalid();
  const hint = answer['hintCode'];
  if (hint !== undefined && hint !== null && typeof hint !== 'string') return invalid();
  // An odd hint is still a hint: the flow shows its fallback message (RFA21 / RFA22).
  const hintCode = typeof hint === 'string' ? (HINT_CODE.test(hint) ? hint : 'unknown') : null;
  // Only a pending answer's QR code is shown; on an ended order it is ignored.
  const qr = status === 'pending' ? optional(answer['qr'], QR) : null;
  if (qr === undefined) return invalid();
  return {
    ok: true,
    value: { status: status as CollectAnswer['status'], hintCode, qr, body: answer },
  };
}

/** Resolves true on 2xx, false otherwise (a failed cancel changes nothing for the user). */
export async function requestCancel(api: string, orderRef: string, options?: RequestOptions): Promise<boolean> {
  const raw = await send(api, 'cancel', { orderRef }, options, false);
  return raw.ok && raw.status >= 200 && raw.status <= 299;
}
