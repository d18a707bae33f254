// The small HTTP toolkit shared by the backend, the simulator and the demo: JSON answers in
// BankID's error shape, bounded JSON bodies, and the one adapter between node:http and the Fetch
// API, so every handler in the project is written once as `(Request) → Response`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** HTTP/2's NO_ERROR (node:http2's NGHTTP2_NO_ERROR), written out: no runtime import of node:http2. */
const NO_ERROR = 0;

/** An answer other than 200, in BankID's error shape `{errorCode, details}`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly details: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(details);
  }
}

/** 400 invalidParameters, BankID's answer for a request it cannot use. */
export const invalidParameters = (details: string): HttpError => new HttpError(400, 'invalidParameters', details);

/** A JSON answer that no cache keeps and no browser sniffs. */
export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): Response {
  const answer = new Response(JSON.stringify(body), {
    status,
    headers: {
      // JSON is UTF-8 by definition (RFC 8259): a charset parameter would be bytes on every poll.
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
  for (const [name, value] of Object.entries(headers ?? {})) answer.headers.set(name, value);
  return answer;
}

export const errorResponse = (error: HttpError): Response =>
  jsonResponse(error.status, { errorCode: error.errorCode, details: error.details }, error.headers);

/** `application/json` with any charset: a cross-site form can never send that without CORS. */
export function isJsonContentType(headers: Headers): boolean {
  const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

const tooLarge = (): HttpError =>
  new HttpError(413, 'invalidParameters', 'The request body is too large.', { Connection: 'close' });

/**
 * The body as a JSON object, reading at most `maxBytes` (a declared or streamed overflow is 413).
 * An empty body is `{}` only when `emptyIsObject` says so.
 */
export async function readJsonObject(
  request: Request,
  maxBytes: number,
  { emptyIsObject = false } = {},
): Promise<Record<string, unknown>> {
  if (Number(request.headers.get('content-length')) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const chunk = await reader.read().catch(() => {
        throw invalidParameters('The request body could not be read.');
      });
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '' && emptyIsObject) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidParameters('The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameters('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/**
 * A request target as a URL. One that starts with `/` is all path, whatever follows:
 * `//other.example/api/…` is the path `//other.example/api/…`, not another host. Throws if it does
 * not parse.
 */
function targetUrl(target: string, origin: string): URL {
  return target.startsWith('/') ? new URL(`${origin}${target}`) : new URL(target);
}

/** The path of a request target (absolute, or path and query), or null if it does not parse. */
export function pathOf(target: string | undefined): string | null {
  try {
    return targetUrl(target ?? '/', 'http://path.invalid').pathname;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// node:http ↔ Fetch API

/** What a handler learns about the connection besides the request itself. */
export interface ConnectionInfo {
  /** The socket's peer address (before any proxy header is considered). */
  clientAddress?: string | undefined;
  /** The node:http objects, when the request came through toNodeListener. */
  node?: { req: IncomingMessage; res: ServerResponse };
}

export type FetchHandler = (request: Request, connection: ConnectionInfo) => Promise<Response | null>;

/** A listener for node:http, and middleware for Express, Connect and Fastify's middie. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

export interface NodeListenerOptions {
  /** Bodies larger than this are refused with 413 before the handler runs. */
  maxBodyBytes: number;
  /** A body still arriving after this long gets 408, whatever the server's own timeouts (default 10 s). */
  bodyDeadlineMs?: number;
  /** Paths the handler may answer; others go to `next()` (or 404) without reading the body. */
  handles?: (pathname: string) => boolean;
}

/**
 * Serves a Fetch handler on node:http. A handler answer of null means "not mine": the request goes
 * to `next()` when there is one, else it gets 404.
 */
export function toNodeListener(handle: FetchHandler, options: NodeListenerOptions): NodeListener {
  return (req, res, next) => {
    void serveNode(handle, options, req, res, next);
  };
}

async function serveNode(
  handle: FetchHandler,
  { maxBodyBytes, bodyDeadlineMs, handles }: NodeListenerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  next: ((error?: unknown) => void) | undefined,
): Promise<void> {
  const notMine = (): void => {
    if (next) next();
    else void writeNodeResponse(res, jsonResponse(404, { errorCode: 'notFound', details: 'No such endpoint.' }));
  };
  const pathname = pathOf(fullUrl(req));
  if (pathname === null || (handles && !handles(pathname))) return notMine();
  let answer: Response | null;
  try {
    const request = await requestFromNode(req, maxBodyBytes, bodyDeadlineMs);
    const clientAddress = req.socket.remoteAddress;
    answer = await handle(request, { ...(clientAddress ? { clientAddress } : {}), node: { req, res } });
  } catch (error) {
    answer = error instanceof HttpError ? errorResponse(error) : null;
    if (!answer) {
      console.error('bankid-login: unexpected error in a request handler:', error);
      answer = jsonResponse(500, { errorCode: 'internalError', details: 'Something went wrong on the server.' });
    }
  }
  if (answer === null) return notMine();
  await writeNodeResponse(res, answer);
}

/**
 * The request's URL as the client sent it. Express, Connect and Fastify's middie strip the mount
 * path from `req.url` under `app.use('/api/bankid', …)`, and keep the whole one in `originalUrl`.
 */
const fullUrl = (req: IncomingMessage): string =>
  (req as IncomingMessage & { originalUrl?: unknown }).originalUrl?.toString() ?? req.url ?? '/';

/** Methods the Fetch API refuses to carry; no handler here answers them. */
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** A slow client may not hold a socket longer than this to send a body of a few KB. */
const BODY_DEADLINE_MS = 10_000;

/**
 * The node request as a Fetch `Request`, with its body read (at most `maxBodyBytes`, within
 * `bodyDeadlineMs`).
 */
export async function requestFromNode(
  req: IncomingMessage,
  maxBodyBytes: number,
  bodyDeadlineMs = BODY_DEADLINE_MS,
): Promise<Request> {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  // HTTP/2 names the host in its :authority pseudo-header; a Host beside it must say the same
  // (RFC 9113 §8.3.1), so no header can stand for another host than the one the stream was for.
  let claimed = req.headers.host;
  if (req.httpVersionMajor === 2) {
    const authority = req.headers[':authority'];
    if (typeof authority === 'string' && claimed !== undefined && claimed !== authority) {
      throw invalidParameters('Host and :authority name different hosts.');
    }
    claimed = typeof authority === 'string' ? authority : claimed;
  }
  const host =
    typeof claimed === 'string' && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(claimed) ? claimed : 'localhost.invalid';
  const target = fullUrl(req);
  let url: URL;
  try {
    url = targetUrl(target, `${scheme}://${host}`);
  } catch {
    throw invalidParameters('The request URL is not valid.');
  }
  // An absolute-form target (`POST https://… HTTP/1.1`) may name its host, not the connection's scheme:
  // plain HTTP must not pass for HTTPS (the trusted origin and the cookies' Secure flag hang on it).
  if (url.protocol !== `${scheme}:`)
    throw invalidParameters('The request URL names another scheme than the connection.');
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1] as string);
  }
  // HTTP/2 lets a client write `get`; the Fetch API would make it GET after the body was read.
  const method = (req.method ?? 'GET').toUpperCase();
  if (UNSUPPORTED_METHODS.has(method)) {
    throw new HttpError(501, 'notImplemented', 'This request method is not supported.');
  }
  const body = method === 'GET' || method === 'HEAD' ? null : await nodeBody(req, maxBodyBytes, bodyDeadlineMs);
  return new Request(url, { method, headers, body });
}

/**
 * The request body, at most `limit` bytes, in full within `deadlineMs` (else 408). If a body parser
 * (Express's `express.json()`) already read the stream, its `req.body` is used instead.
 */
async function nodeBody(req: IncomingMessage, limit: number, deadlineMs: number): Promise<Uint8Array> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (req.readableEnded && parsed !== undefined) {
    const bytes = typeof parsed === 'string' || parsed instanceof Uint8Array ? parsed : JSON.stringify(parsed);
    const buffer = Buffer.from(bytes);
    if (buffer.length > limit) throw tooLarge();
    return buffer;
  }
  if (Number(req.headers['content-length']) > limit) throw tooLarge();
  // Listeners rather than an async iterator: leaving the iterator early destroys the socket, and
  // the 413 still has to reach the client.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (settle: () => void): void => {
      clearTimeout(deadline);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      settle();
    };
    const tooSlow = (): HttpError =>
      new HttpError(408, 'requestTimeout', 'The request body did not arrive in time.', { Connection: 'close' });
    const deadline = setTimeout(() => stop(() => reject(tooSlow())), deadlineMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) stop(() => reject(tooLarge()));
      else chunks.push(chunk);
    };
    const onEnd = (): void => stop(() => resolve(Buffer.concat(chunks)));
    const onGone = (): void => stop(() => reject(invalidParameters('The request body could not be read.')));
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

const HTTP1_ONLY = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** Writes a Fetch `Response` on a node response, keeping Set-Cookie lines set before it. */
export async function writeNodeResponse(res: ServerResponse, answer: Response): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(await answer.arrayBuffer());
  const earlier = res.getHeader('set-cookie');
  const cookies = [...(earlier === undefined ? [] : [earlier].flat().map(String)), ...answer.headers.getSetCookie()];
  // HTTP/2 forbids connection-specific headers (node:http2 throws on them); it closes streams itself.
  const http2 = res.req?.httpVersionMajor === 2;
  answer.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !(http2 && HTTP1_ONLY.has(name))) res.setHeader(name, value);
  });
  if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
  res.setHeader('Content-Length', body.length);
  res.writeHead(answer.status);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
  // A refusal that says `Connection: close` (408, 413) ends the HTTP/2 stream too, with NO_ERROR after
  // the answer (RFC 9113 §8.1; node:http2 sends it once the answer is out): no more trickling into it.
  if (http2 && answer.headers.get('connection') === 'close') {
    (res as unknown as { stream?: { close(code: number): void } }).stream?.close(NO_ERROR);
  }
}
