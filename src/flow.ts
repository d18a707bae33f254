/**
 * The flow of one BankID order as a pure state machine: (snapshot, input) → next snapshot + effects.
 * No DOM, no timers, no requests: the order controller runs the effects.
 */
import type {
  BankIdCancelDetail,
  BankIdCompleteDetail,
  BankIdFailedDetail,
  BankIdStartDetail,
  BankIdStatusDetail,
  Flow,
  MessageId,
} from './events.js';
import type { BackendResult, CollectAnswer, StartAnswer } from './backend.js';
import {
  appHasOrder,
  collectFailure,
  failedOutcome,
  pendingMessage,
  startFailure,
  type Device,
  type Failure,
} from './messages.js';
import { isUuid } from './platform.js';

export type OrderState = 'idle' | 'starting' | 'waiting' | 'signing' | 'complete' | 'failed' | 'cancelled';

/** Facts about the page that the flow's decisions depend on. */
export interface FlowContext {
  device: Device;
  /** The browser opens apps only from a tap: show the open-the-app button at once, try nothing. */
  launchNeedsGesture: boolean;
}

/** What the tabs of the origin share of a live order (CONTRACT §5), in localStorage. */
export interface SavedOrder {
  orderRef: string;
  flow: Flow;
  startedAt: number;
  autoStartToken: string | null;
  /** QR flow: until when unscanned orders are replaced (see Snapshot.qrDeadline). */
  qrDeadline: number | null;
  /** The page (tab) that polls it. */
  owner: string;
}

export interface Snapshot {
  state: OrderState;
  flow: Flow;
  orderRef: string | null;
  autoStartToken: string | null;
  startedAt: number | null;
  /** The QR payload to show, or null when none is shown. */
  qr: string | null;
  /** The last hint or error code. */
  hintCode: string | null;
  status: 'pending' | 'reconnecting';
  /** The status message of a live order. */
  message: MessageId | null;
  failure: Failure | null;
  /** The open-the-app button is due (this-device flow; shown while the app does not have the order). */
  launchButton: boolean;
  /**
   * QR flow: until when an order nobody scanned is silently replaced by a new one (the user's
   * start plus QR_PATH_MS), so the code stays usable for at least 3 minutes (WCAG 2.2.1).
   */
  qrDeadline: number | null;
  /** The QR path runs out within QR_TIME_WARNING_MS: the user is told and offered "Mer tid". */
  timeWarning: boolean;
  /** A silent new QR order is on its way: the panel keeps waiting, without a code for a moment. */
  restarting: boolean;
  /** Set while collect is failing in ways that may pass. */
  reconnect: { attempts: number; lastErrorCode: string | null } | null;
  /** Another tab has taken the live order over: this one neither polls nor acts until taken back. */
  elsewhere: boolean;
  /** The app did not open from a social app's own browser: suggest the phone's real browser. */
  browserHint: boolean;
  /** Idle because the order this tab had ended in another tab. */
  endedElsewhere: boolean;
}

export type Input =
  | { type: 'start'; flow: Flow }
  | { type: 'switch'; flow: Flow }
  | { type: 'start-answer'; result: BackendResult<StartAnswer>; now: number }
  /**
   * `justWoke`: the page became visible less than WAKE_RETRY_WINDOW ago, when iOS still fails
   * fetches ("Load failed"): a network failure then is retried quietly.
   */
  | { type: 'collect-answer'; result: BackendResult<CollectAnswer>; now: number; justWoke?: boolean }
  | { type: 'give-up' }
  | { type: 'launch-button-due' }
  /** The page stayed in front 3 s after a launch from a social app's own browser. */
  | { type: 'browser-hint-due' }
  /** The QR path runs out in QR_TIME_WARNING_MS. */
  | { type: 'time-warning-due' }
  /** "Mer tid": another QR_PATH_MS from now. */
  | { type: 'more-time'; now: number }
  | { type: 'cancel' }
  | { type: 'resume'; order: SavedOrder }
  /** `handedOver`: another element on the page has taken the same order (a framework replaced this one). */
  | { type: 'removed'; handedOver: boolean }
  /** Another tab of the origin adopted the live order. */
  | { type: 'taken-over' }
  /** "Fortsätt här": this tab takes the order back. */
  | { type: 'take-back' }
  /** The tab that polls our order moved on to another order (a silent new QR code): follow it. */
  | { type: 'followed'; order: SavedOrder }
  /** The live order was forgotten in another tab: it ended there. */
  | { type: 'forgotten-elsewhere' };

