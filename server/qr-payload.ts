// The animated QR code's content (BANKID-REFERENCE §5.1). The backend makes the payload the browser
// shows; the simulator checks a scanned one. The qrStartSecret never leaves the server: only the
// finished payload does.

import { createHmac } from 'node:crypto';

/**
 * The qrAuthCode for one second of an order: lowercase hex HMAC-SHA256 keyed with the
 * qrStartSecret (UTF-8), over the decimal qrTime ("0", "1", … without padding).
 */
export function qrAuthCode(qrStartSecret: string, qrTime: number | string): string {
  if (typeof qrStartSecret !== 'string' || qrStartSecret === '') {
    throw new TypeError('qrAuthCode: qrStartSecret must be a non-empty string');
  }
  return createHmac('sha256', Buffer.from(qrStartSecret, 'utf8')).update(decimalTime(qrTime)).digest('hex');
}

/**
 * The QR payload `bankid.<qrStartToken>.<qrTime>.<qrAuthCode>`, where qrTime is the whole seconds
 * since the auth/sign answer arrived.
 */
export function qrPayload(qrStartToken: string, qrStartSecret: string, qrTime: number | string): string {
  if (typeof qrStartToken !== 'string' || qrStartToken === '') {
    throw new TypeError('qrPayload: qrStartToken must be a non-empty string');
  }
  const time = decimalTime(qrTime);
  return `bankid.${qrStartToken}.${time}.${qrAuthCode(qrStartSecret, time)}`;
}

/** qrTime as BankID's plain decimal string; "1.0", "01", "-1" or "1e3" make codes no app accepts. */
function decimalTime(qrTime: number | string): string {
  const text = String(qrTime);
  if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TypeError(`qrTime must be a whole number of seconds ≥ 0, got ${JSON.stringify(text)}`);
  }
  return text;
}
