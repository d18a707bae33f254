// demo/simulator.js — a local simulator of the BankID RP API v6.0 (BANKID-REFERENCE §1, §2, §5).
//
// An HTTPS server on loopback that, like BankID, only completes the TLS handshake with a client
// certificate from the CA it trusts, and answers POST /rp/v6.0/{auth,sign,collect,cancel} with
// BankID's shapes, hint codes and error codes. Behind it sits a simulated user with a BankID app
// (the "phone"): the demo page drives it through `phone.*` to scan the QR code, open the app by
// autostart token, identify, enter a wrong security code, cancel, or do nothing.
//
// Time is read from the injectable `now()` whenever something happens (a request, a phone action,
// `orders()`); nothing runs on timers. So tests move a clock instead of sleeping, and an order's
// timeouts (startFailed, expiredTransaction) and retention windows are worked out lazily from the
// moment they were due, not from when someone happened to look.
//
// The file has four parts: request validation (pure), the order book (the rules, no HTTP), the
// HTTP layer (routing, error shapes, injected faults) and createSimulator(), which wires them.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import https from 'node:https';
import { isIP } from 'node:net';
import { qrAuthCode, qrPayload } from './qr-code.js';

const API_PREFIX = '/rp/v6.0/';
const ENDPOINTS = ['auth', 'sign', 'collect', 'cancel'];

/** How long a completed order stays collectable (BANKID-REFERENCE §1.5). */
export const COMPLETE_KEPT_MS = 3 * 60 * 1000;
/** How long a failed order stays collectable (BANKID-REFERENCE §1.5). */
export const FAILED_KEPT_MS = 5 * 60 * 1000;
/** After an autostart pickup the app shows `started` this long, or until the user acts. */
const STARTED_MS = 1000;
/** The BankID is locked (certificateErr) at this many wrong security codes in a row. */
const WRONG_CODES_TO_LOCK = 3;
/** Room for userNonVisibleData (up to 200 000 base64 characters) and the rest of a request. */
const MAX_BODY_BYTES = 256 * 1024;
/** The tooManyRequests injection's RateLimit-* values. */
const RATE_LIMIT = 10;
const RATE_LIMIT_RESET_S = 2;
/** The simulated user's BankID issue date. */
const BANKID_ISSUE_DATE = '2023-05-17';

/** Faults that `inject()` can make every matching request answer. */
const INJECTABLE = {
  maintenance: { status: 503, details: 'Simulated maintenance: the service is temporarily unavailable' },
  internalError: { status: 500, details: 'Simulated internal error in BankID' },
  tooManyRequests: { status: 429, details: 'Simulated rate limit: too many requests' },
};

/**
 * @typedef {object} DemoUser the simulated holder of the phone's BankID
 * @property {string} personalNumber 12 digits, YYYYMMDDNNNC with a valid check digit
 * @property {string} name
 * @property {string} givenName
 * @property {string} surname
 */

/** @type {Readonly<DemoUser>} The phone's fake user; the personnummer is made up (valid check digit). */
export const DEMO_USER = Object.freeze({
  personalNumber: withCheckDigit('19880808998'),
  name: 'Tessan Testsson',
  givenName: 'Tessan',
  surname: 'Testsson',
});

/**
 * Append the Luhn check digit of a Swedish personnummer (computed over YYMMDDNNN).
 * @param {string} first11 YYYYMMDDNNN
 * @returns {string} YYYYMMDDNNNC
 */
export function withCheckDigit(first11) {
  const digits = first11.slice(2); // the check digit covers the 10-digit form only
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${first11}${(10 - (sum % 10)) % 10}`;
}

// ---------------------------------------------------------------------------------------------
// Errors in BankID's shape

/** An answer in BankID's error shape; handlers throw it, the HTTP layer sends it. */
class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} errorCode
   * @param {string} details
   * @param {Record<string, string>} [headers]
   */
  constructor(status, errorCode, details, headers = {}) {
    super(details);
    this.status = status;
    this.errorCode = errorCode;
    this.details = details;
    this.headers = headers;
  }
}

const invalid = (details) => new ApiError(400, 'invalidParameters', details);

// ---------------------------------------------------------------------------------------------
// Validation of auth/sign bodies (BANKID-REFERENCE §1.3). Pure: body in, order options out.

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A string of `min`–`max` characters, or throw invalidParameters naming the field. */
function checkString(value, field, min, max) {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalid(`${field} must be a string of ${min}–${max} characters`);
  }
  return value;
}

function checkBoolean(value, field) {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${field} must be true or false`);
  return value === true;
}

