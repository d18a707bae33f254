// demo/fake-backend.js — a small, built-in fake of the host backend (CONTRACT §4) for the demo.
//
// It answers POST {api}/auth, /sign, /collect and /cancel with exactly the contract's shapes and
// plays a scripted outcome ("scenario") chosen on the demo page. There is no BankID behind it:
// each order follows the steps of the scenario that was active when it was created, measured from
// the order's creation time. The animated QR payload is computed for real (HMAC-SHA256 with a
// per-order qrStartSecret that never leaves this module), so the element shows a real-looking code.
//
// Boundary: server.js only routes requests here (`handleApi`, `handleScenario`). A later stage
// replaces this module with the reference backend (§4 over an RP API v6.0 client) plus an RP API
// simulator; the data-driven scenario table (SCENARIOS) is meant to be reused by that simulator.
//
// No dependencies; `now()` is injectable so tests can move time without sleeping.

import { createHmac, randomUUID, randomBytes } from 'node:crypto';

const SECOND = 1000;
const MAX_BODY_BYTES = 16 * 1024;
const MAX_ORDERS = 1000;
const FLOWS = new Set(['this-device', 'other-device']);
/** Pending hint codes during which nobody has picked the order up yet (the QR keeps animating). */
const NOT_PICKED_UP = new Set(['outstandingTransaction', 'noClient']);

// ---------------------------------------------------------------------------------------------
// Animated QR (BANKID-REFERENCE §5.1)

/** Lowercase hex HMAC-SHA256 of the decimal `qrTime`, keyed with the qrStartSecret. */
export function qrAuthCode(qrStartSecret, qrTime) {
  return createHmac('sha256', qrStartSecret).update(String(qrTime)).digest('hex');
}

/** `bankid.<qrStartToken>.<qrTime>.<qrAuthCode>` */
export function qrPayload(qrStartToken, qrStartSecret, qrTime) {
  return `bankid.${qrStartToken}.${qrTime}.${qrAuthCode(qrStartSecret, qrTime)}`;
}