export type Emit =
  | { name: 'bankid-start'; detail: BankIdStartDetail }
  | { name: 'bankid-status'; detail: BankIdStatusDetail }
  | { name: 'bankid-complete'; detail: BankIdCompleteDetail }
  | { name: 'bankid-cancel'; detail: BankIdCancelDetail }
  | { name: 'bankid-failed'; detail: BankIdFailedDetail };

export type Effect =
  /** Ask the backend for an order; `replace` is an order to cancel first (a flow switch). A start already in flight is superseded. */
  | { type: 'start-order'; flow: Flow; replace: string | null }
  /** The start in flight no longer counts: cancel its order when it answers; `announce` then fires bankid-cancel. */
  | { type: 'abandon-start'; announce: boolean }
  | { type: 'cancel-order'; orderRef: string; keepalive: boolean }
  | { type: 'collect'; delay: number }
  | { type: 'launch' }
  | { type: 'arm-launch-button' }
  | { type: 'arm-give-up'; delay: number }
  /** Time the QR path's warning for `at` (a Date.now() time). */
  | { type: 'arm-time-warning'; at: number }
  | { type: 'disarm-give-up' }
  /** Clear every timer and abort the collect in flight. */
  | { type: 'stop' }
  /** Clear every timer but let the collect in flight answer: it may carry the completion. */
  | { type: 'pause' }
  /** `ifStillOurs`: a silent new QR order does not overwrite an order another tab saved since. */
  | { type: 'save-order'; ifStillOurs?: boolean }
  | { type: 'forget-order' }
  | { type: 'emit'; event: Emit };

export interface Step {
  snapshot: Snapshot;
  effects: Effect[];
}

/**
 * A page woken up (visible again, shown from the back-forward cache, focused, reloaded by the return
 * from the app) is first collected this long after, and a network failure in the window after that
 * is retried quietly: iOS fails fetches in the first moments of a woken page.
 */
export const WAKE_COLLECT_DELAY = 500;
export const WAKE_RETRY_WINDOW = 3000;
/** A resumed order (a reload, the return from the app) is a woken page. */
export const RESUME_COLLECT_DELAY = WAKE_COLLECT_DELAY;
/** Polling pace (CONTRACT §4): faster while a QR code must keep animating. */
export const QR_COLLECT_INTERVAL = 1000;
export const COLLECT_INTERVAL = 2000;
/** A collect that keeps failing fails the order this long after the first failure. */
export const RECONNECT_GIVE_UP = 20_000;
/** How long the QR path lasts without any action: new orders replace unscanned ones until then. */
export const QR_PATH_MS = 180_000;
/**
 * How long before the QR path runs out the user is told and offered "Mer tid". The last code
 * still works until BankID ends it (up to 30 s more), so the user has 30–60 s (WCAG 2.2.1: ≥ 20 s).
 */
export const QR_TIME_WARNING_MS = 30_000;

export const initialSnapshot = (flow: Flow): Snapshot => ({
  state: 'idle',
  flow,
  orderRef: null,
  autoStartToken: null,
  startedAt: null,
  qr: null,
  hintCode: null,
  status: 'pending',
  message: null,
  failure: null,
  launchButton: false,
  qrDeadline: null,
  timeWarning: false,
  restarting: false,
  reconnect: null,
  elsewhere: false,
  browserHint: false,
  endedElsewhere: false,
});

export function isLive(state: OrderState): boolean {
  return state === 'starting' || state === 'waiting' || state === 'signing';
}

/** A start request is out and no order exists yet. */
export function awaitingOrder(snapshot: Snapshot): boolean {
  return snapshot.state === 'starting' || snapshot.restarting;
}

/** Retry delay after the n-th failed collect in a row: 1, 2, 4, 8, 8 … s, later if the server asks. */
export function reconnectDelay(attempts: number, retryAfterMs: number | null): number {
  const backoff = 1000 * 2 ** Math.min(Math.max(attempts - 1, 0), 3);
  return Math.max(backoff, retryAfterMs ?? 0);
}