/** Canonical base64 of 1–`max` characters; returns the decoded bytes. */
function checkBase64(value, field, max) {
  checkString(value, field, 1, max);
  const bytes = Buffer.from(value, 'base64');
  // Buffer.from() skips junk silently; re-encoding shows whether the text really was base64.
  if (value.length % 4 !== 0 || bytes.toString('base64') !== value) {
    throw invalid(`${field} must be base64 (standard alphabet, with padding)`);
  }
  return bytes;
}

/** Decode userVisibleData to text; it must be UTF-8 (it is shown to the user). */
function visibleText(value, field) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(checkBase64(value, field, 1500));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw invalid(`${field} must be base64 of UTF-8 text`);
  }
}

/**
 * @typedef {object} StartOptions what an auth/sign order remembers of its request
 * @property {string} endUserIp
 * @property {string|null} personalNumber requirement.personalNumber
 * @property {boolean} mrtd requirement.mrtd
 * @property {boolean} returnRisk
 * @property {string|null} userVisibleText decoded userVisibleData
 * @property {string|null} userVisibleData as sent (base64)
 * @property {string|null} userNonVisibleData as sent (base64)
 */

/**
 * Check an auth/sign body like BankID does; throw invalidParameters with a helpful `details`.
 * @param {'auth'|'sign'} type
 * @param {unknown} body
 * @returns {StartOptions}
 */
function validateStart(type, body) {
  if (!isObject(body)) throw invalid('The body must be a JSON object');
  const b = /** @type {Record<string, any>} */ (body);

  if (typeof b.endUserIp !== 'string' || isIP(b.endUserIp) === 0) {
    throw invalid('endUserIp is required: the end user\'s IPv4 or IPv6 address as seen by the RP');
  }

  let userVisibleText = null;
  if (b.userVisibleData !== undefined) userVisibleText = visibleText(b.userVisibleData, 'userVisibleData');
  else if (type === 'sign') throw invalid('userVisibleData is required for sign (base64 of UTF-8 text)');
  if (b.userVisibleDataFormat !== undefined && b.userVisibleDataFormat !== 'simpleMarkdownV1') {
    throw invalid('userVisibleDataFormat may only be "simpleMarkdownV1" (omit it for plain text)');
  }
  if (b.userNonVisibleData !== undefined) checkBase64(b.userNonVisibleData, 'userNonVisibleData', 200_000);

  if (b.returnUrl !== undefined) checkReturnUrl(b.returnUrl);
  const returnRisk = checkBoolean(b.returnRisk, 'returnRisk');

  if (b.web !== undefined && b.app !== undefined) throw invalid('Send either web or app, not both');
  if (b.web !== undefined) checkWeb(b.web);
  if (b.app !== undefined) checkApp(b.app);

  const requirement = b.requirement === undefined ? {} : b.requirement;
  if (!isObject(requirement)) throw invalid('requirement must be an object');
  const { personalNumber, mrtd } = checkRequirement(requirement);

  return {
    endUserIp: b.endUserIp,
    personalNumber,
    mrtd,
    returnRisk,
    userVisibleText,
    userVisibleData: b.userVisibleData ?? null,
    userNonVisibleData: b.userNonVisibleData ?? null,
  };
}

function checkReturnUrl(value) {
  let url = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    // handled below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalid('returnUrl must be an absolute https (or http) URL');
  }
}

