// demo/stack.js — the demo's BankID stack: the reference backend and what stands behind it.
//
//   browser ──/api/bankid/*──▶ reference backend ──mTLS──▶ BankID RP API v6.0
//                              (reference-backend.js,       simulator (simulator.js, default)
//                               rp-client.js)               or BankID's test environment
//   demo page ──/demo/phone/*──▶ the simulated user's BankID app + error injection (simulator only)
//
// Two modes, chosen by BANKID_ENV:
//   (unset)  'simulator': throwaway certificates (certs.js), the simulator on 127.0.0.1:<random>,
//            an RP client with the demo client certificate and the demo CA pinned. No network.
//   'test'   BankID's test environment https://appapi2.test.bankid.com/rp/v6.0/ with the RP
//            certificate from BANKID_PFX (+ BANKID_PASSPHRASE) and BankID's server CA from
//            BANKID_CA. No simulator: the user's real BankID app (configured for test) plays the
//            phone, so the phone API answers 404.
//
// The phone API, for the demo page and the end-to-end tests. JSON in and out; POSTs must be
// `application/json` and same-origin (as the reference backend's own endpoints):
//   GET  /demo/phone/orders              → {mode, pickupTimeoutMs, orders: [OrderView, newest first], injection}
//   POST /demo/phone/scan       {payload?, orderRef?}  scan a QR payload; without one, the payload
//                                               valid right now for that order, or for the newest
//                                               order waiting for a scan (what the page shows)
//   POST /demo/phone/open       {autoStartToken} open the app by autostart token (this device)
//   POST /demo/phone/identify   {orderRef?}     the user identifies / signs
//   POST /demo/phone/wrong-code {orderRef?}     a wrong security code (the 3rd locks: certificateErr)
//   POST /demo/phone/cancel     {orderRef?}     the user cancels in the app
//                                (no orderRef: the newest pending order that the app has)
//   GET  /demo/phone/inject              → the current injection
//   POST /demo/phone/inject     {error, delayMs, count, endpoints?} → the new injection
//        error: null | "maintenance" | "internalError" | "tooManyRequests"; delayMs: 0–120000;
//        count: a whole number ≥ 1, or null for "until cleared" (JSON has no Infinity);
//        endpoints: a list drawn from auth, sign, collect, cancel (default: all).
//        {error: null, delayMs: 0} clears it.
// Phone actions answer 200 {ok: true, …} or 409 {ok: false, reason, message} when the app
// refuses (stale QR code, order not picked up, …); malformed requests 400/405/415, cross-site 403.

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ensureCertificates } from './certs.js';
import { createRpClient } from './rp-client.js';
import { createSimulator } from './simulator.js';
import { createReferenceBackend, cookieKeyFromEnv } from './reference-backend.js';

/** BankID's test environment (BANKID-REFERENCE §1.1). */
export const TEST_ENVIRONMENT_URL = 'https://appapi2.test.bankid.com/rp/v6.0/';

const PHONE_PREFIX = '/demo/phone/';
const MAX_BODY_BYTES = 4 * 1024;

/**
 * The reference backend's options in the demo. Everything comes from 127.0.0.1 here (the page,
 * and the tests that start one order after another), so the rate limits are demo-sized rather
 * than the per-user defaults. The page's event log shows completionData.
 */
const DEMO_BACKEND_OPTIONS = {
  exposeCompletionData: true,
  rateLimit: { start: { burst: 30, perMinute: 60 }, poll: { burst: 60, perMinute: 1200 } },
};

/** What the phone's refusals mean, for the page (simulator.js PhoneResult.reason). */
const REFUSALS = {
  malformed: 'That is not a BankID QR code.',
  unknown: 'No pending order has this code or token (ended, cancelled or never made).',
  stale: 'The QR code is too old: scan the one shown now.',
  'bad-code': 'The QR code does not match its order (wrong qrAuthCode).',
  'already-picked-up': 'Another app already has this order.',
  'wrong-user': 'The order is for another person.',
  'not-picked-up': 'The app does not have this order: scan the QR code or open the app first.',
  ended: 'The order has already ended.',
  'not-at-security-code': 'The app is at the ID document step, not the security code.',
  'no-qr': 'No order is waiting for a scan.',
  'no-order': 'The app has no order: scan the QR code or open the app first.',
};

class PhoneError extends Error {
  constructor(status, errorCode, details, headers = {}) {
    super(details);
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }
}