export function collectDelay(snapshot: Snapshot): number {
  return snapshot.qr !== null ? QR_COLLECT_INTERVAL : COLLECT_INTERVAL;
}

export function step(current: Snapshot, input: Input, context: FlowContext): Step {
  switch (input.type) {
    case 'start':
      if (isLive(current.state)) return { snapshot: current, effects: [] };
      return beginOrder(input.flow, null);

    case 'switch':
      // A start in flight is superseded (the controller cancels its order when it answers).
      if (awaitingOrder(current) || !isLive(current.state)) return beginOrder(input.flow, null);
      {
        const next = beginOrder(input.flow, current.orderRef);
        return { snapshot: next.snapshot, effects: [{ type: 'stop' }, { type: 'forget-order' }, ...next.effects] };
      }

    case 'start-answer':
      if (!awaitingOrder(current)) return { snapshot: current, effects: [] };
      return onStartAnswer(current, input.result, input.now, context);

    case 'collect-answer':
      if ((current.state !== 'waiting' && current.state !== 'signing') || current.restarting) {
        return { snapshot: current, effects: [] };
      }
      if (current.elsewhere) {
        // A collect that was on its way when another tab took over: the server answers the end of
        // an order once, so an end it brings is this tab's to show. Anything else is the other tab's.
        const { result } = input;
        if (!result.ok || result.value.status === 'pending') return { snapshot: current, effects: [] };
      }
      return onCollectAnswer(current, input.result, input.now, context, input.justWoke === true);

    case 'give-up': {
      if (!current.reconnect || !isLive(current.state)) return { snapshot: current, effects: [] };
      const failure: Failure = { code: current.reconnect.lastErrorCode ?? 'network', message: 'RFA5', retryable: true };
      return fail(current, failure);
    }

    case 'browser-hint-due':
      if (current.state !== 'waiting' || current.flow !== 'this-device') return { snapshot: current, effects: [] };
      return { snapshot: { ...current, browserHint: true }, effects: [] };

    case 'time-warning-due':
      if (current.state !== 'waiting' || current.qrDeadline === null || current.elsewhere || current.timeWarning) {
        return { snapshot: current, effects: [] };
      }
      return {
        snapshot: { ...current, timeWarning: true },
        effects: [
          emit('bankid-status', { status: current.status, hintCode: current.hintCode, message: 'qr-expiring' }),
        ],
      };

    case 'more-time': {
      if (current.state !== 'waiting' || current.qrDeadline === null || current.elsewhere) {
        return { snapshot: current, effects: [] };
      }
      const qrDeadline = input.now + QR_PATH_MS;
      const snapshot: Snapshot = { ...current, qrDeadline, timeWarning: false };
      const effects: Effect[] = [{ type: 'arm-time-warning', at: qrDeadline - QR_TIME_WARNING_MS }];
      if (current.timeWarning) effects.push(emit('bankid-status', statusDetail(snapshot, context)));
      return { snapshot, effects: [...effects, { type: 'save-order', ifStillOurs: true }] };
    }

    case 'launch-button-due':
      if (current.state !== 'waiting' || current.flow !== 'this-device') return { snapshot: current, effects: [] };
      return { snapshot: { ...current, launchButton: true }, effects: [] };

    case 'cancel': {
      // The order is the other tab's now (the user may be finishing it there): only this tab stops.
      if (current.elsewhere) return { snapshot: initialSnapshot(current.flow), effects: [{ type: 'stop' }] };
      if (awaitingOrder(current)) {
        // bankid-cancel follows with the orderRef once the start answers (and its order is cancelled).
        return {
          snapshot: ended(current, 'cancelled'),
          effects: [{ type: 'stop' }, { type: 'abandon-start', announce: true }],
        };
      }
      if (!isLive(current.state) || current.orderRef === null) return { snapshot: current, effects: [] };
      return {
        snapshot: ended(current, 'cancelled'),
        effects: [
          { type: 'stop' },
          { type: 'cancel-order', orderRef: current.orderRef, keepalive: false },
          { type: 'forget-order' },
          emit('bankid-cancel', { orderRef: current.orderRef, source: 'page' }),
        ],
      };
    }

    case 'resume': {
      if (isLive(current.state)) return { snapshot: current, effects: [] };
      const { order } = input;
      const message = pendingMessage(null, { flow: order.flow, device: context.device });
      const snapshot: Snapshot = {
        ...initialSnapshot(order.flow),
        state: 'waiting',
        orderRef: order.orderRef,
        autoStartToken: order.autoStartToken,
        startedAt: order.startedAt,
        message,
        // Back from the app or a reload: nothing opens by itself, the button is there at once.
        launchButton: order.flow === 'this-device' && order.autoStartToken !== null,
        qrDeadline: savedQrDeadline(order),
      };
      return {
        snapshot,
        // The first collect waits a moment: iOS fails fetches in the first moments of a page woken
        // up by the return from the app, and the page's own scripts may still be setting `headers`.
        effects: [
          // Saving it again makes this tab its owner: a tab that polled it stops.
          { type: 'save-order' },
          { type: 'collect', delay: RESUME_COLLECT_DELAY },
          ...armTimeWarning(snapshot),
          emit('bankid-status', { status: 'pending', hintCode: null, message }),
        ],
      };
    }

    case 'taken-over': {
      if (!isLive(current.state) || awaitingOrder(current) || current.elsewhere)
        return { snapshot: current, effects: [] };
      const snapshot: Snapshot = {
        ...current,
        elsewhere: true,
        status: 'pending',
        reconnect: null,
        launchButton: false,
      };
      return {
        snapshot,
        effects: [
          { type: 'pause' },
          emit('bankid-status', { status: 'pending', hintCode: current.hintCode, message: 'other-tab' }),
        ],
      };
    }

    case 'take-back': {
      if (!current.elsewhere) return { snapshot: current, effects: [] };
      const message =
        current.message ?? pendingMessage(current.hintCode, { flow: current.flow, device: context.device });
      const snapshot: Snapshot = {
        ...current,
        elsewhere: false,
        timeWarning: false,
        // The app may be waiting on this device again: the open-the-app button, as after a return.
        launchButton: current.flow === 'this-device' && current.state === 'waiting' && current.autoStartToken !== null,
      };
      return {
        snapshot,
        effects: [
          { type: 'save-order' },
          { type: 'collect', delay: 0 },
          ...armTimeWarning(snapshot),
          emit('bankid-status', { status: 'pending', hintCode: current.hintCode, message }),
        ],
      };
    }

    case 'followed': {
      if (!current.elsewhere || !isLive(current.state)) return { snapshot: current, effects: [] };
      const { order } = input;
      return {
        snapshot: {
          ...current,
          flow: order.flow,
          orderRef: order.orderRef,
          startedAt: order.startedAt,
          autoStartToken: order.autoStartToken,
          qrDeadline: savedQrDeadline(order),
          qr: null,
          hintCode: null,
        },
        effects: [],
      };
    }

    case 'forgotten-elsewhere':
      if (!isLive(current.state) || awaitingOrder(current)) return { snapshot: current, effects: [] };
      return { snapshot: { ...initialSnapshot(current.flow), endedElsewhere: true }, effects: [{ type: 'stop' }] };

    case 'removed':
      // An order another tab polls is that tab's: leaving this page must not cancel it.
      if (current.elsewhere) return { snapshot: initialSnapshot(current.flow), effects: [{ type: 'stop' }] };
      if (awaitingOrder(current)) {
        return {
          snapshot: initialSnapshot(current.flow),
          effects: [{ type: 'abandon-start', announce: false }, { type: 'stop' }],
        };
      }
      if (!isLive(current.state) || current.orderRef === null) return { snapshot: current, effects: [] };
      if (input.handedOver) return { snapshot: initialSnapshot(current.flow), effects: [{ type: 'stop' }] };
      return {
        snapshot: initialSnapshot(current.flow),
        effects: [
          { type: 'stop' },
          { type: 'cancel-order', orderRef: current.orderRef, keepalive: true },
          { type: 'forget-order' },
        ],
      };
  }
}

