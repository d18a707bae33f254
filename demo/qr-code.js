// demo/qr-code.js — the animated QR code's content (BANKID-REFERENCE §5.1).
//
// Shared by the simulator (which checks a scanned payload) and the reference backend (which makes
// the payload the browser shows). The qrStartSecret never leaves the server side: only the
// finished payload does.

import { createHmac } from 'node:crypto';

/**
 * The qrAuthCode for one second of an order: lowercase hex HMAC-SHA256, keyed with the
 * qrStartSecret (UTF-8), over the decimal qrTime ("0", "1", … without padding).
 * @param {string} qrStartSecret from the auth/sign answer
 * @param {number|string} qrTime whole seconds since the auth/sign answer arrived
 * @returns {string} 64 lowercase hex digits
 */
export function qrAuthCode(qrStartSecret, qrTime) {
  if (typeof qrStartSecret !== 'string' || qrStartSecret === '') {
    throw new TypeError('qrAuthCode: qrStartSecret must be a non-empty string');
  }
  return createHmac('sha256', Buffer.from(qrStartSecret, 'utf8'))
    .update(decimalTime(qrTime))
    .digest('hex');
}

/**
 * The QR payload `bankid.<qrStartToken>.<qrTime>.<qrAuthCode>`.
 * @param {string} qrStartToken from the auth/sign answer
 * @param {string} qrStartSecret from the auth/sign answer (stays on the server)
 * @param {number|string} qrTime whole seconds since the auth/sign answer arrived
 * @returns {string}
 */
export function qrPayload(qrStartToken, qrStartSecret, qrTime) {
  if (typeof qrStartToken !== 'string' || qrStartToken === '') {
    throw new TypeError('qrPayload: qrStartToken must be a non-empty string');
  }
  const time = decimalTime(qrTime);
  return `bankid.${qrStartToken}.${time}.${qrAuthCode(qrStartSecret, time)}`;
}

/** qrTime as BankID's plain decimal string; refuses anything that is not a whole second ≥ 0. */
function decimalTime(qrTime) {
  const text = String(qrTime);
  // "1.0", "01", "-1", "1e3" would all produce a code no BankID app accepts.
  if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TypeError(`qrTime must be a whole number of seconds ≥ 0, got ${JSON.stringify(text)}`);
  }
  return text;
}