// Self-check against the published test vector (BANKID-REFERENCE §5.1); runs once at load.
{
  const token = '67df3917-fa0d-44e5-b327-edcc928297f8';
  const secret = 'd28db9a7-4cde-429e-a983-359be676944c';
  const expected = [
    'dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
    '949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2',
    'a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3',
  ];
  expected.forEach((code, t) => {
    if (qrPayload(token, secret, t) !== `bankid.${token}.${t}.${code}`) {
      throw new Error(`fake-backend: QR self-check failed at qrTime ${t}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Scenarios: data, not code.
//
// A scenario has an optional `start` (the start request fails with {httpStatus, errorCode}) and a
// list of `steps`. Each step applies while the order's age (ms since creation) is below `until`;
// the last step has no `until` and applies from then on. A step is one of:
//   { status: 'pending', hintCode }            → 200 pending (plus a fresh `qr` while not picked up)
//   { status: 'failed', hintCode }             → 200 failed (terminal)
//   { status: 'complete' }                     → 200 complete with completionData (terminal)
//   { reply: 'error', httpStatus, errorCode }  → an error answer, e.g. 503 maintenance
//   { reply: 'garbled' }                       → 200 with an HTML page instead of JSON

const pending = (until, hintCode) => ({ until, status: 'pending', hintCode });

/** The usual pick-up-and-identify path, starting at `t` ms. */
function identify(t = 0, { scanFor = 6 * SECOND, signFor = 4 * SECOND } = {}) {
  return [
    pending(t + scanFor, 'outstandingTransaction'),
    pending(t + scanFor + signFor, 'userSign'),
    { status: 'complete' },
  ];
}

/** The user picks the order up, then it ends failed with `hintCode`. */
function pickUpThenFail(hintCode, { scanFor = 5 * SECOND, signFor = 4 * SECOND } = {}) {
  return [
    pending(scanFor, 'outstandingTransaction'),
    pending(scanFor + signFor, 'userSign'),
    { status: 'failed', hintCode },
  ];
}

export const SCENARIOS = Object.freeze({
  success: {
    label: 'Success',
    description: 'Waits ~6 s for the app, the user identifies for ~4 s, then complete.',
    steps: identify(),
  },
  'slow-app': {
    label: 'Slow app',
    description: 'Nothing picks the order up for 12 s (the open-the-app button appears), then started → userSign → complete.',
    steps: [
      pending(12 * SECOND, 'outstandingTransaction'),
      pending(15 * SECOND, 'started'),
      pending(19 * SECOND, 'userSign'),
      { status: 'complete' },
    ],
  },
  'start-failed': {
    label: 'Start failed',
    description: 'Nobody picks the order up; after ~8 s (BankID: ~30 s) it fails with startFailed.',
    steps: [pending(8 * SECOND, 'outstandingTransaction'), { status: 'failed', hintCode: 'startFailed' }],
  },
  'user-cancel': {
    label: 'User cancels in the app',
    description: 'The app picks the order up, then the user presses Cancel (failed userCancel).',
    steps: pickUpThenFail('userCancel'),
  },
  expired: {
    label: 'Expired',
    description: 'The user never finishes; the order fails with expiredTransaction.',
    steps: pickUpThenFail('expiredTransaction', { signFor: 6 * SECOND }),
  },
  'certificate-error': {
    label: 'Certificate error',
    description: 'The BankID is blocked or invalid (failed certificateErr).',
    steps: pickUpThenFail('certificateErr'),
  },
  'not-supported': {
    label: 'App too old',
    description: 'An outdated app picks the order up (failed notSupportedByUserApp).',
    steps: [pending(5 * SECOND, 'outstandingTransaction'), { status: 'failed', hintCode: 'notSupportedByUserApp' }],
  },
  'already-in-progress': {
    label: 'Already in progress',
    description: 'The start request answers 400 alreadyInProgress.',
    start: { httpStatus: 400, errorCode: 'alreadyInProgress' },
    steps: identify(),
  },
  'start-error': {
    label: 'Start error',
    description: 'The start request answers 500 internalError.',
    start: { httpStatus: 500, errorCode: 'internalError' },
    steps: identify(),
  },
  'maintenance-recovers': {
    label: 'Maintenance, then recovers',
    description: 'Collect answers 503 maintenance for ~6 s (the element reconnects), then continues like success.',
    steps: [{ until: 6 * SECOND, reply: 'error', httpStatus: 503, errorCode: 'maintenance' }, ...identify(6 * SECOND)],
  },
  garbled: {
    label: 'Garbled answers',
    description: 'Collect answers a 200 HTML page for ~5 s, then continues like success.',
    steps: [{ until: 5 * SECOND, reply: 'garbled' }, ...identify(5 * SECOND)],
  },
  'unknown-hint': {
    label: 'Unknown hint code',
    description: 'After pick-up the order is pending with hintCode "someNewHint" for ~6 s, then complete.',
    steps: [
      pending(4 * SECOND, 'outstandingTransaction'),
      pending(10 * SECOND, 'someNewHint'),
      { status: 'complete' },
    ],
  },
});

export const DEFAULT_SCENARIO = 'success';

/** The step of `steps` that applies at `age` ms. */
export function stepAt(steps, age) {
  return steps.find((s) => s.until === undefined || age < s.until) ?? steps[steps.length - 1];
}

// ---------------------------------------------------------------------------------------------
// Helpers

class HttpError extends Error {
  constructor(httpStatus, errorCode, details) {
    super(details);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }
}
const invalid = (details) => new HttpError(400, 'invalidParameters', details);

function sendJson(res, httpStatus, body, extraHeaders = {}) {
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

function sendError(res, err) {
  const extra = err.errorCode === 'methodNotAllowed' ? { Allow: 'POST' } : {};
  sendJson(res, err.httpStatus, { errorCode: err.errorCode, details: err.message }, extra);
}

/** Reads and parses a JSON object body (POST, `application/json`, at most 16 KiB). */
async function readJsonBody(req) {
  if (req.method !== 'POST') throw new HttpError(405, 'methodNotAllowed', 'Only POST is allowed.');
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  // Requiring JSON also means a cross-site page cannot post here without a CORS preflight.
  if (type !== 'application/json') {
    throw new HttpError(415, 'unsupportedMediaType', 'Content-Type must be application/json.');
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw invalid('The request body is too large.');
    chunks.push(chunk);
  }
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('The request body must be a JSON object.');
  }
  return body;
}

function requireOrderRef(body) {
  const { orderRef } = body;
  if (typeof orderRef !== 'string' || orderRef.length === 0 || orderRef.length > 100) {
    throw invalid('orderRef must be a non-empty string.');
  }
  return orderRef;
}

/** A plausible but obviously fake completionData (BANKID-REFERENCE §1.5). */
function fakeCompletionData() {
  const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');
  return {
    user: {
      personalNumber: '190000000000',
      name: 'Test Testsson',
      givenName: 'Test',
      surname: 'Testsson',
    },
    device: { ipAddress: '127.0.0.1', uhi: randomBytes(18).toString('base64url') },
    bankIdIssueDate: '2024-01-15',
    signature: b64('<fake-signature>demo only</fake-signature>'),
    ocspResponse: b64('fake-ocsp-response'),
  };
}

// ---------------------------------------------------------------------------------------------
// The backend

/**
 * @param {object} [options]
 * @param {() => number} [options.now]          clock in ms (default Date.now)
 * @param {string} [options.scenario]           initial scenario (default 'success')
 * @param {number} [options.orderTtlMs]         how long an order is kept after creation (default 10 min)
 * @param {number} [options.cleanupIntervalMs]  how often expired orders are dropped (default 30 s)
 */
export function createFakeBackend(options = {}) {
  const now = options.now ?? Date.now;
  const orderTtlMs = options.orderTtlMs ?? 10 * 60 * SECOND;
  let scenarioName = options.scenario ?? DEFAULT_SCENARIO;
  if (!Object.hasOwn(SCENARIOS, scenarioName)) throw new Error(`Unknown scenario: ${scenarioName}`);

  /** orderRef → order. The qrStartSecret lives here and nowhere else. */
  const orders = new Map();

  function cleanup() {
    const t = now();
    for (const [ref, order] of orders) {
      if (t - order.createdAt > orderTtlMs) orders.delete(ref);
    }
  }
  const timer = setInterval(cleanup, options.cleanupIntervalMs ?? 30 * SECOND);
  timer.unref?.();

  function qrFor(order, t) {
    const qrTime = Math.max(0, Math.floor((t - order.createdAt) / SECOND));
    return qrPayload(order.qrStartToken, order.qrStartSecret, qrTime);
  }

  function start(operation, body) {
    const { flow, returnUrl } = body;
    if (!FLOWS.has(flow)) throw invalid('flow must be "this-device" or "other-device".');
    if (returnUrl !== undefined && (typeof returnUrl !== 'string' || !/^https?:\/\//i.test(returnUrl) || returnUrl.length > 2000)) {
      throw invalid('returnUrl must be an http(s) URL.');
    }
    const scenario = SCENARIOS[scenarioName];
    if (scenario.start) {
      throw new HttpError(scenario.start.httpStatus, scenario.start.errorCode, `Scenario "${scenarioName}": the start request fails.`);
    }
    cleanup();
    if (orders.size >= MAX_ORDERS) throw new HttpError(429, 'tooManyRequests', 'Too many live orders.');

    const t = now();
    const order = {
      orderRef: randomUUID(),
      autoStartToken: randomUUID(),
      qrStartToken: randomUUID(),
      qrStartSecret: randomUUID(),
      operation,
      flow,
      returnUrl,
      scenario: scenarioName,
      steps: scenario.steps,
      createdAt: t,
      cancelled: false,
    };
    orders.set(order.orderRef, order);

    const answer = { orderRef: order.orderRef, autoStartToken: order.autoStartToken };
    if (flow === 'other-device') answer.qr = qrFor(order, t);
    return { status: 200, body: answer };
  }

  function collect(body) {
    const orderRef = requireOrderRef(body);
    const order = orders.get(orderRef);
    if (!order) throw invalid('No such order (unknown or expired orderRef).');
    if (order.cancelled) throw invalid('The order was cancelled.');

    const t = now();
    const step = stepAt(order.steps, t - order.createdAt);
    if (step.reply === 'error') {
      throw new HttpError(step.httpStatus, step.errorCode, `Scenario "${order.scenario}": simulated ${step.errorCode}.`);
    }
    if (step.reply === 'garbled') return { garbled: true };

    const answer = { orderRef, status: step.status };
    if (step.hintCode) answer.hintCode = step.hintCode;
    if (step.status === 'pending' && order.flow === 'other-device' && NOT_PICKED_UP.has(step.hintCode)) {
      answer.qr = qrFor(order, t);
    }
    if (step.status === 'complete') {
      order.completionData ??= fakeCompletionData();
      answer.completionData = order.completionData;
    }
    return { status: 200, body: answer };
  }

  function cancel(body) {
    const orderRef = requireOrderRef(body);
    const order = orders.get(orderRef);
    if (!order) throw invalid('No such order (unknown or expired orderRef).');
    if (order.cancelled) throw invalid('The order is already cancelled.');
    const { status } = stepAt(order.steps, now() - order.createdAt);
    if (status === 'complete' || status === 'failed') throw invalid('The order has already ended.');
    order.cancelled = true;
    return { status: 200, body: {} };
  }

  /**
   * Handles `POST {api}/<endpoint>`; `endpoint` is the path after the API prefix ("auth", …).
   * Always answers (never throws).
   */
  async function handleApi(req, res, endpoint) {
    try {
      if (!['auth', 'sign', 'collect', 'cancel'].includes(endpoint)) {
        throw new HttpError(404, 'notFound', 'No such endpoint.');
      }
      const body = await readJsonBody(req);
      const result =
        endpoint === 'collect' ? collect(body) : endpoint === 'cancel' ? cancel(body) : start(endpoint, body);
      if (result.garbled) {
        const html = '<!doctype html><html><head><title>502</title></head><body><h1>Bad gateway</h1><p>Simulated garbled answer.</p></body></html>';
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      sendJson(res, result.status, result.body);
    } catch (err) {
      if (err instanceof HttpError) sendError(res, err);
      else {
        console.error('fake-backend:', err);
        sendError(res, new HttpError(500, 'internalError', 'Unexpected error in the fake backend.'));
      }
    }
  }

  /** `GET /demo/scenario` → {name, scenarios}; `POST /demo/scenario {name}` → {name}. */
  async function handleScenario(req, res) {
    try {
      if (req.method === 'GET' || req.method === 'HEAD') {
        const scenarios = Object.entries(SCENARIOS).map(([name, s]) => ({ name, label: s.label, description: s.description }));
        sendJson(res, 200, { name: scenarioName, scenarios });
        return;
      }
      const body = await readJsonBody(req);
      if (typeof body.name !== 'string' || !Object.hasOwn(SCENARIOS, body.name)) {
        throw invalid(`name must be one of: ${Object.keys(SCENARIOS).join(', ')}.`);
      }
      scenarioName = body.name;
      sendJson(res, 200, { name: scenarioName });
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.errorCode === 'methodNotAllowed') {
          sendJson(res, 405, { errorCode: err.errorCode, details: 'Use GET or POST.' }, { Allow: 'GET, HEAD, POST' });
        } else sendError(res, err);
      } else {
        console.error('fake-backend:', err);
        sendError(res, new HttpError(500, 'internalError', 'Unexpected error in the fake backend.'));
      }
    }
  }

  return {
    handleApi,
    handleScenario,
    get scenario() {
      return scenarioName;
    },
    set scenario(name) {
      if (!Object.hasOwn(SCENARIOS, name)) throw new Error(`Unknown scenario: ${name}`);
      scenarioName = name;
    },
    /** Exposed for tests only; never sent anywhere. */
    orders,
    close() {
      clearInterval(timer);
    },
  };
}