/**
 * @typedef {object} BankIdStack
 * @property {{handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<boolean>}} backend
 *   the reference backend (CONTRACT §4) under /api/bankid
 * @property {ReturnType<typeof createSimulator> | null} simulator null with BANKID_ENV=test
 * @property {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<boolean>} handlePhone
 *   the phone + injection API under /demo/phone/; false for any other path
 * @property {'simulator'|'test'} mode
 * @property {number|null} pickupTimeoutMs the simulator's startFailed window (null in test mode)
 * @property {string} rpBaseUrl where the RP client sends its calls (the simulator's URL, or BankID's)
 * @property {() => Promise<void>} close
 */

/**
 * Builds the demo's BankID stack.
 * @param {object} [options]
 * @param {Record<string, string|undefined>} [options.env] BANKID_ENV, BANKID_PFX, BANKID_PASSPHRASE,
 *   BANKID_CA, BANKID_COOKIE_KEY
 * @param {number} [options.pickupTimeoutMs] the simulator's startFailed window (default 30 000; tests shorten it)
 * @param {() => number} [options.now] clock for the simulator and the backend
 * @param {string} [options.certDir] where the throwaway certificates live (default demo/.certs)
 * @param {(line: string) => void} [options.log] the backend's error log (default console.error)
 * @returns {Promise<BankIdStack>}
 */
export async function createBankIdStack({ env = process.env, pickupTimeoutMs, now, certDir, log } = {}) {
  const mode = modeOf(env.BANKID_ENV);
  const clock = now ? { now } : {};
  const logOption = log ? { log } : {};

  if (mode === 'test') {
    const rp = createRpClient(testEnvironmentOptions(env));
    // 'flag', not 'reject': the page is on localhost (127.0.0.1) while the real BankID sees the
    // app at your public address, so a this-device login would always look like a mismatch.
    const backend = createReferenceBackend({
      rp,
      cookieKey: cookieKeyFromEnv(env),
      ...DEMO_BACKEND_OPTIONS,
      deviceIpPolicy: 'flag',
      ...clock,
      ...logOption,
    });
    return {
      backend,
      simulator: null,
      mode,
      pickupTimeoutMs: null,
      rpBaseUrl: TEST_ENVIRONMENT_URL,
      async handlePhone(req, res) {
        if (!isPhonePath(req.url)) return false;
        sendJson(res, 404, {
          errorCode: 'notFound',
          mode,
          details: 'BANKID_ENV=test: there is no simulator. Use the BankID app with a test BankID instead.',
        });
        return true;
      },
      async close() {
        rp.close();
      },
    };
  }

  const certs = ensureCertificates(certDir);
  const simulator = createSimulator({
    caCert: certs.caCert,
    serverKey: certs.serverKey,
    serverCert: certs.serverCert,
    ...clock,
    ...(pickupTimeoutMs === undefined ? {} : { pickupTimeoutMs }),
  });
  const baseUrl = await simulator.listen(0, '127.0.0.1');
  const rp = createRpClient({ baseUrl, ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert });
  // The demo's orders need not survive a restart, so no BANKID_COOKIE_KEY is needed (nor warned about).
  const cookieKey = env.BANKID_COOKIE_KEY ? cookieKeyFromEnv(env) : randomBytes(32);
  // 'reject': the simulator reports the app at the start IP, as BankID does for a real same device.
  const backend = createReferenceBackend({
    rp,
    cookieKey,
    ...DEMO_BACKEND_OPTIONS,
    deviceIpPolicy: 'reject',
    ...clock,
    ...logOption,
  });
  const phone = createPhoneApi(simulator, pickupTimeoutMs ?? 30000);

  return {
    backend,
    simulator,
    mode,
    pickupTimeoutMs: pickupTimeoutMs ?? 30000,
    rpBaseUrl: baseUrl,
    handlePhone: phone,
    async close() {
      rp.close();
      await simulator.close();
    },
  };
}

function modeOf(value) {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'simulator') return 'simulator';
  if (text === 'test') return 'test';
  throw new Error(
    `BANKID_ENV=${JSON.stringify(value)} is not supported: leave it unset for the built-in simulator, ` +
      'or set BANKID_ENV=test for BankID\'s test environment. (The demo never talks to production BankID.)',
  );
}

