/**
 * Runs the flow's effects: owns every request, timer, page listener and the saved order.
 * Everything it starts, it stops (on cancel, on the end of an order, on removal from the page).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { requestCancel, requestCollect, requestStart } from './backend.js';
import {
  BankIdCancelEvent,
  BankIdCompleteEvent,
  BankIdFailedEvent,
  BankIdLaunchEvent,
  BankIdStartEvent,
  BankIdStatusEvent,
  type Flow,
  type LaunchTrigger,
} from './events.js';
import {
  initialSnapshot,
  isLive,
  QR_PATH_MS,
  step,
  WAKE_COLLECT_DELAY,
  WAKE_RETRY_WINDOW,
  type Effect,
  type Emit,
  type Input,
  type SavedOrder,
  type Snapshot,
} from './flow.js';
import { launcher } from './launcher.js';
import type { Operation } from './messages.js';
import { launchUrl, startReturnUrl, type Platform } from './platform.js';

/** What the controller reads from the element whenever it needs it. */
export interface OrderSettings {
  api: string;
  operation: Operation;
  headers: Record<string, string>;
  launchButtonDelay: number;
  platform: Platform;
  returnUrl: string;
}

/** A flow switch waits this long at most for the old order's cancel answer (CONTRACT §2). */
export const SWITCH_CANCEL_WAIT = 2000;
/** Saved orders older than this are stale: BankID has long expired them. */
const SAVED_ORDER_MAX_AGE = 10 * 60 * 1000;

type TimerName =
  'collect' | 'launch-button' | 'give-up' | 'removal' | 'start-on-connect' | 'browser-hint' | 'time-warning';
/** The timers of a live order (the others belong to the element's place in the page). */
const ORDER_TIMERS = ['collect', 'launch-button', 'give-up', 'browser-hint', 'time-warning'] as const;

/** A launch from a social app's own browser that leaves the page in front this long did not open BankID. */
export const BROWSER_HINT_DELAY = 3000;

/** Connected controllers, so a removed element can tell when another one took over its order. */
const connected = new Set<OrderController>();

/** This page among the tabs of the origin: the saved order names the page that polls it. */
const PAGE = Math.random().toString(36).slice(2, 12);

export class OrderController implements ReactiveController {
  snapshot: Snapshot = initialSnapshot('this-device');

