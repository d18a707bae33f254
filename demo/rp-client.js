// demo/rp-client.js — a small client for the BankID RP API v6.0 (BANKID-REFERENCE §1).
//
// Every call is an HTTPS POST with a JSON body, over mutual TLS: the RP presents its client
// certificate (key + cert PEM, or a PKCS#12 `pfx` with its passphrase) and trusts ONLY the CA it
// is given for BankID's server: the system's root store is never consulted, so a certificate
// from any other issuer is refused even if a public CA signed it.
//
// Answers become either the parsed JSON (HTTP 200) or one of two typed errors:
//   RpError        BankID answered with its error shape {errorCode, details} (or an HTTP error
//                  without it); carries `status` and, when the answer says so, `retryAfterMs`.
//   RpNetworkError no usable answer: connection, TLS, timeout, or a 200 that is not JSON.
// Messages never contain key material, passphrases, request bodies or BankID's `details` (all may
// hold user data); `details` is kept as a property of RpError.
//
// For BankID's test environment the reference backend passes baseUrl
// https://appapi2.test.bankid.com/rp/v6.0/, pfx = FPTestcert5_20240610.p12 with passphrase
// "qwerty123" and ca = the test server root; this module only needs to support both key forms.

import https from 'node:https';
import tls from 'node:tls';

/** Largest answer we read; BankID's are a few kilobytes (a signature and an OCSP response). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** BankID answered, but not with 200. */
export class RpError extends Error {
  /**
   * @param {object} fields
   * @param {string|null} fields.errorCode BankID's errorCode, or null if the body had none
   * @param {string} fields.details BankID's details text ('' if none)
   * @param {number} fields.status the HTTP status
   * @param {number|null} fields.retryAfterMs from Retry-After / RateLimit-Reset, if present
   * @param {string} fields.endpoint which call failed: auth, sign, collect or cancel
   */
  constructor({ errorCode, details, status, retryAfterMs, endpoint }) {
    // Not `details` in the message: it may quote what we sent (personal numbers), and messages
    // end up in logs and stack traces. It stays on the error, for code that means to read it.
    super(`BankID ${endpoint}: HTTP ${status} ${errorCode ?? '(no errorCode)'}`);
    this.name = 'RpError';
    /** @type {string|null} */ this.errorCode = errorCode;
    /** @type {string} */ this.details = details;
    /** @type {number} */ this.status = status;
    /** @type {number|null} */ this.retryAfterMs = retryAfterMs;
    /** @type {string} */ this.endpoint = endpoint;
  }
}