/** The RP client options for BankID's test environment, with an error that says what is missing. */
function testEnvironmentOptions(env) {
  const missing = ['BANKID_PFX', 'BANKID_PASSPHRASE', 'BANKID_CA'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `BANKID_ENV=test needs ${missing.join(', ')}:\n` +
        '  BANKID_PFX        path to the RP test certificate, e.g. FPTestcert5_20240610.p12\n' +
        '  BANKID_PASSPHRASE its passphrase (qwerty123 for the public test certificate)\n' +
        "  BANKID_CA         path to the PEM of BankID's test server CA (pinned)\n" +
        'Both files are on developers.bankid.com (test environment resources); see the README.',
    );
  }
  const read = (name, encoding) => {
    try {
      return readFileSync(env[name], encoding);
    } catch (error) {
      throw new Error(`${name}: cannot read ${JSON.stringify(env[name])} (${error.code ?? error.message})`);
    }
  };
  const pfx = read('BANKID_PFX');
  const ca = read('BANKID_CA', 'utf8');
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('BANKID_CA must be a PEM file (-----BEGIN CERTIFICATE-----) with BankID\'s test server CA');
  }
  // createRpClient() checks the material at once; its error never contains the passphrase.
  return { baseUrl: TEST_ENVIRONMENT_URL, pfx, passphrase: env.BANKID_PASSPHRASE, ca };
}

// ---------------------------------------------------------------------------------------------
// The phone API

function isPhonePath(url) {
  return pathOf(url)?.startsWith(PHONE_PREFIX) ?? false;
}

function pathOf(url) {
  try {
    return new URL(url ?? '/', 'http://path.invalid').pathname;
  } catch {
    return null;
  }
}

/** Injection as JSON: Infinity (until cleared) becomes null. */
export function injectionJson(injection) {
  return {
    error: injection.error,
    delayMs: injection.delayMs,
    endpoints: [...injection.endpoints],
    count: Number.isFinite(injection.count) ? injection.count : null,
    active: injection.error !== null || injection.delayMs > 0,
  };
}

/**
 * @param {ReturnType<typeof createSimulator>} simulator
 * @param {number} pickupTimeoutMs
 */
function createPhoneApi(simulator, pickupTimeoutMs) {
  /** The newest pending order nobody has scanned or opened: the one the page shows. */
  const waitingOrder = () => simulator.orders().find((o) => o.status === 'pending' && !o.pickedUpBy);
  /** The newest pending order the app holds. */
  const appOrder = () => simulator.orders().find((o) => o.status === 'pending' && o.pickedUpBy);

  /** A phone action's answer: 200 when the app did it, 409 with a reason when it refused. */
  function actionAnswer(result, extra = {}) {
    if (result.ok) return [200, { ...result, ...extra }];
    return [409, { ...result, ...extra, message: REFUSALS[result.reason] ?? result.reason }];
  }

  function orderRefOrApp(body) {
    if (body.orderRef === undefined || body.orderRef === null) {
      const order = appOrder();
      return order ? order.orderRef : null;
    }
    if (typeof body.orderRef !== 'string' || body.orderRef === '' || body.orderRef.length > 100) {
      throw new PhoneError(400, 'invalidParameters', 'orderRef must be a string of 1–100 characters.');
    }
    return body.orderRef;
  }

  const inAppAction = (act) => (body) => {
    const orderRef = orderRefOrApp(body);
    if (orderRef === null) return actionAnswer({ ok: false, reason: 'no-order' });
    return actionAnswer(act(orderRef));
  };

  const routes = {
    orders: {
      get: () => [200, { mode: 'simulator', pickupTimeoutMs, orders: simulator.orders(), injection: injectionJson(simulator.injection()) }],
    },
    inject: {
      get: () => [200, injectionJson(simulator.injection())],
      post: (body) => [200, injectionJson(simulator.inject(parseInjection(body)))],
    },
    scan: {
      post: (body) => {
        let { payload } = body;
        if (payload === undefined || payload === null) {
          const { orderRef } = body;
          if (orderRef !== undefined && orderRef !== null && typeof orderRef !== 'string') {
            throw new PhoneError(400, 'invalidParameters', 'orderRef must be a string.');
          }
          const order = orderRef ? simulator.orders().find((o) => o.orderRef === orderRef) : waitingOrder();
          if (orderRef && !order) return actionAnswer({ ok: false, reason: 'unknown' });
          if (order && order.status !== 'pending') return actionAnswer({ ok: false, reason: 'ended' });
          if (order?.pickedUpBy) return actionAnswer({ ok: false, reason: 'already-picked-up' });
          payload = order?.qr;
          if (!payload) return actionAnswer({ ok: false, reason: 'no-qr' });
        } else if (typeof payload !== 'string' || payload.length > 300) {
          throw new PhoneError(400, 'invalidParameters', 'payload must be the QR code text (a string).');
        }
        return actionAnswer(simulator.phone.scan(payload), { payload });
      },
    },
    open: {
      post: (body) => {
        const token = body.autoStartToken;
        if (typeof token !== 'string' || token === '' || token.length > 100) {
          throw new PhoneError(400, 'invalidParameters', 'autoStartToken must be the token from the launch URL.');
        }
        return actionAnswer(simulator.phone.open(token));
      },
    },
    identify: { post: inAppAction((ref) => simulator.phone.identify(ref)) },
    'wrong-code': { post: inAppAction((ref) => simulator.phone.wrongCode(ref)) },
    cancel: { post: inAppAction((ref) => simulator.phone.cancel(ref)) },
  };

  return async function handlePhone(req, res) {
    const pathname = pathOf(req.url);
    if (!pathname?.startsWith(PHONE_PREFIX)) return false;
    try {
      const route = Object.hasOwn(routes, pathname.slice(PHONE_PREFIX.length))
        ? routes[pathname.slice(PHONE_PREFIX.length)]
        : null;
      if (!route) throw new PhoneError(404, 'notFound', 'No such phone action.');
      checkSameOrigin(req);
      let answer;
      if ((req.method === 'GET' || req.method === 'HEAD') && route.get) {
        answer = route.get();
      } else if (req.method === 'POST' && route.post) {
        checkJsonContentType(req);
        answer = route.post(await readJsonObject(req));
      } else {
        const allow = [route.get && 'GET, HEAD', route.post && 'POST'].filter(Boolean).join(', ');
        throw new PhoneError(405, 'methodNotAllowed', `Use ${allow}.`, { Allow: allow });
      }
      sendJson(res, answer[0], answer[1], {}, req.method === 'HEAD');
    } catch (error) {
      if (error instanceof PhoneError) {
        sendJson(res, error.status, { errorCode: error.errorCode, details: error.message }, error.headers);
      } else if (error instanceof TypeError && /^inject:/.test(error.message)) {
        sendJson(res, 400, { errorCode: 'invalidParameters', details: error.message });
      } else {
        console.error('demo phone API:', error);
        sendJson(res, 500, { errorCode: 'internalError', details: 'Unexpected error in the phone API.' });
      }
    }
    return true;
  };
}

