// Checks the bodies of the RP API's requests the way BankID does (BANKID-REFERENCE §1.3). Pure: a
// body goes in, the order's options come out, or an HttpError 400 invalidParameters whose
// `details` tells the RP developer what to fix.

import { isIP } from 'node:net';
import { invalidParameters } from '../server/http.js';

export type OrderType = 'auth' | 'sign';

/** What an auth/sign order remembers of its request. */
export interface StartOptions {
  endUserIp: string;
  /** requirement.personalNumber: only this person may pick the order up. */
  personalNumber: string | null;
  /** requirement.mrtd: the user scans an ID document before the security code. */
  mrtd: boolean;
  returnRisk: boolean;
  returnUrl: string | null;
  /** `web` as the RP sent it. */
  web: Readonly<Record<string, unknown>> | null;
  /** userVisibleData decoded. */
  userVisibleText: string | null;
  /** userVisibleData as sent (base64). */
  userVisibleData: string | null;
  /** userNonVisibleData as sent (base64). */
  userNonVisibleData: string | null;
}

const MAX_RETURN_URL = 512;
/** Schemes that run code or carry content instead of leading somewhere. */
const REFUSED_SCHEMES = new Set(['javascript', 'data', 'vbscript']);

export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A string of `min`–`max` characters, or invalidParameters naming the field. */
function checkString(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalidParameters(`${field} must be a string of ${min}–${max} characters`);
  }
  return value;
}

function checkBoolean(value: unknown, field: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw invalidParameters(`${field} must be true or false`);
  return value === true;
}

/** Canonical base64 of 1–`max` characters; returns the decoded bytes. */
function checkBase64(value: unknown, field: string, max: number): Buffer {
  const text = checkString(value, field, 1, max);
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from() skips junk silently; re-encoding shows whether the text really was base64.
  if (text.length % 4 !== 0 || bytes.toString('base64') !== text) {
    throw invalidParameters(`${field} must be base64 (standard alphabet, with padding)`);
  }
  return bytes;
}

/** userVisibleData as text; it must be UTF-8, because the app shows it. */
function visibleText(value: unknown, field: string): string {
  const bytes = checkBase64(value, field, 1500);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidParameters(`${field} must be base64 of UTF-8 text`);
  }
}

/** Checks an auth or sign body like BankID does. */
export function validateStart(type: OrderType, body: unknown): StartOptions {
  if (!isObject(body)) throw invalidParameters('The body must be a JSON object');

  const { endUserIp } = body;
  if (typeof endUserIp !== 'string' || isIP(endUserIp) === 0) {
    throw invalidParameters("endUserIp is required: the end user's IPv4 or IPv6 address as seen by the RP");
  }

  let userVisibleText: string | null = null;
  if (body['userVisibleData'] !== undefined) userVisibleText = visibleText(body['userVisibleData'], 'userVisibleData');
  else if (type === 'sign') throw invalidParameters('userVisibleData is required for sign (base64 of UTF-8 text)');
  if (body['userVisibleDataFormat'] !== undefined && body['userVisibleDataFormat'] !== 'simpleMarkdownV1') {
    throw invalidParameters('userVisibleDataFormat may only be "simpleMarkdownV1" (omit it for plain text)');
  }
  if (body['userNonVisibleData'] !== undefined) checkBase64(body['userNonVisibleData'], 'userNonVisibleData', 200_000);

  const returnUrl = body['returnUrl'] === undefined ? null : checkReturnUrl(body['returnUrl']);
  const returnRisk = checkBoolean(body['returnRisk'], 'returnRisk');

  if (body['web'] !== undefined && body['app'] !== undefined)
    throw invalidParameters('Send either web or app, not both');
  const web = body['web'] === undefined ? null : checkWeb(body['web']);
  if (body['app'] !== undefined) checkApp(body['app']);

  const requirement = body['requirement'] === undefined ? {} : body['requirement'];
  if (!isObject(requirement)) throw invalidParameters('requirement must be an object');
  const { personalNumber, mrtd } = checkRequirement(requirement);

  return {
    endUserIp,
    personalNumber,
    mrtd,
    returnRisk,
    returnUrl,
    web,
    userVisibleText,
    userVisibleData: typeof body['userVisibleData'] === 'string' ? body['userVisibleData'] : null,
    userNonVisibleData: typeof body['userNonVisibleData'] === 'string' ? body['userNonVisibleData'] : null,
  };
}