function emit<E extends Emit>(name: E['name'], detail: E['detail']): Effect {
  return { type: 'emit', event: { name, detail } as Emit };
}

/** The status a live order shows, as bankid-status tells it. */
function statusDetail(snapshot: Snapshot, context: FlowContext): BankIdStatusDetail {
  const message =
    snapshot.status === 'reconnecting'
      ? 'reconnecting'
      : (snapshot.message ?? pendingMessage(snapshot.hintCode, { flow: snapshot.flow, device: context.device }));
  return { status: snapshot.status, hintCode: snapshot.hintCode, message };
}

/** A saved QR order keeps its path; one saved before the path was kept gets 3 minutes from its start. */
function savedQrDeadline(order: SavedOrder): number | null {
  if (order.flow !== 'other-device') return null;
  return order.qrDeadline ?? order.startedAt + QR_PATH_MS;
}

function armTimeWarning(snapshot: Snapshot): Effect[] {
  if (snapshot.flow !== 'other-device' || snapshot.qrDeadline === null) return [];
  return [{ type: 'arm-time-warning', at: snapshot.qrDeadline - QR_TIME_WARNING_MS }];
}

/** A finished order keeps its flow (for the panel's wording) and nothing else that could be used again. */
function ended(
  current: Snapshot,
  state: 'cancelled' | 'complete' | 'failed',
  failure: Failure | null = null,
): Snapshot {
  return {
    ...initialSnapshot(current.flow),
    state,
    orderRef: current.orderRef,
    hintCode: failure?.code ?? current.hintCode,
    failure,
  };
}