function checkWeb(web) {
  if (!isObject(web)) throw invalid('web must be an object');
  if (web.userAgent !== undefined) checkString(web.userAgent, 'web.userAgent', 1, 256);
  if (web.referringDomain !== undefined) checkString(web.referringDomain, 'web.referringDomain', 3, 253);
  if (web.deviceIdentifier !== undefined) checkString(web.deviceIdentifier, 'web.deviceIdentifier', 1, 64);
}

function checkApp(app) {
  if (!isObject(app)) throw invalid('app must be an object');
  for (const field of ['appIdentifier', 'deviceOS', 'deviceModelName']) {
    if (app[field] !== undefined) checkString(app[field], `app.${field}`, 1, 256);
  }
  if (app.deviceIdentifier !== undefined) checkString(app.deviceIdentifier, 'app.deviceIdentifier', 1, 64);
}

function checkRequirement(requirement) {
  checkBoolean(requirement.pinCode, 'requirement.pinCode');
  const mrtd = checkBoolean(requirement.mrtd, 'requirement.mrtd');
  if (requirement.cardReader !== undefined && !['class1', 'class2'].includes(requirement.cardReader)) {
    throw invalid('requirement.cardReader must be "class1" or "class2"');
  }
  const policies = requirement.certificatePolicies;
  if (
    policies !== undefined &&
    !(Array.isArray(policies) && policies.every((p) => typeof p === 'string' && /^\d+(\.\d+)+$/.test(p)))
  ) {
    throw invalid('requirement.certificatePolicies must be an array of OIDs such as "1.2.752.78.1.5"');
  }
  if (requirement.risk !== undefined && !['low', 'moderate'].includes(requirement.risk)) {
    throw invalid('requirement.risk must be "low" or "moderate" (prefer returnRisk)');
  }
  const personalNumber = requirement.personalNumber;
  if (personalNumber !== undefined && !(typeof personalNumber === 'string' && /^\d{12}$/.test(personalNumber))) {
    throw invalid('requirement.personalNumber must be 12 digits, YYYYMMDDNNNN');
  }
  return { personalNumber: personalNumber ?? null, mrtd };
}

/** The orderRef of a collect/cancel body, or throw invalidParameters. */
function orderRefOf(body) {
  if (!isObject(body) || typeof body.orderRef !== 'string' || body.orderRef === '' || body.orderRef.length > 100) {
    throw invalid('orderRef is required: the orderRef from the auth or sign answer');
  }
  return body.orderRef;
}

// ---------------------------------------------------------------------------------------------
// The order book: BankID's rules for orders and the simulated user's app. No HTTP in here.

/**
 * @typedef {object} Order
 * @property {string} orderRef
 * @property {'auth'|'sign'} type
 * @property {string} autoStartToken
 * @property {string} qrStartToken
 * @property {string} qrStartSecret
 * @property {number} createdAt ms, from now()
 * @property {StartOptions} options
 * @property {'pending'|'failed'|'complete'} status
 * @property {string|null} failedHint the hint code once failed
 * @property {number|null} endedAt ms, when it failed or completed
 * @property {null|'qr'|'autostart'} pickedUpBy
 * @property {number|null} pickedUpAt
 * @property {boolean} acted the user did something in the app (ends `started` early)
 * @property {boolean} mrtdPassed
 * @property {number} wrongCodes wrong security codes in a row
 * @property {object|null} completionData
 */

/**
 * @param {{ now: () => number, pickupTimeoutMs: number, signTimeoutMs: number,
 *           random: () => string, user: DemoUser }} config
 */