/**
 * An absolute URL of at most 512 characters: https, http, or an app's own scheme such as
 * `googlechromes://` or `firefox://` (where the app should send the user back to). Never
 * `javascript:` or `data:`, which would run or show content instead of going back.
 */
export function checkReturnUrl(value: unknown): string {
  const refuse = (): never => {
    throw invalidParameters(
      `returnUrl must be an absolute URL of at most ${MAX_RETURN_URL} characters, such as https://… or an app scheme like googlechromes://`,
    );
  };
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (typeof value !== 'string' || value.length > MAX_RETURN_URL || /[\s\u0000-\u001f\u007f]/.test(value))
    return refuse();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || REFUSED_SCHEMES.has(scheme)) return refuse();
  try {
    new URL(value); // https:// with no host, a bad port, … do not parse
  } catch {
    return refuse();
  }
  return value;
}

function checkWeb(web: unknown): Readonly<Record<string, unknown>> {
  if (!isObject(web)) throw invalidParameters('web must be an object');
  if (web['userAgent'] !== undefined) checkString(web['userAgent'], 'web.userAgent', 1, 256);
  if (web['referringDomain'] !== undefined) checkString(web['referringDomain'], 'web.referringDomain', 3, 253);
  if (web['deviceIdentifier'] !== undefined) checkString(web['deviceIdentifier'], 'web.deviceIdentifier', 1, 64);
  // A deep copy: the order view shows what the RP sent, and nobody can change it afterwards.
  return Object.freeze(structuredClone(web));
}

function checkApp(app: unknown): void {
  if (!isObject(app)) throw invalidParameters('app must be an object');
  for (const field of ['appIdentifier', 'deviceOS', 'deviceModelName']) {
    if (app[field] !== undefined) checkString(app[field], `app.${field}`, 1, 256);
  }
  if (app['deviceIdentifier'] !== undefined) checkString(app['deviceIdentifier'], 'app.deviceIdentifier', 1, 64);
}

function checkRequirement(requirement: Record<string, unknown>): { personalNumber: string | null; mrtd: boolean } {
  checkBoolean(requirement['pinCode'], 'requirement.pinCode');
  const mrtd = checkBoolean(requirement['mrtd'], 'requirement.mrtd');
  const cardReader = requirement['cardReader'];
  if (cardReader !== undefined && cardReader !== 'class1' && cardReader !== 'class2') {
    throw invalidParameters('requirement.cardReader must be "class1" or "class2"');
  }
  const policies = requirement['certificatePolicies'];
  if (
    policies !== undefined &&
    !(Array.isArray(policies) && policies.every((p) => typeof p === 'string' && /^\d+(\.\d+)+$/.test(p)))
  ) {
    throw invalidParameters('requirement.certificatePolicies must be an array of OIDs such as "1.2.752.78.1.5"');
  }
  const risk = requirement['risk'];
  if (risk !== undefined && risk !== 'low' && risk !== 'moderate') {
    throw invalidParameters('requirement.risk must be "low" or "moderate" (prefer returnRisk)');
  }
  const personalNumber = requirement['personalNumber'];
  if (personalNumber !== undefined && !(typeof personalNumber === 'string' && /^\d{12}$/.test(personalNumber))) {
    throw invalidParameters('requirement.personalNumber must be 12 digits, YYYYMMDDNNNN');
  }
  return { personalNumber: typeof personalNumber === 'string' ? personalNumber : null, mrtd };
}

/** The orderRef of a collect or cancel body. */
export function orderRefOf(body: unknown): string {
  const orderRef = isObject(body) ? body['orderRef'] : undefined;
  if (typeof orderRef !== 'string' || orderRef === '' || orderRef.length > 100) {
    throw invalidParameters('orderRef is required: the orderRef from the auth or sign answer');
  }
  return orderRef;
}