/** No usable answer from BankID: connection, TLS, timeout, or an answer that is not JSON. */
export class RpNetworkError extends Error {
  /**
   * @param {string} message what went wrong, without secrets
   * @param {object} fields
   * @param {string} fields.endpoint which call failed
   * @param {unknown} [fields.cause] the underlying error (socket, TLS, JSON parse)
   * @param {string} [fields.code] a short machine-readable reason, e.g. 'timeout', 'ECONNREFUSED'
   */
  constructor(message, { endpoint, cause, code }) {
    super(`BankID ${endpoint}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'RpNetworkError';
    /** @type {string} */ this.endpoint = endpoint;
    /** @type {string|undefined} */ this.code = code;
  }
}

/**
 * @typedef {object} RpClient
 * @property {(body: object) => Promise<any>} auth start an authentication order
 * @property {(body: object) => Promise<any>} sign start a signing order
 * @property {(orderRef: string) => Promise<any>} collect poll an order
 * @property {(orderRef: string) => Promise<any>} cancel cancel a pending order (answers {})
 * @property {() => void} close drop the kept-alive connections
 */

/**
 * A client for the BankID RP API v6.0 over mutual TLS with a pinned server CA.
 * @param {object} options
 * @param {string} options.baseUrl e.g. https://appapi2.test.bankid.com/rp/v6.0/
 * @param {string|Buffer|Array<string|Buffer>} options.ca the ONLY CA trusted for BankID's server
 * @param {string|Buffer} [options.key] the RP client key (PEM), with `cert`
 * @param {string|Buffer} [options.cert] the RP client certificate (PEM), with `key`
 * @param {string|Buffer} [options.pfx] the RP certificate and key as PKCS#12, instead of key/cert
 * @param {string} [options.passphrase] for `pfx` (or an encrypted `key`)
 * @param {number} [options.timeoutMs] deadline for each whole call, default 10 000
 * @returns {RpClient}
 */
export function createRpClient({ baseUrl, ca, key, cert, pfx, passphrase, timeoutMs = 10000 }) {
  const base = parseBaseUrl(baseUrl);
  if (!ca || (Array.isArray(ca) && ca.length === 0)) {
    throw new TypeError('rp-client: `ca` is required: the server CA is pinned, the system store is never used');
  }
  if (!pfx && !(key && cert)) {
    throw new TypeError('rp-client: give the RP certificate as `key` + `cert` (PEM) or as `pfx` (+ `passphrase`)');
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError('rp-client: timeoutMs must be a positive number');
  }
  const credentials = pfx ? { pfx, passphrase } : { key, cert, passphrase };
  checkCredentials(ca, credentials);

  const agent = new https.Agent({
    keepAlive: true,
    ca, // replaces Node's built-in root store: only this CA is trusted
    ...credentials,
    minVersion: 'TLSv1.2',
  });

  const call = (endpoint, body) => post({ agent, base, endpoint, body, timeoutMs });
  return {
    auth: (body) => call('auth', body),
    sign: (body) => call('sign', body),
    collect: (orderRef) => call('collect', { orderRef }),
    cancel: (orderRef) => call('cancel', { orderRef }),
    close: () => agent.destroy(),
  };
}

/** The base URL as a URL ending in '/', so endpoint names resolve beneath it. */
function parseBaseUrl(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('rp-client: baseUrl must be an absolute URL');
  }
  if (url.protocol !== 'https:') throw new TypeError('rp-client: baseUrl must be https');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Load the TLS material once now, so a wrong passphrase or PEM fails at start-up, clearly. */
function checkCredentials(ca, credentials) {
  try {
    tls.createSecureContext({ ca, ...credentials });
  } catch (error) {
    // The underlying message is OpenSSL's (e.g. "mac verify failure"): no secret in it.
    throw new TypeError(
      'rp-client: could not load the CA or the RP certificate/key (wrong passphrase or not PEM/PKCS#12?)',
      { cause: error },
    );
  }
}

/**
 * POST `body` as JSON to `<base><endpoint>`; resolve with the parsed 200 answer.
 * @returns {Promise<any>}
 */
function post({ agent, base, endpoint, body, timeoutMs }) {
  const url = new URL(endpoint, base);
  const payload = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn(value);
    };
    const fail = (error) => finish(reject, error);

    const req = https.request(url, {
      method: 'POST',
      agent,
      rejectUnauthorized: true, // explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot weaken it
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Content-Length': payload.length,
      },
    });

    // One deadline for the whole call (connect, TLS, send, wait, read), not an idle timeout.
    const deadline = setTimeout(() => {
      fail(new RpNetworkError(`no answer within ${timeoutMs} ms`, { endpoint, code: 'timeout' }));
      req.destroy();
    }, timeoutMs);

    req.on('error', (error) => fail(networkError(endpoint, error)));
    req.on('response', (res) => {
      readBody(res, (error, text) => {
        if (error) return fail(networkError(endpoint, error));
        try {
          finish(resolve, interpret(endpoint, res, text));
        } catch (problem) {
          fail(problem);
        }
      });
    });
    req.end(payload);
  });
}

/** Collect the answer body as UTF-8 text, refusing absurdly large answers. */
function readBody(res, done) {
  const chunks = [];
  let size = 0;
  res.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      res.destroy(new Error('answer too large'));
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
  res.on('error', (error) => done(error));
  res.on('aborted', () => done(new Error('answer aborted')));
}

/** Turn a complete HTTP answer into the parsed body (200) or throw the matching typed error. */
function interpret(endpoint, res, text) {
  const status = res.statusCode ?? 0;
  const json = parseJsonObject(text);
  if (status === 200) {
    if (json === undefined) {
      throw new RpNetworkError('invalid answer (HTTP 200 without a JSON object)', { endpoint, code: 'invalid-answer' });
    }
    return json;
  }
  const hasShape = json !== undefined && typeof json.errorCode === 'string';
  throw new RpError({
    errorCode: hasShape ? json.errorCode : null,
    details: hasShape && typeof json.details === 'string' ? json.details : '',
    status,
    retryAfterMs: retryAfterMs(res.headers),
    endpoint,
  });
}

/** The body as a plain JSON object, or undefined if it is not one. */
function parseJsonObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long the server asks us to wait: `Retry-After` (seconds or an HTTP date), else
 * `RateLimit-Reset` (seconds, draft-polli-ratelimit-headers). Null if neither is usable.
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @returns {number|null}
 */
function retryAfterMs(headers) {
  const retryAfter = headerText(headers['retry-after']);
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const reset = headerText(headers['ratelimit-reset']);
  if (reset !== undefined && /^\d+$/.test(reset)) return Number(reset) * 1000;
  return null;
}

function headerText(value) {
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' ? text.trim() : undefined;
}

/** Wrap a socket/TLS error; the message names the kind of failure, the cause keeps the detail. */
function networkError(endpoint, error) {
  const code = /** @type {{code?: string}} */ (error).code;
  const tlsProblem = typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/.test(code);
  const what = tlsProblem ? 'TLS handshake or certificate check failed' : 'connection failed';
  return new RpNetworkError(`${what}${code ? ` (${code})` : ''}`, { endpoint, cause: error, code });
}