function createOrderBook({ now, pickupTimeoutMs, signTimeoutMs, random, user }) {
  /** @type {Map<string, Order>} */
  const orders = new Map();
  const uhi = createHash('sha256').update(`uhi:${random()}`).digest('base64url').slice(0, 30);

  /** Apply every timeout that is due by `t`, and forget orders past their retention window. */
  function sweep(t) {
    for (const order of orders.values()) {
      if (order.status === 'pending' && !order.pickedUpBy && t >= order.createdAt + pickupTimeoutMs) {
        end(order, 'failed', 'startFailed', order.createdAt + pickupTimeoutMs);
      }
      if (order.status === 'pending' && order.pickedUpBy && t >= order.pickedUpAt + signTimeoutMs) {
        end(order, 'failed', 'expiredTransaction', order.pickedUpAt + signTimeoutMs);
      }
      if (order.status !== 'pending') {
        const kept = order.status === 'complete' ? COMPLETE_KEPT_MS : FAILED_KEPT_MS;
        if (t >= order.endedAt + kept) orders.delete(order.orderRef);
      }
    }
  }

  function end(order, status, hintCode, at) {
    order.status = status;
    order.failedHint = status === 'failed' ? hintCode : null;
    order.endedAt = at;
  }

  /** The pending hint code: who has the order and how far the user has got. */
  function pendingHint(order, t) {
    if (!order.pickedUpBy) return 'outstandingTransaction';
    if (order.pickedUpBy === 'autostart' && !order.acted && t < order.pickedUpAt + STARTED_MS) return 'started';
    if (order.options.mrtd && !order.mrtdPassed) return 'userMrtd';
    return 'userSign';
  }

  /** The collect answer of an order, exactly as BankID shapes it. */
  function collectAnswer(order, t) {
    const { orderRef } = order;
    if (order.status === 'complete') return { orderRef, status: 'complete', completionData: order.completionData };
    if (order.status === 'failed') return { orderRef, status: 'failed', hintCode: order.failedHint };
    return { orderRef, status: 'pending', hintCode: pendingHint(order, t) };
  }

  /** Orders of the simulated user that BankID would cancel when a new one is picked up. */
  function isUsersLiveOrder(order) {
    return order.status === 'pending' && (order.pickedUpBy !== null || order.options.personalNumber === user.personalNumber);
  }

  return {
    /** @param {'auth'|'sign'} type @param {StartOptions} options */
    start(type, options) {
      const t = now();
      sweep(t);
      if (options.personalNumber) {
        for (const order of orders.values()) {
          if (order.status === 'pending' && order.options.personalNumber === options.personalNumber) {
            throw new ApiError(400, 'alreadyInProgress', 'An order for this personalNumber is already in progress');
          }
        }
      }
      /** @type {Order} */
      const order = {
        orderRef: random(),
        type,
        autoStartToken: random(),
        qrStartToken: random(),
        qrStartSecret: random(),
        createdAt: t,
        options,
        status: 'pending',
        failedHint: null,
        endedAt: null,
        pickedUpBy: null,
        pickedUpAt: null,
        acted: false,
        mrtdPassed: false,
        wrongCodes: 0,
        completionData: null,
      };
      orders.set(order.orderRef, order);
      const { orderRef, autoStartToken, qrStartToken, qrStartSecret } = order;
      return { orderRef, autoStartToken, qrStartToken, qrStartSecret };
    },

    /** @param {string} orderRef */
    collect(orderRef) {
      const t = now();
      sweep(t);
      const order = orders.get(orderRef);
      if (!order) throw invalid('No such order (unknown, cancelled, or past its collect window)');
      return collectAnswer(order, t);
    },

    /** The RP cancels: only a pending order; afterwards it is gone ("No such order"). */
    cancel(orderRef) {
      sweep(now());
      const order = orders.get(orderRef);
      if (!order) throw invalid('No such order (unknown, already cancelled, or too old)');
      if (order.status !== 'pending') throw invalid(`The order is already ${order.status} and cannot be cancelled`);
      orders.delete(orderRef);
      return {};
    },

    // --- the simulated user's BankID app -----------------------------------------------------

    /** Scan a QR payload: picks the order up only with the current qrAuthCode. */
    scan(payload) {
      const t = now();
      sweep(t);
      const match = /^bankid\.([0-9A-Za-z-]{1,100})\.(0|[1-9][0-9]{0,9})\.([0-9a-f]{64})$/.exec(String(payload ?? ''));
      if (!match) return refuse('malformed');
      const [, token, timeText, code] = match;
      const order = [...orders.values()].find((o) => o.qrStartToken === token);
      if (!order || order.status !== 'pending') return refuse('unknown');
      if (order.pickedUpBy) return refuse('already-picked-up');
      const expected = Buffer.from(qrAuthCode(order.qrStartSecret, timeText), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(code, 'hex'))) return refuse('bad-code');
      // The RP counts qrTime from when it received the answer, a moment after we made the order,
      // so its clock may lag ours by up to a second: accept this second and the one before.
      const current = Math.floor((t - order.createdAt) / 1000);
      const qrTime = Number(timeText);
      if (qrTime !== current && qrTime !== current - 1) return refuse('stale');
      return pickUp(order, 'qr', t);
    },

    /** Open the app with an autostart token (the "this device" flow). Re-opening is harmless. */
    open(autoStartToken) {
      const t = now();
      sweep(t);
      const order = [...orders.values()].find((o) => o.autoStartToken === autoStartToken);
      if (!order || order.status !== 'pending') return refuse('unknown');
      if (order.pickedUpBy === 'autostart') return { ok: true, orderRef: order.orderRef, hintCode: pendingHint(order, t), replaced: [] };
      if (order.pickedUpBy) return refuse('already-picked-up');
      return pickUp(order, 'autostart', t);
    },

    /** The user identifies: passes the MRTD step first if required, else completes. */
    identify(orderRef) {
      const t = now();
      const order = inApp(orderRef, t);
      if (!order.ok) return order;
      const o = order.value;
      o.acted = true;
      if (o.options.mrtd && !o.mrtdPassed) {
        o.mrtdPassed = true;
        return { ok: true, orderRef, status: 'pending', hintCode: pendingHint(o, t) };
      }
      o.completionData = completionData(o, t);
      end(o, 'complete', null, t);
      return { ok: true, orderRef, status: 'complete' };
    },

    /** A wrong security code; the third in a row locks the BankID (certificateErr). */
    wrongCode(orderRef) {
      const t = now();
      const order = inApp(orderRef, t);
      if (!order.ok) return order;
      const o = order.value;
      if (pendingHint(o, t) === 'userMrtd') return refuse('not-at-security-code');
      o.acted = true;
      o.wrongCodes += 1;
      if (o.wrongCodes >= WRONG_CODES_TO_LOCK) {
        end(o, 'failed', 'certificateErr', t);
        return { ok: true, orderRef, wrongCodes: o.wrongCodes, status: 'failed', hintCode: 'certificateErr' };
      }
      return { ok: true, orderRef, wrongCodes: o.wrongCodes, status: 'pending', hintCode: pendingHint(o, t) };
    },

    /** The user cancels in the app. */
    cancelInApp(orderRef) {
      const t = now();
      const order = inApp(orderRef, t);
      if (!order.ok) return order;
      end(order.value, 'failed', 'userCancel', t);
      return { ok: true, orderRef, status: 'failed', hintCode: 'userCancel' };
    },

    /** The demo page's view: every order still known, newest first, without the secret. */
    list() {
      const t = now();
      sweep(t);
      return [...orders.values()]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((o) => ({
          orderRef: o.orderRef,
          type: o.type,
          status: o.status,
          hintCode: o.status === 'pending' ? pendingHint(o, t) : o.failedHint,
          createdAt: o.createdAt,
          pickedUpBy: o.pickedUpBy,
          qr:
            o.status === 'pending' && !o.pickedUpBy
              ? qrPayload(o.qrStartToken, o.qrStartSecret, Math.floor((t - o.createdAt) / 1000))
              : null,
          autoStartToken: o.autoStartToken,
          userVisibleText: o.options.userVisibleText,
        }));
    },
  };

  /** The app takes the order; BankID cancels the user's other live orders (hint `cancelled`). */
  function pickUp(order, by, t) {
    if (order.options.personalNumber && order.options.personalNumber !== user.personalNumber) {
      // The order is restricted to someone else: this phone has no BankID that may sign it.
      return refuse('wrong-user');
    }
    const replaced = [];
    for (const other of orders.values()) {
      if (other !== order && isUsersLiveOrder(other)) {
        end(other, 'failed', 'cancelled', t);
        replaced.push(other.orderRef);
      }
    }
    order.pickedUpBy = by;
    order.pickedUpAt = t;
    return { ok: true, orderRef: order.orderRef, hintCode: pendingHint(order, t), replaced };
  }

  /** The pending order the app holds, or a refusal saying why the user cannot act on it. */
  function inApp(orderRef, t) {
    sweep(t);
    const order = orders.get(orderRef);
    if (!order) return refuse('unknown');
    if (order.status !== 'pending') return refuse('ended');
    if (!order.pickedUpBy) return refuse('not-picked-up');
    return { ok: true, value: order };
  }

  /** What collect returns once the user has identified (BANKID-REFERENCE §1.5). */
  function completionData(order, t) {
    const data = {
      user: { ...user },
      device: { ipAddress: order.options.endUserIp, uhi },
      bankIdIssueDate: BANKID_ISSUE_DATE,
      ...(order.options.mrtd ? { stepUp: { mrtd: true } } : {}),
      signature: Buffer.from(fakeSignatureXml(order, t), 'utf8').toString('base64'),
      ocspResponse: Buffer.from(`FAKE OCSP RESPONSE from the bankid-login demo simulator, ${order.orderRef}`).toString('base64'),
      ...(order.options.returnRisk ? { risk: 'low' } : {}),
    };
    return data;
  }
}

