// The order book: BankID's rules for orders, and what the user's app can do with them
// (BANKID-REFERENCE §1.5, §2, §5). No HTTP in here.
//
// Nothing runs on timers. Every call reads the clock `now()` and first applies whatever timeout
// has become due (startFailed, expiredTransaction, the end of a collect window), dated to the
// moment it was due rather than to when someone looked. Tests move a clock instead of sleeping.

import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError, invalidParameters } from '../server/http.js';
import { qrAuthCode, qrPayload } from '../server/qr-payload.js';
import type { OrderStarted } from '../server/rp-client.js';
import type { OrderType, StartOptions } from './requests.js';
import type { SimulatedUser } from './user.js';

/** How long a completed order can be collected (BANKID-REFERENCE §1.5). */
export const COMPLETE_KEPT_MS = 3 * 60 * 1000;
/** How long a failed order can be collected. */
export const FAILED_KEPT_MS = 5 * 60 * 1000;
/** After an autostart pickup the app shows `started` this long, or until the user acts. */
const STARTED_MS = 1000;
/** The BankID is locked (certificateErr) at this many wrong security codes in a row. */
const WRONG_CODES_TO_LOCK = 3;
/** How many of the RP's collect times an order keeps for the order view. */
const KEPT_COLLECT_TIMES = 50;
/** The simulated user's BankID issue date. */
const BANKID_ISSUE_DATE = '2023-05-17';

export type OrderStatus = 'pending' | 'failed' | 'complete';
export type PickedUpBy = 'qr' | 'autostart';
export type Risk = 'low' | 'moderate' | 'high';

/** Why the app would not do what it was asked. */
export type AppRefusalReason =
  | 'malformed'
  | 'unknown'
  | 'stale'
  | 'bad-code'
  | 'already-picked-up'
  | 'wrong-user'
  | 'not-picked-up'
  | 'ended'
  | 'not-at-security-code'
  | 'no-qr'
  | 'no-order';

/** Each refusal in a sentence, for people reading the demo page or a test log. */
export const REFUSALS: Readonly<Record<AppRefusalReason, string>> = Object.freeze({
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
});

export interface AppSuccess {
  ok: true;
  orderRef: string;
  status?: OrderStatus;
  hintCode?: string;
  /** Orders that this pickup cancelled (they fail with `cancelled`). */
  replaced?: string[];
  /** Wrong security codes in a row. */
  wrongCodes?: number;
  /** The qrTime of a checked QR payload. */
  qrTime?: number;
}

export interface AppRefusal {
  ok: false;
  reason: AppRefusalReason;
  message: string;
}

/** What the app did, or why it would not. */
export type AppResult = AppSuccess | AppRefusal;

/** A secret of a current order found in a text. */
export interface Leak {
  orderRef: string;
  field: 'qrStartSecret' | 'personalNumber' | 'name';
}

/** The simulator's own view of an order. It never holds the qrStartSecret. */
export interface OrderView {
  orderRef: string;
  type: OrderType;
  status: OrderStatus;
  /** The hint code collect would give now (null once complete). */
  hintCode: string | null;
  createdAt: number;
  pickedUpBy: PickedUpBy | null;
  /** The QR payload valid right now, while the order waits for a scan; else null. */
  qr: string | null;
  autoStartToken: string;
  userVisibleText: string | null;
  endUserIp: string;
  returnUrl: string | null;
  returnRisk: boolean;
  /** `web` as the RP sent it. */
  web: Record<string, unknown> | null;
  /** True once the RP has been given the final answer (BankID gives it once). */
  collected: boolean;
  /** The now() times of the RP's collect calls for this order, the last 50. */
  rpCollects: number[];
}

/** What collect returns once the user has identified (BANKID-REFERENCE §1.5). */
export interface CompletionData {
  user: SimulatedUser;
  device: { ipAddress: string; uhi: string };
  bankIdIssueDate: string;
  stepUp?: { mrtd: boolean };
  signature: string;
  ocspResponse: string;
  risk?: Risk;
}

/** BankID's answer to collect. */
export type CollectAnswer =
  | { orderRef: string; status: 'pending' | 'failed'; hintCode: string }
  | { orderRef: string; status: 'complete'; completionData: CompletionData };