  private readonly timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  private collectInFlight: AbortController | null = null;
  /** Bumped whenever a start in flight stops counting; a stale answer cancels its own order. */
  private startGeneration = 0;
  private startRun: Promise<void> | null = null;
  /** Start generations whose page cancel is announced once their start answers. */
  private readonly cancelAnnouncements = new Set<number>();
  /** A page cancel still on its way: the next start waits for it (never two requests in flight). */
  private pendingCancel: Promise<void> | null = null;
  /** Where the live order was saved, so a later change of `api` or `operation` forgets the right one. */
  private savedKey: string | null = null;
  /** The order this tab saved there: it forgets only that one, never another tab's newer order. */
  private savedRef: string | null = null;
  private readonly queue: Input[] = [];
  /** When the page last woke up (became visible, was shown again, focused, or resumed the order). */
  private wokeAt = -Infinity;
  private dispatching = false;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly settings: () => OrderSettings,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // A node moved within the page comes back in the same task: its order lives on.
    this.clearTimer('removal');
    connected.add(this);
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    window.addEventListener('pageshow', this.onPageShow);
    // Some Android browsers (Opera) give focus, and no visibilitychange, on the way back from the app.
    window.addEventListener('focus', this.onWake);
    window.addEventListener('online', this.collectNow);
    window.addEventListener('storage', this.onStorage);
  }

  hostDisconnected(): void {
    this.clearTimer('start-on-connect');
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    window.removeEventListener('pageshow', this.onPageShow);
    window.removeEventListener('focus', this.onWake);
    window.removeEventListener('online', this.collectNow);
    window.removeEventListener('storage', this.onStorage);
    connected.delete(this);
    this.setTimer('removal', 0, () => {
      if (this.host.isConnected) return;
      const { orderRef } = this.snapshot;
      // A framework may replace the element with a new one that resumed the same order, or another
      // tab adopted it (its storage event may not have come yet): leave it alive.
      const handedOver =
        orderRef !== null &&
        ([...connected].some((other) => other.snapshot.orderRef === orderRef) || this.ownedElsewhere(orderRef));
      this.dispatch({ type: 'removed', handedOver });
    });
  }

  /**
   * `start-on-connect`: begins in the next task, once the page or framework that inserted the
   * element has also set its properties (Angular sets `[headers]` after inserting the node).
   */
  startSoon(begin: () => void): void {
    this.setTimer('start-on-connect', 0, begin);
  }

  /** Begins an order unless one is live. Settles when the order is created or has failed to start. */
  start(flow: Flow): Promise<void> {
    if (this.snapshot.state === 'starting') return this.startRun ?? Promise.resolve();
    if (isLive(this.snapshot.state)) return Promise.resolve();
    this.dispatch({ type: 'start', flow });
    return this.startRun ?? Promise.resolve();
  }

  switchFlow(flow: Flow): Promise<void> {
    this.dispatch({ type: 'switch', flow });
    return this.startRun ?? Promise.resolve();
  }

  cancel(): void {
    this.dispatch({ type: 'cancel' });
  }

  /** "Fortsätt här": take the order back from the tab that adopted it. */
  takeBack(): void {
    this.dispatch({ type: 'take-back' });
  }

  /** "Mer tid": the QR path gets another 3 minutes. */
  moreTime(): void {
    this.dispatch({ type: 'more-time', now: Date.now() });
  }

  /** Picks up an order saved before a reload or a trip to the app. True if there was one. */
  resumeSaved(): boolean {
    if (this.snapshot.state !== 'idle') return false;
    const order = this.readSavedOrder();
    if (!order) return false;
    this.wokeAt = Date.now();
    this.dispatch({ type: 'resume', order });
    return true;
  }

  /** Opens the BankID app with the order's token, unless the host prevents it. */
  launch(trigger: LaunchTrigger): void {
    const { platform, returnUrl } = this.settings();
    const token = this.snapshot.autoStartToken;
    const url = token === null ? null : launchUrl(platform, token, returnUrl);
    if (url === null) return;
    const event = new BankIdLaunchEvent({ url, trigger });
    this.host.dispatchEvent(event);
    if (event.defaultPrevented) return;
    if (platform.socialApp !== null) {
      this.setTimer('browser-hint', BROWSER_HINT_DELAY, () => {
        if (document.visibilityState === 'visible') this.dispatch({ type: 'browser-hint-due' });
      });
    }
    try {
      launcher.open(url, platform.device === 'mobile' ? { referrerPolicy: 'origin' } : {});
    } catch (error) {
      // The open-the-app button (or Try again) is still there for the user.
      console.error('<bankid-login>: could not open the BankID app', error);
    }
  }

  private dispatch(input: Input): void {
    // Inputs raised by event listeners during a step wait until that step's effects have run.
    this.queue.push(input);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { platform } = this.settings();
        const result = step(this.snapshot, next, {
          device: platform.device,
          launchNeedsGesture: platform.launchNeedsGesture,
        });
        this.snapshot = result.snapshot;
        for (const effect of result.effects) {
          // One failing effect (a throwing launcher, say) must not stop the rest of the step.
          try {
            this.run(effect);
          } catch (error) {
            console.error('<bankid-login>:', error);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
    this.host.requestUpdate();
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case 'start-order':
        this.startRun = this.runStart(effect.flow, effect.replace);
        return;
      case 'abandon-start':
        if (effect.announce) this.cancelAnnouncements.add(this.startGeneration);
        this.startGeneration++;
        return;
      case 'cancel-order': {
        if (effect.keepalive) {
          // The element is gone: the request must outlive it, and nothing waits for it.
          const { api, headers } = this.settings();
          void requestCancel(api, effect.orderRef, { headers, keepalive: true });
          return;
        }
        const cancelling = this.cancelWithin(effect.orderRef, SWITCH_CANCEL_WAIT).then(() => {
          if (this.pendingCancel === cancelling) this.pendingCancel = null;
        });
        this.pendingCancel = cancelling;
        return;
      }
      case 'collect':
        this.setTimer('collect', effect.delay, () => void this.collect());
        return;
      case 'launch':
        this.launch('auto');
        return;
      case 'arm-launch-button':
        this.setTimer('launch-button', this.settings().launchButtonDelay, () =>
          this.dispatch({ type: 'launch-button-due' }),
        );
        return;
      case 'arm-give-up':
        this.setTimer('give-up', effect.delay, () => this.dispatch({ type: 'give-up' }));
        return;
      case 'disarm-give-up':
        this.clearTimer('give-up');
        return;
      case 'arm-time-warning':
        this.setTimer('time-warning', Math.max(0, effect.at - Date.now()), () =>
          this.dispatch({ type: 'time-warning-due' }),
        );
        return;
      case 'pause':
        for (const name of ORDER_TIMERS) this.clearTimer(name);
        return;
      case 'stop':
        for (const name of ORDER_TIMERS) this.clearTimer(name);
        this.collectInFlight?.abort();
        this.collectInFlight = null;
        return;
      case 'save-order':
        this.saveOrder(effect.ifStillOurs === true);
        return;
      case 'forget-order':
        this.forgetOrder();
        return;
      case 'emit':
        this.host.dispatchEvent(toEvent(effect.event));
        return;
    }
  }

  private async runStart(flow: Flow, replace: string | null): Promise<void> {
    const generation = ++this.startGeneration;
    const superseded = this.startRun;
    // A start still in flight cancels its own order when it answers, and a page cancel may be on
    // its way: wait for both first, so the backend never sees the new order before the old one ends.
    if (superseded) await superseded;
    if (this.pendingCancel) await this.pendingCancel;
    if (replace !== null) await this.cancelWithin(replace, SWITCH_CANCEL_WAIT);

    let orderRef: string | null = null;
    if (generation === this.startGeneration) {
      const { api, operation, headers, platform, returnUrl } = this.settings();
      const back = flow === 'this-device' ? startReturnUrl(platform, returnUrl) : null;
      const body = back === null ? { flow } : { flow, returnUrl: back };
      const result = await requestStart(api, operation, body, { headers });
      if (generation === this.startGeneration) {
        this.dispatch({ type: 'start-answer', result, now: Date.now() });
        return;
      }
      // Cancelled, switched or removed meanwhile: no order may be left behind.
      if (result.ok) {
        orderRef = result.value.orderRef;
        // The page's cancel: the host hears of the order (CONTRACT §3, every new order), then of its cancel.
        if (this.cancelAnnouncements.has(generation)) this.host.dispatchEvent(new BankIdStartEvent({ orderRef, flow }));
        await this.cancelWithin(orderRef, SWITCH_CANCEL_WAIT);
      }
    }
    if (this.cancelAnnouncements.delete(generation)) {
      this.host.dispatchEvent(new BankIdCancelEvent({ orderRef, source: 'page' }));
    }
  }

  private cancelWithin(orderRef: string, ms: number): Promise<void> {
    const { api, headers } = this.settings();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void requestCancel(api, orderRef, { headers }).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async collect(): Promise<void> {
    const orderRef = this.snapshot.orderRef;
    if (this.collectInFlight || orderRef === null || !isLive(this.snapshot.state)) return;
    // Never two tabs polling one order: a tab that adopted it (its storage event may be late) wins.
    if (this.ownerOf(orderRef) !== PAGE && this.ownerOf(orderRef) !== null) {
      this.dispatch({ type: 'taken-over' });
      return;
    }
    const inFlight = new AbortController();
    this.collectInFlight = inFlight;
    const { api, headers } = this.settings();
    const result = await requestCollect(api, orderRef, { headers, signal: inFlight.signal });
    if (inFlight.signal.aborted) return;
    this.collectInFlight = null;
    const now = Date.now();
    this.dispatch({ type: 'collect-answer', result, now, justWoke: now - this.wokeAt < WAKE_RETRY_WINDOW });
  }

  /** Back on the page or online again: ask at once instead of waiting out the timer. */
  private readonly collectNow = (): void => {
    const { state } = this.snapshot;
    if ((state !== 'waiting' && state !== 'signing') || this.collectInFlight) return;
    this.clearTimer('collect');
    void this.collect();
  };

  /** The page is back in front of the user: collect shortly (not at once: iOS cannot fetch yet). */
  private readonly onWake = (): void => {
    const { state, elsewhere } = this.snapshot;
    if ((state !== 'waiting' && state !== 'signing') || elsewhere) return;
    // Also when a collect is on its way: sent before the page was hidden, it may fail now.
    this.wokeAt = Date.now();
    if (this.collectInFlight) return;
    this.setTimer('collect', WAKE_COLLECT_DELAY, () => void this.collect());
  };

  private readonly onVisibilityChange = (): void => {
    if (document.visibilityState === 'visible') this.onWake();
  };

  private readonly onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this.onWake();
  };

  private setTimer(name: TimerName, ms: number, callback: () => void): void {
    this.clearTimer(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        callback();
      }, ms),
    );
  }

  private clearTimer(name: TimerName): void {
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }

  /**
   * Another tab wrote our key: it adopted our live order (this tab stops polling), or the order this
   * tab left to it ended or gave way to a newer one (it is forgotten here too).
   */
  private readonly onStorage = (event: StorageEvent): void => {
    const { orderRef, elsewhere, state } = this.snapshot;
    if (orderRef === null || !isLive(state)) return;
    let key: string | null = null;
    this.storage((_, own) => (key = own));
    if (event.key !== key && event.key !== null) return;
    const now = Date.now();
    const saved = parseSavedOrder(event.key === null ? null : event.newValue, now);
    if (saved?.orderRef === orderRef) {
      if (saved.owner !== PAGE) this.dispatch({ type: 'taken-over' });
    } else if (elsewhere) {
      // The tab that has it moved on to a new QR code, or the order ended there.
      if (saved !== null && saved.owner !== PAGE) this.dispatch({ type: 'followed', order: saved });
      else this.dispatch({ type: 'forgotten-elsewhere' });
    } else if (event.newValue === null && parseSavedOrder(event.oldValue, now)?.orderRef === orderRef) {
      // A tab we took the order from got its end (a collect that was on its way): it is over here too.
      this.dispatch({ type: 'forgotten-elsewhere' });
    }
  };

  /** Another page (tab) polls this order, as the shared storage says. */
  private ownedElsewhere(orderRef: string): boolean {
    const owner = this.ownerOf(orderRef);
    return owner !== null && owner !== PAGE;
  }

  /** The page that polls this order, as the shared storage says; null when it keeps no such order. */
  private ownerOf(orderRef: string): string | null {
    let owner: string | null = null;
    this.storage((storage, key) => {
      const saved = parseSavedOrder(storage.getItem(key), Date.now());
      if (saved?.orderRef === orderRef) owner = saved.owner;
    });
    return owner;
  }

  private saveOrder(ifStillOurs: boolean): void {
    const { orderRef, flow, startedAt, autoStartToken, qrDeadline } = this.snapshot;
    if (orderRef === null || startedAt === null) return;
    const order: SavedOrder = { orderRef, flow, startedAt, autoStartToken, qrDeadline, owner: PAGE };
    this.storage((storage, key) => {
      const there = parseSavedOrder(storage.getItem(key), Date.now());
      if (ifStillOurs && there !== null && there.orderRef !== this.savedRef) {
        this.savedRef = null;
        return;
      }
      storage.setItem(key, JSON.stringify(order));
      this.savedKey = key;
      this.savedRef = orderRef;
    });
  }

  /** Forgets the order this tab saved; `any`: whatever is there (it could not be read). */
  private forgetOrder(any = false): void {
    const savedKey = this.savedKey;
    const savedRef = this.savedRef;
    this.savedKey = null;
    this.savedRef = null;
    this.storage((storage, key) => {
      const at = savedKey ?? key;
      const there = parseSavedOrder(storage.getItem(at), Date.now());
      if (any || there === null || there.orderRef === savedRef) storage.removeItem(at);
    });
  }

  private readSavedOrder(): SavedOrder | null {
    let raw: string | null = null;
    this.storage((storage, key) => {
      raw = storage.getItem(key);
      if (raw !== null) this.savedKey = key;
    });
    const order = parseSavedOrder(raw, Date.now());
    if (raw !== null && order === null) this.forgetOrder(true);
    return order;
  }

  /**
   * The origin's shared storage, so a return from the app that opens a new tab finds the order.
   * It may be missing or throw (private modes, sandboxed frames): then nothing is kept.
   */
  private storage(use: (storage: Storage, key: string) => void): void {
    const { api, operation } = this.settings();
    if (!api) return;
    try {
      use(window.localStorage, `bankid-login:${operation}:${new URL(api, document.baseURI).href}`);
    } catch {
      /* nothing to keep */
    }
  }
}