/** @param {string} reason */
function refuse(reason) {
  return { ok: false, reason };
}

/** A small XML document in the spirit of BankID's signature, clearly marked as fake. */
function fakeSignatureXml(order, t) {
  const esc = (text) => String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const { userVisibleData, userNonVisibleData } = order.options;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- FAKE: made by the bankid-login demo simulator. Not a BankID signature; verifies nothing. -->',
    '<demoSignature>',
    `  <type>${order.type}</type>`,
    `  <orderRef>${esc(order.orderRef)}</orderRef>`,
    userVisibleData ? `  <usrVisibleData>${esc(userVisibleData)}</usrVisibleData>` : null,
    userNonVisibleData ? `  <usrNonVisibleData>${esc(userNonVisibleData)}</usrNonVisibleData>` : null,
    `  <signedAt>${new Date(t).toISOString()}</signedAt>`,
    '</demoSignature>',
  ]
    .filter((line) => line !== null)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Injected faults (chosen on the demo page)

const NO_INJECTION = Object.freeze({ error: null, delayMs: 0, endpoints: Object.freeze([...ENDPOINTS]), count: Infinity });

/** Check and normalise an `inject()` argument; throw TypeError on nonsense. */
function normaliseInjection({ error = null, delayMs = 0, endpoints = ENDPOINTS, count = Infinity } = {}) {
  if (error !== null && !Object.hasOwn(INJECTABLE, error)) {
    throw new TypeError(`inject: error must be one of ${Object.keys(INJECTABLE).join(', ')} or null`);
  }
  if (!(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= 120_000)) {
    throw new TypeError('inject: delayMs must be a number from 0 to 120000');
  }
  if (!Array.isArray(endpoints) || endpoints.some((e) => !ENDPOINTS.includes(e))) {
    throw new TypeError(`inject: endpoints must be a list drawn from ${ENDPOINTS.join(', ')}`);
  }
  if (!(count === Infinity || (Number.isSafeInteger(count) && count > 0))) {
    throw new TypeError('inject: count must be a positive whole number or Infinity');
  }
  if (error === null && delayMs === 0) return NO_INJECTION;
  return Object.freeze({ error, delayMs, endpoints: Object.freeze([...endpoints]), count });
}

