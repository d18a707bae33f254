// The simulated user's BankID app: what a test, the demo page or a backend checker does in place
// of a person with a phone. A thin layer over the order book that fills in defaults and checks
// arguments (a wrong argument is a bug in the caller: TypeError).

import { isIP } from 'node:net';
import { REFUSALS, type AppResult, type Leak, type OrderBook, type Risk } from './order-book.js';
import type { SimulatedUser } from './user.js';

export interface SimulatedApp {
  /** Scans a QR payload (the current qrTime or the one before) and picks the order up. */
  scan(payload: string, device?: { ipAddress?: string }): AppResult;
  /** Opens the app by autostart token (this device) and picks the order up; opening again is harmless. */
  open(link: { autoStartToken: string; ipAddress?: string }): AppResult;
  /** Identifies: passes the ID document step if the order requires one, else completes the order. */
  identify(orderRef?: string, options?: { risk?: Risk }): AppResult;
  /** Enters a wrong security code; the third in a row locks the BankID (certificateErr). */
  wrongCode(orderRef?: string): AppResult;
  /** Cancels in the app (userCancel). */
  cancel(orderRef?: string): AppResult;
  /**
   * The app shows a step of its own: collect answers `pending` with `hintCode` (e.g. `userFace`,
   * `userStepUp`, `processing`, or one BankID has not invented yet) until the user acts.
   */
  showHint(hintCode: string, orderRef?: string): AppResult;
  /** The order fails in the app with `hintCode` (e.g. `facialRecognitionFailed`, `nfcNotSupportedByDevice`). */
  failWith(hintCode: string, orderRef?: string): AppResult;
  /** What a scan would say now, without picking the order up; ok gives the orderRef and qrTime. */
  checkQr(payload: string): AppResult;
  /** Which secrets of the current orders appear in `text`. */
  findLeaks(text: string): Leak[];
  /** The person whose BankID the app holds; completionData.user. */
  readonly user: Readonly<SimulatedUser>;
}

const RISKS: readonly Risk[] = ['low', 'moderate', 'high'];

/** The address the user's app has, or null for "the order's endUserIp". */
export function checkIpAddress(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || isIP(value) === 0)
    throw new TypeError(`${where}: ipAddress must be an IPv4 or IPv6 address`);
  return value;
}

/** A hint code as BankID spells them: a letter, then letters and digits. */
export function checkHintCode(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,49}$/.test(value)) {
    throw new TypeError(`${where}: hintCode must be a hint code such as "userFace" (letters and digits)`);
  }
  return value;
}

export function checkRisk(value: unknown, where: string): Risk {
  if (value === undefined || value === null) return 'low';
  if (!RISKS.includes(value as Risk)) throw new TypeError(`${where}: risk must be "low", "moderate" or "high"`);
  return value as Risk;
}

export function createSimulatedApp(book: OrderBook, user: Readonly<SimulatedUser>): SimulatedApp {
  /** The order to act on: the one named, else the newest pending order the app holds. */
  const target = (orderRef: unknown, where: string): string | null => {
    if (orderRef === undefined || orderRef === null) return book.newestInApp();
    if (typeof orderRef !== 'string' || orderRef === '' || orderRef.length > 100) {
      throw new TypeError(`${where}: orderRef must be a string of 1–100 characters`);
    }
    return orderRef;
  };
  const noOrder: AppResult = Object.freeze({ ok: false, reason: 'no-order', message: REFUSALS['no-order'] });
  const inApp = (orderRef: unknown, where: string, act: (ref: string) => AppResult): AppResult => {
    const ref = target(orderRef, where);
    return ref === null ? { ...noOrder } : act(ref);
  };

  return Object.freeze({
    scan: (payload: string, device?: { ipAddress?: string }) =>
      book.scan(payload, checkIpAddress(device?.ipAddress, 'app.scan')),
    open: (link: { autoStartToken: string; ipAddress?: string }) =>
      book.open(link?.autoStartToken, checkIpAddress(link?.ipAddress, 'app.open')),
    identify: (orderRef?: string, options?: { risk?: Risk }) => {
      const risk = checkRisk(options?.risk, 'app.identify');
      return inApp(orderRef, 'app.identify', (ref) => book.identify(ref, risk));
    },
    wrongCode: (orderRef?: string) => inApp(orderRef, 'app.wrongCode', (ref) => book.wrongCode(ref)),
    cancel: (orderRef?: string) => inApp(orderRef, 'app.cancel', (ref) => book.cancelInApp(ref)),
    showHint: (hintCode: string, orderRef?: string) => {
      const hint = checkHintCode(hintCode, 'app.showHint');
      return inApp(orderRef, 'app.showHint', (ref) => book.showHint(ref, hint));
    },
    failWith: (hintCode: string, orderRef?: string) => {
      const hint = checkHintCode(hintCode, 'app.failWith');
      return inApp(orderRef, 'app.failWith', (ref) => book.failWith(ref, hint));
    },
    checkQr: (payload: string) => book.checkQr(payload),
    findLeaks: (text: string) => {
      if (typeof text !== 'string') throw new TypeError('app.findLeaks: text must be a string');
      return book.findLeaks(text);
    },
    user,
  });
}