/** An order the user (or host) asks for: a fresh start, with the silent-restart count reset. */
function beginOrder(flow: Flow, replace: string | null): Step {
  return {
    snapshot: { ...initialSnapshot(flow), state: 'starting' },
    effects: [{ type: 'start-order', flow, replace }],
  };
}

function fail(current: Snapshot, failure: Failure): Step {
  return {
    snapshot: ended(current, 'failed', failure),
    effects: [{ type: 'stop' }, { type: 'forget-order' }, emit('bankid-failed', { ...failure })],
  };
}

function onStartAnswer(current: Snapshot, result: BackendResult<StartAnswer>, now: number, context: FlowContext): Step {
  if (!result.ok) {
    if (result.failure.kind === 'aborted') return { snapshot: current, effects: [] };
    return fail(current, startFailure(result.failure));
  }
  const answer = result.value;
  const flow = current.flow;
  // Each flow needs its own start material; without it there is nothing the user can do.
  const usable = flow === 'this-device' ? isUuid(answer.autoStartToken) : answer.qr !== null;
  if (!usable) return fail(current, startFailure({ kind: 'invalid' }));

  const message = pendingMessage(null, { flow, device: context.device });
  const snapshot: Snapshot = {
    ...current,
    state: 'waiting',
    restarting: false,
    orderRef: answer.orderRef,
    autoStartToken: flow === 'this-device' ? answer.autoStartToken : null,
    startedAt: now,
    qr: flow === 'other-device' ? answer.qr : null,
    hintCode: null,
    status: 'pending',
    message,
    launchButton: flow === 'this-device' && context.launchNeedsGesture,
    // The QR path counts from the first order of the user's start; silent new orders keep it.
    qrDeadline: flow === 'other-device' ? (current.qrDeadline ?? now + QR_PATH_MS) : null,
  };
  const effects: Effect[] = [
    emit('bankid-start', { orderRef: answer.orderRef, flow }),
    current.restarting ? { type: 'save-order', ifStillOurs: true } : { type: 'save-order' },
    ...armTimeWarning(snapshot),
  ];
  // A silent QR restart keeps the same status line: nothing new to announce.
  if (current.message !== message || current.hintCode !== null || current.status !== 'pending') {
    effects.push(emit('bankid-status', { status: 'pending', hintCode: null, message }));
  }
  if (flow === 'this-device' && !context.launchNeedsGesture) {
    effects.push({ type: 'launch' }, { type: 'arm-launch-button' });
  }
  effects.push({ type: 'collect', delay: collectDelay(snapshot) });
  return { snapshot, effects };
}