/** The error answer for an injected fault, with the 429's rate-limit headers. */
function injectedError(error) {
  const { status, details } = INJECTABLE[error];
  const headers =
    error === 'tooManyRequests'
      ? {
          'RateLimit-Limit': String(RATE_LIMIT),
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(RATE_LIMIT_RESET_S),
          'Retry-After': String(RATE_LIMIT_RESET_S),
        }
      : {};
  return new ApiError(status, error, details, headers);
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** The endpoint name of a request path, or null if BankID has no such endpoint here. */
function endpointOf(rawUrl) {
  let pathname;
  try {
    pathname = new URL(rawUrl ?? '/', 'https://simulator.invalid').pathname;
  } catch {
    return null;
  }
  if (!pathname.startsWith(API_PREFIX)) return null;
  const name = pathname.slice(API_PREFIX.length);
  return ENDPOINTS.includes(name) ? name : null;
}

/** Read the body up to MAX_BODY_BYTES; resolves null if it was larger. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isJsonContentType(header) {
  return typeof header === 'string' && header.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** Write a JSON answer unless the client has already gone (e.g. it timed out during a delay). */
function sendJson(res, status, body, headers = {}) {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function sendError(res, error) {
  sendJson(res, error.status, { errorCode: error.errorCode, details: error.details }, error.headers);
}

// ---------------------------------------------------------------------------------------------
// The simulator

/**
 * @typedef {object} PhoneResult
 * @property {boolean} ok
 * @property {string} [reason] why not (when ok is false): malformed, unknown, stale, bad-code,
 *   already-picked-up, wrong-user, not-picked-up, ended, not-at-security-code
 * @property {string} [orderRef]
 * @property {string} [status]
 * @property {string} [hintCode]
 * @property {string[]} [replaced] orders that the pickup cancelled (hint `cancelled`)
 * @property {number} [wrongCodes]
 */

/**
 * @typedef {object} OrderView
 * @property {string} orderRef
 * @property {'auth'|'sign'} type
 * @property {'pending'|'failed'|'complete'} status
 * @property {string|null} hintCode
 * @property {number} createdAt
 * @property {null|'qr'|'autostart'} pickedUpBy
 * @property {string|null} qr the payload valid right now (only while waiting for pickup)
 * @property {string} autoStartToken
 * @property {string|null} userVisibleText
 */

/**
 * @typedef {object} Injection
 * @property {null|'maintenance'|'internalError'|'tooManyRequests'} error
 * @property {number} delayMs
 * @property {readonly string[]} endpoints
 * @property {number} count how many more matching requests it applies to
 */

/**
 * A BankID RP API v6.0 simulator over HTTPS with mutual TLS, plus the simulated user's app.
 * @param {object} options
 * @param {string} options.caCert the CA whose client certificates are accepted (PEM)
 * @param {string} options.serverKey the server's private key (PEM)
 * @param {string} options.serverCert the server's certificate (PEM)
 * @param {() => number} [options.now] clock in ms (injectable for tests)
 * @param {number} [options.pickupTimeoutMs] startFailed this long after creation without pickup
 * @param {number} [options.signTimeoutMs] expiredTransaction this long after pickup without finishing
 * @param {() => string} [options.random] makes orderRefs, tokens and secrets (UUIDs)
 * @param {DemoUser} [options.user] the phone's BankID holder
 */
export function createSimulator({
  caCert,
  serverKey,
  serverCert,
  now = Date.now,
  pickupTimeoutMs = 30000,
  signTimeoutMs = 180000,
  random = randomUUID,
  user = DEMO_USER,
}) {
  if (!caCert || !serverKey || !serverCert) {
    throw new TypeError('createSimulator: caCert, serverKey and serverCert (PEM) are required');
  }
  const book = createOrderBook({ now, pickupTimeoutMs, signTimeoutMs, random, user: { ...user } });
  /** @type {Injection} */
  let injection = NO_INJECTION;
  const delays = new Set();

  const server = https.createServer(
    {
      key: serverKey,
      cert: serverCert,
      ca: [caCert],
      requestCert: true,
      rejectUnauthorized: true, // no valid client certificate, no handshake
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      handle(req, res).catch((error) => {
        console.error('simulator: unexpected error', error);
        sendError(res, new ApiError(500, 'internalError', 'Unexpected error in the simulator'));
      });
    },
  );

  /** Route one request: path → method → injected faults → media type → JSON → the endpoint. */
  async function handle(req, res) {
    if (!(/** @type {import('node:tls').TLSSocket} */ (req.socket).authorized)) {
      return sendError(res, new ApiError(401, 'unauthorized', 'A valid RP client certificate is required'));
    }
    const endpoint = endpointOf(req.url);
    if (!endpoint) return sendError(res, new ApiError(404, 'notFound', `No such endpoint: ${String(req.url).slice(0, 100)}`));
    if (req.method !== 'POST') {
      return sendError(res, new ApiError(405, 'methodNotAllowed', 'Only POST is allowed', { Allow: 'POST' }));
    }
    const text = await readBody(req);

    const fault = takeInjection(endpoint);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.error) return sendError(res, injectedError(fault.error));

    if (!isJsonContentType(req.headers['content-type'])) {
      return sendError(res, new ApiError(415, 'unsupportedMediaType', 'Content-Type must be application/json'));
    }
    if (text === null) return sendError(res, invalid(`The body is larger than ${MAX_BODY_BYTES} bytes`));
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return sendError(res, invalid('The body is not valid JSON'));
    }
    try {
      sendJson(res, 200, answer(endpoint, body));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendError(res, error);
    }
  }

  function answer(endpoint, body) {
    switch (endpoint) {
      case 'auth':
      case 'sign':
        return book.start(endpoint, validateStart(endpoint, body));
      case 'collect':
        return book.collect(orderRefOf(body));
      default:
        return book.cancel(orderRefOf(body));
    }
  }

  /** The fault for this request, if any; counts it down and clears itself at zero. */
  function takeInjection(endpoint) {
    if (injection === NO_INJECTION || !injection.endpoints.includes(endpoint)) return null;
    const current = injection;
    const count = current.count - 1;
    injection = count > 0 ? Object.freeze({ ...current, count }) : NO_INJECTION;
    return current;
  }

  /** A real-time delay (slow BankID) that close() can cut short. */
  function sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve(undefined);
      }, ms);
      delays.add(timer);
    });
  }

  return {
    /**
     * Start listening; resolves with the base URL, e.g. https://127.0.0.1:12345/rp/v6.0/
     * @param {number} [port] 0 picks a free port
     * @param {string} [host]
     * @returns {Promise<string>}
     */
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = /** @type {import('node:net').AddressInfo} */ (server.address());
          const hostPart = host.includes(':') ? `[${host}]` : host;
          resolve(`https://${hostPart}:${address.port}${API_PREFIX}`);
        });
      });
    },

    /** Stop listening and drop every connection, also kept-alive ones and delayed answers. */
    close() {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      return new Promise((resolve) => {
        if (!server.listening) return resolve(undefined);
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },

    /** The simulated user's BankID app, for the demo page's "phone" panel. */
    phone: Object.freeze({
      /** @type {(payload: string) => PhoneResult} scan the QR code the page shows now */
      scan: (payload) => book.scan(payload),
      /** @type {(autoStartToken: string) => PhoneResult} open the app by autostart (this device) */
      open: (autoStartToken) => book.open(autoStartToken),
      /** @type {(orderRef: string) => PhoneResult} identify / sign (passes the MRTD step first) */
      identify: (orderRef) => book.identify(orderRef),
      /** @type {(orderRef: string) => PhoneResult} enter a wrong security code */
      wrongCode: (orderRef) => book.wrongCode(orderRef),
      /** @type {(orderRef: string) => PhoneResult} cancel in the app */
      cancel: (orderRef) => book.cancelInApp(orderRef),
      /** The BankID holder that completionData reports. */
      user: Object.freeze({ ...user }),
    }),

    /** @returns {OrderView[]} the simulator's own view of its orders, newest first */
    orders: () => book.list(),

    /**
     * Make the next `count` requests to `endpoints` fail and/or answer slowly.
     * `inject({ error: null, delayMs: 0 })` clears it.
     * @param {{error?: Injection['error'], delayMs?: number, endpoints?: string[], count?: number}} setting
     * @returns {Injection}
     */
    inject(setting) {
      injection = normaliseInjection(setting);
      return injection;
    },

    /** @returns {Injection} the current fault setting */
    injection: () => injection,
  };
}