/** Reads a saved order back, trusting nothing in it. */
export function parseSavedOrder(raw: string | null, now: number): SavedOrder | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { orderRef, flow, startedAt, autoStartToken, qrDeadline, owner } = value as Record<string, unknown>;
  if (typeof orderRef !== 'string' || orderRef === '' || orderRef.length > 128) return null;
  if (flow !== 'this-device' && flow !== 'other-device') return null;
  if (typeof startedAt !== 'number' || now - startedAt > SAVED_ORDER_MAX_AGE || startedAt > now) return null;
  if (autoStartToken !== null && typeof autoStartToken !== 'string') return null;
  return {
    orderRef,
    flow,
    startedAt,
    autoStartToken,
    // A path longer than the order's age allows (3 min per "Mer tid" press) is not believed.
    qrDeadline:
      typeof qrDeadline === 'number' && qrDeadline > startedAt && qrDeadline - now <= QR_PATH_MS ? qrDeadline : null,
    owner: typeof owner === 'string' ? owner : '',
  };
}

function toEvent(event: Emit): Event {
  switch (event.name) {
    case 'bankid-start':
      return new BankIdStartEvent(event.detail);
    case 'bankid-status':
      return new BankIdStatusEvent(event.detail);
    case 'bankid-complete':
      return new BankIdCompleteEvent(event.detail);
    case 'bankid-cancel':
      return new BankIdCancelEvent(event.detail);
    case 'bankid-failed':
      return new BankIdFailedEvent(event.detail);
  }
}