interface Order {
  readonly orderRef: string;
  readonly type: OrderType;
  readonly autoStartToken: string;
  readonly qrStartToken: string;
  readonly qrStartSecret: string;
  readonly createdAt: number;
  readonly options: StartOptions;
  status: OrderStatus;
  /** The hint code once failed. */
  failedHint: string | null;
  endedAt: number | null;
  pickedUpBy: PickedUpBy | null;
  pickedUpAt: number | null;
  /** The address the user's app has; completionData.device.ipAddress. */
  deviceIp: string | null;
  /** The user did something in the app (ends `started` early). */
  acted: boolean;
  mrtdPassed: boolean;
  wrongCodes: number;
  completionData: CompletionData | null;
  /** A pending hint the app shows now (showHint): face recognition, step-up, a hint BankID adds later. */
  shownHint: string | null;
  collected: boolean;
  rpCollects: number[];
}

export interface OrderBookConfig {
  now: () => number;
  pickupTimeoutMs: number;
  signTimeoutMs: number;
  random: () => string;
  user: Readonly<SimulatedUser>;
}

export type OrderBook = ReturnType<typeof createOrderBook>;

const QR_PAYLOAD = /^bankid\.([0-9A-Za-z-]{1,100})\.(0|[1-9][0-9]{0,9})\.([0-9a-f]{64})$/;

const refuse = (reason: AppRefusalReason): AppRefusal => ({ ok: false, reason, message: REFUSALS[reason] });