/** {error, delayMs, count, endpoints} from JSON; count null/"Infinity"/missing = until cleared. */
function parseInjection(body) {
  const error = body.error === undefined || body.error === 'none' ? null : body.error;
  const delayMs = body.delayMs === undefined || body.delayMs === null ? 0 : body.delayMs;
  let count = body.count;
  if (count === undefined || count === null || count === 'Infinity' || count === 'until-cleared') count = Infinity;
  const setting = { error, delayMs, count };
  if (body.endpoints !== undefined && body.endpoints !== null) setting.endpoints = body.endpoints;
  if (typeof delayMs !== 'number') throw new PhoneError(400, 'invalidParameters', 'delayMs must be a number of ms.');
  if (typeof count !== 'number') throw new PhoneError(400, 'invalidParameters', 'count must be a whole number, or null for "until cleared".');
  return setting; // simulator.inject() checks the rest (TypeError "inject: …" → 400)
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers (same rules as the reference backend: same-origin JSON only)

function checkJsonContentType(req) {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new PhoneError(415, 'unsupportedMediaType', 'Send the body as application/json.');
  }
}

/** A browser that says where the request comes from must say "this very origin". */
function checkSameOrigin(req) {
  const claimed = req.headers.origin;
  if (claimed !== undefined) {
    let ok = false;
    try {
      const url = new URL(claimed);
      ok = url.host === String(req.headers.host ?? '') && (url.protocol === 'http:' || url.protocol === 'https:');
    } catch {
      ok = false;
    }
    if (!ok) throw new PhoneError(403, 'forbidden', 'Cross-origin requests are not allowed.');
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new PhoneError(403, 'forbidden', 'Cross-site requests are not allowed.');
  }
}

async function readJsonObject(req) {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
    throw new PhoneError(413, 'invalidParameters', 'The request body is too large.', { Connection: 'close' });
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new PhoneError(413, 'invalidParameters', 'The request body is too large.', { Connection: 'close' });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new PhoneError(400, 'invalidParameters', 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PhoneError(400, 'invalidParameters', 'The request body must be a JSON object.');
  }
  return body;
}

function sendJson(res, status, body, headers = {}, headOnly = false) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(headOnly ? undefined : text);
}