function onCollectAnswer(
  current: Snapshot,
  result: BackendResult<CollectAnswer>,
  now: number,
  context: FlowContext,
  justWoke: boolean,
): Step {
  if (!result.ok) {
    const { failure } = result;
    if (failure.kind === 'aborted') return { snapshot: current, effects: [] };
    // Just woken up, the network is not there yet: ask again soon, without a word, and without
    // counting it against the 20 s.
    if (justWoke && (failure.kind === 'network' || failure.kind === 'timeout')) {
      return { snapshot: current, effects: [{ type: 'collect', delay: WAKE_COLLECT_DELAY }] };
    }
    const outcome = collectFailure(failure);
    if (outcome !== 'transient') return fail(current, outcome);
    const attempts = (current.reconnect?.attempts ?? 0) + 1;
    // The last code the backend named survives later faults that name none.
    const lastErrorCode =
      (failure.kind === 'http' ? failure.errorCode : null) ?? current.reconnect?.lastErrorCode ?? null;
    const retryAfter = failure.kind === 'http' ? failure.retryAfterMs : null;
    const snapshot: Snapshot = { ...current, status: 'reconnecting', reconnect: { attempts, lastErrorCode } };
    const effects: Effect[] = [{ type: 'collect', delay: reconnectDelay(attempts, retryAfter) }];
    if (!current.reconnect) {
      effects.unshift(
        { type: 'arm-give-up', delay: RECONNECT_GIVE_UP },
        emit('bankid-status', { status: 'reconnecting', hintCode: current.hintCode, message: 'reconnecting' }),
      );
    }
    return { snapshot, effects };
  }

  const answer = result.value;
  const recovered: Effect[] = current.reconnect ? [{ type: 'disarm-give-up' }] : [];

  if (answer.status === 'complete') {
    const orderRef = current.orderRef ?? '';
    return {
      snapshot: ended(current, 'complete'),
      effects: [
        { type: 'stop' },
        { type: 'forget-order' },
        emit('bankid-complete', { orderRef, response: answer.body }),
      ],
    };
  }

  if (answer.status === 'failed') {
    const outcome = failedOutcome(answer.hintCode, current.flow);
    if (outcome === 'cancelled') {
      return {
        snapshot: { ...ended(current, 'cancelled'), hintCode: answer.hintCode },
        effects: [
          { type: 'stop' },
          { type: 'forget-order' },
          emit('bankid-cancel', { orderRef: current.orderRef, source: 'app' }),
        ],
      };
    }
    if (
      answer.hintCode === 'startFailed' &&
      current.flow === 'other-device' &&
      current.qrDeadline !== null &&
      now < current.qrDeadline &&
      !current.elsewhere
    ) {
      // Nobody scanned in time: a fresh QR code, without bothering the user (the panel stays as it is).
      const snapshot: Snapshot = {
        ...current,
        restarting: true,
        orderRef: null,
        startedAt: null,
        qr: null,
        hintCode: null,
        reconnect: null,
      };
      // The saved order stays until the new one replaces it, so a tab that follows it never sees it gone.
      return {
        snapshot,
        effects: [{ type: 'stop' }, { type: 'start-order', flow: 'other-device', replace: null }],
      };
    }
    return fail(current, outcome);
  }

  // Pending.
  const hintCode = answer.hintCode;
  const message = pendingMessage(hintCode, { flow: current.flow, device: context.device });
  const appHasIt = appHasOrder(message);
  const snapshot: Snapshot = {
    ...current,
    state: appHasIt ? 'signing' : 'waiting',
    hintCode,
    message,
    timeWarning: appHasIt ? false : current.timeWarning,
    status: 'pending',
    reconnect: null,
    qr: current.flow === 'other-device' && !appHasIt ? (answer.qr ?? current.qr) : null,
  };
  const effects: Effect[] = [...recovered];
  if (
    snapshot.status !== current.status ||
    snapshot.message !== current.message ||
    snapshot.hintCode !== current.hintCode
  ) {
    // While the QR path's warning is on show, that is the status hosts are told.
    const shown = snapshot.timeWarning ? 'qr-expiring' : message;
    effects.push(emit('bankid-status', { status: 'pending', hintCode, message: shown }));
  }
  effects.push({ type: 'collect', delay: collectDelay(snapshot) });
  return { snapshot, effects };
}