export function createOrderBook({ now, pickupTimeoutMs, signTimeoutMs, random, user }: OrderBookConfig) {
  const orders = new Map<string, Order>();
  const uhi = createHash('sha256').update(`uhi:${random()}`).digest('base64url').slice(0, 30);

  /** Applies every timeout due by `t` and forgets orders past their collect window. */
  function sweep(t: number): void {
    for (const order of orders.values()) {
      if (order.status === 'pending' && order.pickedUpAt === null && t >= order.createdAt + pickupTimeoutMs) {
        end(order, 'failed', 'startFailed', order.createdAt + pickupTimeoutMs);
      }
      if (order.status === 'pending' && order.pickedUpAt !== null && t >= order.pickedUpAt + signTimeoutMs) {
        end(order, 'failed', 'expiredTransaction', order.pickedUpAt + signTimeoutMs);
      }
      if (order.endedAt !== null) {
        const kept = order.status === 'complete' ? COMPLETE_KEPT_MS : FAILED_KEPT_MS;
        if (t >= order.endedAt + kept) orders.delete(order.orderRef);
      }
    }
  }

  function end(order: Order, status: 'failed' | 'complete', hintCode: string | null, at: number): void {
    order.status = status;
    order.failedHint = status === 'failed' ? hintCode : null;
    order.endedAt = at;
  }

  /** The pending hint code: who has the order and how far the user has got. */
  function pendingHint(order: Order, t: number): string {
    if (order.pickedUpBy === null || order.pickedUpAt === null) return 'outstandingTransaction';
    if (order.shownHint !== null) return order.shownHint;
    if (order.pickedUpBy === 'autostart' && !order.acted && t < order.pickedUpAt + STARTED_MS) return 'started';
    if (order.options.mrtd && !order.mrtdPassed) return 'userMrtd';
    return 'userSign';
  }

  function collectAnswer(order: Order, t: number): CollectAnswer {
    const { orderRef } = order;
    if (order.status === 'complete' && order.completionData) {
      return { orderRef, status: 'complete', completionData: order.completionData };
    }
    if (order.status === 'failed') return { orderRef, status: 'failed', hintCode: order.failedHint ?? 'startFailed' };
    return { orderRef, status: 'pending', hintCode: pendingHint(order, t) };
  }

  function noteCollect(order: Order, t: number): void {
    order.rpCollects.push(t);
    if (order.rpCollects.length > KEPT_COLLECT_TIMES) order.rpCollects.shift();
  }

  /** Orders of the simulated user that BankID cancels when the app picks up a new one. */
  function isUsersLiveOrder(order: Order): boolean {
    return (
      order.status === 'pending' && (order.pickedUpBy !== null || order.options.personalNumber === user.personalNumber)
    );
  }

  // Made in the same millisecond: the later one first (the map keeps the order of making).
  const newestFirst = (): Order[] => [...orders.values()].reverse().sort((a, b) => b.createdAt - a.createdAt);

  /** The app takes the order; BankID cancels the user's other live orders (hint `cancelled`). */
  function pickUp(order: Order, by: PickedUpBy, deviceIp: string | null, t: number): AppResult {
    if (order.options.personalNumber && order.options.personalNumber !== user.personalNumber) {
      // Restricted to someone else: this app holds no BankID that may sign it.
      return refuse('wrong-user');
    }
    const replaced: string[] = [];
    for (const other of orders.values()) {
      if (other !== order && isUsersLiveOrder(other)) {
        end(other, 'failed', 'cancelled', t);
        replaced.push(other.orderRef);
      }
    }
    order.pickedUpBy = by;
    order.pickedUpAt = t;
    order.deviceIp = deviceIp;
    return { ok: true, orderRef: order.orderRef, hintCode: pendingHint(order, t), replaced };
  }

  /** The pending order the app holds, or a refusal saying why the user cannot act on it. */
  function inApp(orderRef: string, t: number): Order | AppRefusal {
    sweep(t);
    const order = orders.get(orderRef);
    if (!order) return refuse('unknown');
    if (order.status !== 'pending') return refuse('ended');
    if (!order.pickedUpBy) return refuse('not-picked-up');
    return order;
  }

  /** The order and qrTime a QR payload stands for right now, or why a scan would fail. */
  function readQr(payload: unknown, t: number): { order: Order; qrTime: number } | AppRefusal {
    sweep(t);
    const match = typeof payload === 'string' ? QR_PAYLOAD.exec(payload) : null;
    if (!match) return refuse('malformed');
    const [, token = '', timeText = '', code = ''] = match;
    const order = [...orders.values()].find((o) => o.qrStartToken === token);
    if (!order || order.status !== 'pending') return refuse('unknown');
    if (order.pickedUpBy) return refuse('already-picked-up');
    const expected = Buffer.from(qrAuthCode(order.qrStartSecret, timeText), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(code, 'hex'))) return refuse('bad-code');
    // The RP counts qrTime from when the answer arrived, a moment after the order was made, so
    // its count may lag ours by up to a second: accept this second and the one before.
    const current = Math.floor((t - order.createdAt) / 1000);
    const qrTime = Number(timeText);
    if (qrTime !== current && qrTime !== current - 1) return refuse('stale');
    return { order, qrTime };
  }

  function completionData(order: Order, t: number, risk: Risk): CompletionData {
    return {
      user: { ...user },
      device: { ipAddress: order.deviceIp ?? order.options.endUserIp, uhi },
      bankIdIssueDate: BANKID_ISSUE_DATE,
      ...(order.options.mrtd ? { stepUp: { mrtd: true } } : {}),
      signature: Buffer.from(fakeSignatureXml(order, t), 'utf8').toString('base64'),
      ocspResponse: Buffer.from(`FAKE OCSP RESPONSE from the bankid-login simulator, ${order.orderRef}`).toString(
        'base64',
      ),
      ...(order.options.returnRisk ? { risk } : {}),
    };
  }

  return {
    // --- the RP API -----------------------------------------------------------------------

    start(type: OrderType, options: StartOptions): OrderStarted {
      const t = now();
      sweep(t);
      if (options.personalNumber) {
        for (const order of orders.values()) {
          if (order.status === 'pending' && order.options.personalNumber === options.personalNumber) {
            throw new HttpError(400, 'alreadyInProgress', 'An order for this personalNumber is already in progress');
          }
        }
      }
      const order: Order = {
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
        deviceIp: null,
        acted: false,
        mrtdPassed: false,
        wrongCodes: 0,
        completionData: null,
        shownHint: null,
        collected: false,
        rpCollects: [],
      };
      orders.set(order.orderRef, order);
      const { orderRef, autoStartToken, qrStartToken, qrStartSecret } = order;
      return { orderRef, autoStartToken, qrStartToken, qrStartSecret };
    },

    /** BankID gives an ended order's final state once; asking again is invalidParameters. */
    collect(orderRef: string): CollectAnswer {
      const t = now();
      sweep(t);
      const order = orders.get(orderRef);
      if (!order) throw invalidParameters('No such order (unknown, cancelled, or past its collect window)');
      noteCollect(order, t);
      if (order.collected) {
        throw invalidParameters(
          `The order was already collected as ${order.status}: BankID gives the final state once`,
        );
      }
      const answer = collectAnswer(order, t);
      if (order.status !== 'pending') order.collected = true;
      return answer;
    },

    /** Counts a collect call that got an injected fault instead of an answer. */
    noteCollectCall(orderRef: string): void {
      const t = now();
      sweep(t);
      const order = orders.get(orderRef);
      if (order) noteCollect(order, t);
    },

    /** The RP cancels: only a pending order; afterwards it is gone ("No such order"). */
    cancel(orderRef: string): Record<string, never> {
      sweep(now());
      const order = orders.get(orderRef);
      if (!order) throw invalidParameters('No such order (unknown, already cancelled, or too old)');
      if (order.status !== 'pending')
        throw invalidParameters(`The order is already ${order.status} and cannot be cancelled`);
      orders.delete(orderRef);
      return {};
    },

    // --- the simulated user's BankID app --------------------------------------------------

    /** Scans a QR payload: picks the order up only with a current qrAuthCode. */
    scan(payload: unknown, deviceIp: string | null): AppResult {
      const t = now();
      const read = readQr(payload, t);
      if ('ok' in read) return read;
      return pickUp(read.order, 'qr', deviceIp, t);
    },

    /** What a scan of `payload` would say now, without picking anything up. */
    checkQr(payload: unknown): AppResult {
      const read = readQr(payload, now());
      if ('ok' in read) return read;
      return { ok: true, orderRef: read.order.orderRef, qrTime: read.qrTime };
    },

    /** Opens the app with an autostart token (the this-device flow). Opening again is harmless. */
    open(autoStartToken: unknown, deviceIp: string | null): AppResult {
      const t = now();
      sweep(t);
      const order = [...orders.values()].find((o) => o.autoStartToken === autoStartToken);
      if (!order || order.status !== 'pending') return refuse('unknown');
      if (order.pickedUpBy === 'autostart') {
        return { ok: true, orderRef: order.orderRef, hintCode: pendingHint(order, t), replaced: [] };
      }
      if (order.pickedUpBy) return refuse('already-picked-up');
      return pickUp(order, 'autostart', deviceIp, t);
    },

    /** The user identifies: passes the ID document step first if required, else completes. */
    identify(orderRef: string, risk: Risk): AppResult {
      const t = now();
      const order = inApp(orderRef, t);
      if ('ok' in order) return order;
      order.acted = true;
      order.shownHint = null;
      if (order.options.mrtd && !order.mrtdPassed) {
        order.mrtdPassed = true;
        return { ok: true, orderRef, status: 'pending', hintCode: pendingHint(order, t) };
      }
      order.completionData = completionData(order, t, risk);
      end(order, 'complete', null, t);
      return { ok: true, orderRef, status: 'complete' };
    },

    /** A wrong security code; the third in a row locks the BankID (certificateErr). */
    wrongCode(orderRef: string): AppResult {
      const t = now();
      const order = inApp(orderRef, t);
      if ('ok' in order) return order;
      if (pendingHint(order, t) === 'userMrtd') return refuse('not-at-security-code');
      order.acted = true;
      order.shownHint = null;
      order.wrongCodes += 1;
      if (order.wrongCodes >= WRONG_CODES_TO_LOCK) {
        end(order, 'failed', 'certificateErr', t);
        return { ok: true, orderRef, wrongCodes: order.wrongCodes, status: 'failed', hintCode: 'certificateErr' };
      }
      return { ok: true, orderRef, wrongCodes: order.wrongCodes, status: 'pending', hintCode: pendingHint(order, t) };
    },

    /** The app moves on to a step of its own: collect answers `pending` with this hint code. */
    showHint(orderRef: string, hintCode: string): AppResult {
      const t = now();
      const order = inApp(orderRef, t);
      if ('ok' in order) return order;
      order.acted = true;
      order.shownHint = hintCode;
      return { ok: true, orderRef, status: 'pending', hintCode };
    },

    /** The order fails in the app with this hint code (face recognition failed, no NFC, …). */
    failWith(orderRef: string, hintCode: string): AppResult {
      const t = now();
      const order = inApp(orderRef, t);
      if ('ok' in order) return order;
      end(order, 'failed', hintCode, t);
      return { ok: true, orderRef, status: 'failed', hintCode };
    },

    /** The user cancels in the app. */
    cancelInApp(orderRef: string): AppResult {
      const t = now();
      const order = inApp(orderRef, t);
      if ('ok' in order) return order;
      end(order, 'failed', 'userCancel', t);
      return { ok: true, orderRef, status: 'failed', hintCode: 'userCancel' };
    },

    /** The newest pending order the app holds, if any. */
    newestInApp(): string | null {
      sweep(now());
      return newestFirst().find((o) => o.status === 'pending' && o.pickedUpBy !== null)?.orderRef ?? null;
    },

    /**
     * Which secrets of the current orders appear in `text`: an order's qrStartSecret, and the
     * simulated user's personal number (in its usual spellings) or name, reported for each order.
     */
    findLeaks(text: string): Leak[] {
      sweep(now());
      const pnr = user.personalNumber;
      const spellings = [pnr, `${pnr.slice(0, 8)}-${pnr.slice(8)}`, `${pnr.slice(2, 8)}-${pnr.slice(8)}`, pnr.slice(2)];
      const personalNumber = spellings.some((spelling) => text.includes(spelling));
      const name = text.includes(user.name);
      const leaks: Leak[] = [];
      for (const order of newestFirst()) {
        if (text.includes(order.qrStartSecret)) leaks.push({ orderRef: order.orderRef, field: 'qrStartSecret' });
        if (personalNumber) leaks.push({ orderRef: order.orderRef, field: 'personalNumber' });
        if (name) leaks.push({ orderRef: order.orderRef, field: 'name' });
      }
      return leaks;
    },

    /** Every order still known, newest first, without the secret. */
    list(): OrderView[] {
      const t = now();
      sweep(t);
      return newestFirst().map((o) => ({
        orderRef: o.orderRef,
        type: o.type,
        status: o.status,
        hintCode: o.status === 'pending' ? pendingHint(o, t) : o.failedHint,
        createdAt: o.createdAt,
        pickedUpBy: o.pickedUpBy,
        qr:
          o.status === 'pending' && !o.pickedUpBy
            ? qrPayload(o.qrStartToken, o.qrStartSecret, Math.max(0, Math.floor((t - o.createdAt) / 1000)))
            : null,
        autoStartToken: o.autoStartToken,
        userVisibleText: o.options.userVisibleText,
        endUserIp: o.options.endUserIp,
        returnUrl: o.options.returnUrl,
        returnRisk: o.options.returnRisk,
        web: o.options.web === null ? null : structuredClone(o.options.web),
        collected: o.collected,
        rpCollects: [...o.rpCollects],
      }));
    },
  };
}

/** A small XML document in the spirit of BankID's signature, clearly marked as fake. */
function fakeSignatureXml(order: Order, t: number): string {
  const escape = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const { userVisibleData, userNonVisibleData } = order.options;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- FAKE: made by the bankid-login simulator. Not a BankID signature; verifies nothing. -->',
    '<simulatedSignature>',
    `  <type>${order.type}</type>`,
    `  <orderRef>${escape(order.orderRef)}</orderRef>`,
    userVisibleData ? `  <usrVisibleData>${escape(userVisibleData)}</usrVisibleData>` : null,
    userNonVisibleData ? `  <usrNonVisibleData>${escape(userNonVisibleData)}</usrNonVisibleData>` : null,
    `  <signedAt>${new Date(t).toISOString()}</signedAt>`,
    '</simulatedSignature>',
  ]
    .filter((line) => line !== null)
    .join('\n');
}
