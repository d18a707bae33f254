/**
 * The pure order flow (src/flow.ts): inputs in, next snapshot and the exact effects out.
 * No element, no timers, no requests: what the order controller would be told to do is the behaviour.
 */
import { expect } from '@open-wc/testing';
import type { BackendFailure, BackendResult, CollectAnswer, StartAnswer } from '../src/backend.js';
import type { Flow } from '../src/events.js';
import {
  collectDelay,
  initialSnapshot,
  isLive,
  QR_PATH_MS,
  QR_TIME_WARNING_MS,
  reconnectDelay,
  step,
  type Effect,
  type FlowContext,
  type Input,
  type OrderState,
  type SavedOrder,
  type Snapshot,
  type Step,
} from '../src/flow.js';

const TOKEN = '6f1b8d2a-3c4e-4f5a-9b7c-000000000001';
const TOKEN2 = '6f1b8d2a-3c4e-4f5a-9b7c-000000000002';
const QR0 = `bankid.${TOKEN}.0.${'ab'.repeat(32)}`;
const QR1 = `bankid.${TOKEN}.1.${'cd'.repeat(32)}`;
const QR2 = `bankid.${TOKEN}.2.${'ef'.repeat(32)}`;
const NOW = 1_700_000_000_000;

const computer: FlowContext = { device: 'computer', launchNeedsGesture: false };
const phone: FlowContext = { device: 'mobile', launchNeedsGesture: false };
const gesturePhone: FlowContext = { device: 'mobile', launchNeedsGesture: true };

// ---------- small helpers ----------

const run = (snapshot: Snapshot, input: Input, context: FlowContext = computer): Step => step(snapshot, input, context);

/** Feeds inputs one after the other; returns the last step. */
function runAll(snapshot: Snapshot, inputs: Input[], context: FlowContext = computer): Step {
  let result: Step = { snapshot, effects: [] };
  for (const input of inputs) result = step(result.snapshot, input, context);
  return result;
}

const startInput = (flow: Flow): Input => ({ type: 'start', flow });

function startAnswer(answer: Partial<StartAnswer> = {}, now = NOW + 50): Input {
  const value: StartAnswer = { orderRef: 'order-1', autoStartToken: TOKEN, qr: QR0, ...answer };
  return { type: 'start-answer', result: { ok: true, value }, now };
}

function startProblem(failure: BackendFailure): Input {
  return { type: 'start-answer', result: { ok: false, failure }, now: NOW + 50 };
}

function collectOk(
  status: CollectAnswer['status'],
  hintCode: string | null,
  qr: string | null = null,
  extra: Record<string, unknown> = {},
  now = NOW + 1000,
): Input {
  const body: Record<string, unknown> = { orderRef: 'order-1', status, ...extra };
  if (hintCode !== null) body.hintCode = hintCode;
  if (qr !== null) body.qr = qr;
  const result: BackendResult<CollectAnswer> = { ok: true, value: { status, hintCode, qr, body } };
  return { type: 'collect-answer', result, now };
}

const pending = (hintCode: string | null, qr: string | null = null) => collectOk('pending', hintCode, qr);
const failedHint = (hintCode: string | null, now = NOW + 1000) => collectOk('failed', hintCode, null, {}, now);

function collectProblem(failure: BackendFailure): Input {
  return { type: 'collect-answer', result: { ok: false, failure }, now: NOW + 1000 };
}
const http = (status: number, errorCode: string | null = null, retryAfterMs: number | null = null): BackendFailure => ({
  kind: 'http',
  status,
  errorCode,
  retryAfterMs,
});

const starting = (flow: Flow, context: FlowContext = computer): Snapshot =>
  run(initialSnapshot(flow), startInput(flow), context).snapshot;

/** An order in `waiting`, as the start answer left it. */
const waiting = (flow: Flow, context: FlowContext = computer): Snapshot =>
  run(starting(flow, context), startAnswer(), context).snapshot;

const emitted = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'emit' ? [e.event] : []));
const emittedNames = (effects: Effect[]) => emitted(effects).map((e) => e.name);
const types = (effects: Effect[]) => effects.map((e) => e.type);

/** The effects of an order that fails: polling stops, the saved order goes, bankid-failed fires once. */
function expectFailed(result: Step, code: string, message: string): void {
  expect(result.snapshot.state).to.equal('failed');
  expect(result.snapshot.failure).to.deep.equal({ code, message, retryable: true });
  expect(result.snapshot.hintCode).to.equal(code);
  expect(result.effects).to.deep.equal([
    { type: 'stop' },
    { type: 'forget-order' },
    { type: 'emit', event: { name: 'bankid-failed', detail: { code, message, retryable: true } } },
  ]);
}

/** Nothing happens at all. */
function expectNothing(before: Snapshot, result: Step): void {
  expect(result.effects).to.deep.equal([]);
  expect(result.snapshot).to.deep.equal(before);
}

// ---------- tests ----------

describe('flow: helpers', () => {
  it('the initial snapshot is idle in the given flow with nothing to show or poll', () => {
    expect(initialSnapshot('other-device')).to.deep.equal({
      state: 'idle',
      flow: 'other-device',
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
  });

  it('only starting, waiting and signing are live', () => {
    const table: [OrderState, boolean][] = [
      ['idle', false],
      ['starting', true],
      ['waiting', true],
      ['signing', true],
      ['complete', false],
      ['failed', false],
      ['cancelled', false],
    ];
    for (const [state, live] of table) expect(isLive(state), state).to.equal(live);
  });

  it('reconnect delays are 1, 2, 4, 8 s and then stay at 8 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => reconnectDelay(n, null))).to.deep.equal([
      1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
  });

  it('Retry-After raises the reconnect delay but never lowers it', () => {
    expect(reconnectDelay(1, 30_000)).to.equal(30_000);
    expect(reconnectDelay(4, 500)).to.equal(8000);
    expect(reconnectDelay(2, 0)).to.equal(2000);
  });

  it('collect runs every second while a QR code is shown and every two seconds otherwise', () => {
    expect(collectDelay({ ...initialSnapshot('other-device'), qr: QR0 })).to.equal(1000);
    expect(collectDelay(initialSnapshot('other-device'))).to.equal(2000);
    expect(collectDelay(initialSnapshot('this-device'))).to.equal(2000);
  });
});

describe('flow: start', () => {
  it('from idle asks the backend for an order in the chosen flow', () => {
    const result = run(initialSnapshot('other-device'), startInput('this-device'));
    expect(result.snapshot.state).to.equal('starting');
    expect(result.snapshot.flow).to.equal('this-device');
    expect(result.effects).to.deep.equal([{ type: 'start-order', flow: 'this-device', replace: null }]);
  });

  it('does nothing while starting, waiting or signing (no second order)', () => {
    const live = [
      starting('this-device'),
      waiting('this-device'),
      run(waiting('this-device'), pending('userSign')).snapshot,
    ];
    expect(live.map((s) => s.state)).to.deep.equal(['starting', 'waiting', 'signing']);
    for (const snapshot of live) {
      expectNothing(snapshot, run(snapshot, startInput('this-device')));
      expectNothing(snapshot, run(snapshot, startInput('other-device')));
    }
  });

  it('after an ended order begins a new one', () => {
    for (const ended of [
      run(waiting('other-device'), failedHint('expiredTransaction')).snapshot,
      run(waiting('other-device'), { type: 'cancel' }).snapshot,
      run(waiting('other-device'), collectOk('complete', null)).snapshot,
    ]) {
      const result = run(ended, startInput('other-device'));
      expect(result.snapshot.state, ended.state).to.equal('starting');
      expect(result.snapshot.failure).to.equal(null);
      expect(result.snapshot.orderRef).to.equal(null);
      expect(result.effects).to.deep.equal([{ type: 'start-order', flow: 'other-device', replace: null }]);
    }
  });
});

describe('flow: start answer', () => {
  it('this device: announces the order, saves it, shows RFA13, launches, arms the button, collects in 2 s', () => {
    const result = run(
      starting('this-device'),
      startAnswer({ orderRef: 'order-7', autoStartToken: TOKEN, qr: null }, NOW + 80),
    );
    expect(result.effects).to.deep.equal([
      { type: 'emit', event: { name: 'bankid-start', detail: { orderRef: 'order-7', flow: 'this-device' } } },
      { type: 'save-order' },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA13' } },
      },
      { type: 'launch' },
      { type: 'arm-launch-button' },
      { type: 'collect', delay: 2000 },
    ]);
    expect(result.snapshot).to.include({
      state: 'waiting',
      flow: 'this-device',
      orderRef: 'order-7',
      autoStartToken: TOKEN,
      startedAt: NOW + 80,
      qr: null,
      hintCode: null,
      status: 'pending',
      message: 'RFA13',
      launchButton: false,
    });
  });

  it('this device on a phone shows RFA13 as well', () => {
    const result = run(starting('this-device', phone), startAnswer({ qr: null }), phone);
    expect(result.snapshot.message).to.equal('RFA13');
    expect(types(result.effects)).to.include('launch');
  });

  it('this device where launching needs a tap: the button shows at once and nothing is launched', () => {
    const result = run(starting('this-device', gesturePhone), startAnswer({ qr: null }), gesturePhone);
    expect(result.snapshot.launchButton).to.equal(true);
    expect(result.effects).to.deep.equal([
      { type: 'emit', event: { name: 'bankid-start', detail: { orderRef: 'order-1', flow: 'this-device' } } },
      { type: 'save-order' },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA13' } },
      },
      { type: 'collect', delay: 2000 },
    ]);
  });

  it('other device: shows the QR code with RFA1, never launches, collects every second', () => {
    const result = run(starting('other-device'), startAnswer({ orderRef: 'order-2', autoStartToken: TOKEN, qr: QR0 }));
    expect(result.snapshot).to.include({
      state: 'waiting',
      flow: 'other-device',
      orderRef: 'order-2',
      qr: QR0,
      message: 'RFA1',
      launchButton: false,
      autoStartToken: null,
    });
    expect(result.effects).to.deep.equal([
      { type: 'emit', event: { name: 'bankid-start', detail: { orderRef: 'order-2', flow: 'other-device' } } },
      { type: 'save-order' },
      // The QR path's warning, 30 s before its 3 minutes (from the answer) are up.
      { type: 'arm-time-warning', at: NOW + 50 + QR_PATH_MS - QR_TIME_WARNING_MS },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA1' } },
      },
      { type: 'collect', delay: 1000 },
    ]);
  });

  it('other device on a phone that needs a tap still shows no launch button', () => {
    const result = run(starting('other-device', gesturePhone), startAnswer(), gesturePhone);
    expect(result.snapshot.launchButton).to.equal(false);
    expect(types(result.effects)).to.not.include('launch');
  });

  it('this device without a token, or with a token that is not a UUID, fails as invalid-response and launches nothing', () => {
    for (const autoStartToken of [null, 'not-a-uuid', `${TOKEN}x`, '']) {
      const result = run(starting('this-device'), startAnswer({ autoStartToken, qr: null }));
      expectFailed(result, 'invalid-response', 'RFA22');
      expect(types(result.effects)).to.not.include.members(['launch', 'arm-launch-button', 'collect', 'save-order']);
      expect(emittedNames(result.effects)).to.not.include('bankid-start');
    }
  });

  it('other device without a QR payload fails as invalid-response', () => {
    const result = run(starting('other-device'), startAnswer({ qr: null }));
    expectFailed(result, 'invalid-response', 'RFA22');
    expect(emittedNames(result.effects)).to.not.include('bankid-start');
  });

  describe('when the start request fails', () => {
    const table: { name: string; failure: BackendFailure; code: string; message: string }[] = [
      { name: 'network error', failure: { kind: 'network' }, code: 'network', message: 'RFA5' },
      { name: 'timeout', failure: { kind: 'timeout' }, code: 'network', message: 'RFA5' },
      { name: '500 with an errorCode', failure: http(500, 'internalError'), code: 'internalError', message: 'RFA5' },
      { name: '503 without errorCode', failure: http(503), code: 'network', message: 'RFA5' },
      {
        name: '400 alreadyInProgress',
        failure: http(400, 'alreadyInProgress'),
        code: 'alreadyInProgress',
        message: 'RFA4',
      },
      {
        name: '400 invalidParameters',
        failure: http(400, 'invalidParameters'),
        code: 'invalidParameters',
        message: 'RFA22',
      },
      { name: '400 without errorCode', failure: http(400), code: 'http-400', message: 'RFA22' },
      { name: '403 without errorCode', failure: http(403), code: 'http-403', message: 'RFA22' },
      { name: '2xx with a wrong shape', failure: { kind: 'invalid' }, code: 'invalid-response', message: 'RFA22' },
    ];
    for (const row of table) {
      it(`${row.name} → failed ${row.code} / ${row.message}`, () => {
        expectFailed(run(starting('this-device'), startProblem(row.failure)), row.code, row.message);
      });
    }

    it('an aborted start (superseded or abandoned) changes nothing', () => {
      const before = starting('other-device');
      expectNothing(before, run(before, startProblem({ kind: 'aborted' })));
    });
  });

  it('a start answer that arrives when no start is awaited is ignored', () => {
    for (const before of [
      initialSnapshot('this-device'),
      waiting('this-device'),
      run(starting('this-device'), { type: 'cancel' }).snapshot,
    ]) {
      expectNothing(before, run(before, startAnswer()));
    }
  });
});

describe('flow: pending collect answers', () => {
  it('outstandingTransaction keeps waiting; the status event fires only when status, message or hint changes', () => {
    const first = run(waiting('this-device'), pending('outstandingTransaction'));
    expect(first.snapshot).to.include({ state: 'waiting', hintCode: 'outstandingTransaction', message: 'RFA13' });
    expect(first.effects).to.deep.equal([
      {
        type: 'emit',
        event: {
          name: 'bankid-status',
          detail: { status: 'pending', hintCode: 'outstandingTransaction', message: 'RFA13' },
        },
      },
      { type: 'collect', delay: 2000 },
    ]);

    const again = run(first.snapshot, pending('outstandingTransaction'));
    expect(again.effects).to.deep.equal([{ type: 'collect', delay: 2000 }]);
  });

  it('this device on a computer: started → signing RFA15A, userSign → RFA9, userMrtd → RFA23', () => {
    let snapshot = run(waiting('this-device'), pending('outstandingTransaction')).snapshot;
    const seen: unknown[] = [];
    for (const hint of ['started', 'userSign', 'userMrtd']) {
      const result = run(snapshot, pending(hint));
      snapshot = result.snapshot;
      expect(snapshot.state, hint).to.equal('signing');
      expect(result.effects.at(-1)).to.deep.equal({ type: 'collect', delay: 2000 });
      seen.push(...emitted(result.effects).map((e) => e.detail));
    }
    expect(seen).to.deep.equal([
      { status: 'pending', hintCode: 'started', message: 'RFA15A' },
      { status: 'pending', hintCode: 'userSign', message: 'RFA9' },
      { status: 'pending', hintCode: 'userMrtd', message: 'RFA23' },
    ]);
  });

  it('started says RFA15B on a phone and in the QR flow', () => {
    expect(run(waiting('this-device', phone), pending('started'), phone).snapshot.message).to.equal('RFA15B');
    expect(run(waiting('other-device'), pending('started', QR1)).snapshot.message).to.equal('RFA15B');
  });

  it('the QR flow shows each new QR frame and keeps the last one when none comes', () => {
    const one = run(waiting('other-device'), pending('outstandingTransaction', QR1));
    expect(one.snapshot.qr).to.equal(QR1);
    expect(one.effects.at(-1)).to.deep.equal({ type: 'collect', delay: 1000 });
    const two = run(one.snapshot, pending('outstandingTransaction', QR2));
    expect(two.snapshot.qr).to.equal(QR2);
    expect(two.effects).to.deep.equal([{ type: 'collect', delay: 1000 }]);
    const none = run(two.snapshot, pending('outstandingTransaction', null));
    expect(none.snapshot.qr).to.equal(QR2);
  });

  it('the QR code goes once the app has the order, and polling slows to 2 s', () => {
    for (const hint of ['started', 'userSign', 'userMrtd']) {
      const result = run(waiting('other-device'), pending(hint, QR1));
      expect(result.snapshot.state, hint).to.equal('signing');
      expect(result.snapshot.qr, hint).to.equal(null);
      expect(result.effects.at(-1), hint).to.deep.equal({ type: 'collect', delay: 2000 });
    }
  });

  it('noClient reads like a waiting order', () => {
    expect(run(waiting('this-device'), pending('noClient')).snapshot).to.include({
      state: 'waiting',
      message: 'RFA13',
    });
    expect(run(waiting('other-device'), pending('noClient', QR1)).snapshot).to.include({
      state: 'waiting',
      message: 'RFA1',
    });
  });

  it('an unknown pending hint does not say the app has the order: waiting, RFA21, the QR code stays, polling on', () => {
    const result = run(waiting('other-device'), pending('brandNewHint', QR1));
    expect(result.snapshot).to.include({ state: 'waiting', message: 'RFA21', hintCode: 'brandNewHint', qr: QR1 });
    expect(result.effects).to.deep.equal([
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: 'brandNewHint', message: 'RFA21' } },
      },
      { type: 'collect', delay: 1000 },
    ]);
    const here = run(waiting('this-device'), pending('brandNewHint'));
    expect(here.snapshot).to.include({ state: 'waiting', message: 'RFA21', qr: null });
    expect(here.effects.at(-1)).to.deep.equal({ type: 'collect', delay: 2000 });
  });

  it('every hint that says the app has the order is signing, with the QR code gone', () => {
    for (const hint of ['started', 'userSign', 'userMrtd', 'userFace', 'userStepUp', 'processing']) {
      const result = run(waiting('other-device'), pending(hint, QR1));
      expect(result.snapshot, hint).to.include({ state: 'signing', qr: null });
      expect(result.effects.at(-1), hint).to.deep.equal({ type: 'collect', delay: 2000 });
    }
  });

  it("the app's newer steps (face, step-up, checking) are signing with their own messages", () => {
    for (const [hint, message] of [
      ['userFace', 'user-face'],
      ['userStepUp', 'user-step-up'],
      ['processing', 'processing'],
    ] as const) {
      const result = run(waiting('this-device'), pending(hint));
      expect(result.snapshot, hint).to.include({ state: 'signing', message, launchButton: false });
    }
  });

  it('a collect answer for an order that is no longer live is ignored', () => {
    const cancelled = run(waiting('this-device'), { type: 'cancel' }).snapshot;
    const idle = initialSnapshot('this-device');
    const startingNow = starting('this-device');
    for (const before of [cancelled, idle, startingNow]) {
      expectNothing(before, run(before, pending('userSign')));
      expectNothing(before, run(before, collectOk('complete', null)));
      expectNothing(before, run(before, collectProblem({ kind: 'network' })));
    }
  });
});

describe('flow: complete', () => {
  it('stops, forgets the saved order and hands the body to bankid-complete', () => {
    const signing = run(waiting('this-device'), pending('userSign')).snapshot;
    const answer = collectOk('complete', null, null, { completionData: { user: { personalNumber: '190000000000' } } });
    const result = run(signing, answer);
    expect(result.snapshot.state).to.equal('complete');
    expect(result.effects).to.deep.equal([
      { type: 'stop' },
      { type: 'forget-order' },
      {
        type: 'emit',
        event: {
          name: 'bankid-complete',
          detail: {
            orderRef: 'order-1',
            response: {
              orderRef: 'order-1',
              status: 'complete',
              completionData: { user: { personalNumber: '190000000000' } },
            },
          },
        },
      },
    ]);
  });
});

describe('flow: failed collect answers (CONTRACT §4 table)', () => {
  it('userCancel → cancelled, bankid-cancel from the app, and no bankid-failed', () => {
    const result = run(waiting('other-device'), failedHint('userCancel'));
    expect(result.snapshot.state).to.equal('cancelled');
    expect(result.snapshot.failure).to.equal(null);
    expect(result.snapshot.hintCode).to.equal('userCancel');
    expect(result.effects).to.deep.equal([
      { type: 'stop' },
      { type: 'forget-order' },
      { type: 'emit', event: { name: 'bankid-cancel', detail: { orderRef: 'order-1', source: 'app' } } },
    ]);
  });

  const table: [hint: string, code: string, message: string][] = [
    ['cancelled', 'cancelled', 'RFA3'],
    ['expiredTransaction', 'expiredTransaction', 'RFA8'],
    ['certificateErr', 'certificateErr', 'RFA16'],
    ['notSupportedByUserApp', 'notSupportedByUserApp', 'update-app'],
    ['userDeclinedCall', 'userDeclinedCall', 'RFA22'],
    ['transactionRiskBlocked', 'transactionRiskBlocked', 'RFA22'],
    ['somethingNew', 'somethingNew', 'RFA22'],
  ];
  for (const [hint, code, message] of table) {
    it(`${hint} → failed ${code} / ${message}`, () => {
      expectFailed(run(waiting('other-device'), failedHint(hint)), code, message);
      expectFailed(run(run(waiting('this-device'), pending('userSign')).snapshot, failedHint(hint)), code, message);
    });
  }

  it('startFailed on this device fails at once with RFA17A', () => {
    expectFailed(run(waiting('this-device'), failedHint('startFailed')), 'startFailed', 'RFA17A');
  });

  describe('startFailed in the QR flow', () => {
    /** One QR order that nobody scans: made at `at`, and collect says startFailed 30 s later. */
    const unscanned = (snapshot: Snapshot, n: number, at: number): Step =>
      run(
        run(snapshot, startAnswer({ orderRef: `order-${n}`, qr: QR0 }, at)).snapshot,
        failedHint('startFailed', at + 30_000),
      );

    it('new orders start silently until the QR path has run 3 minutes; then it fails with RFA17B', () => {
      let snapshot = starting('other-device');
      for (let n = 1; n <= 5; n++) {
        const result = unscanned(snapshot, n, NOW + (n - 1) * 30_000);
        snapshot = result.snapshot;
        // The panel stays as it is: still waiting with the same line, a new code on its way.
        expect(snapshot.state, `#${n}`).to.equal('waiting');
        expect(snapshot).to.include({ restarting: true, orderRef: null, qr: null, message: 'RFA1' });
        expect(snapshot.qrDeadline, 'the deadline counts from the first order').to.equal(NOW + QR_PATH_MS);
        expect(snapshot.failure).to.equal(null);
        // The saved order stays until the new one replaces it (a tab that follows it never sees it gone).
        expect(result.effects, `#${n}`).to.deep.equal([
          { type: 'stop' },
          { type: 'start-order', flow: 'other-device', replace: null },
        ]);
      }
      // The sixth order fails at NOW + 180 s: the 3 minutes are over.
      expectFailed(unscanned(snapshot, 6, NOW + 150_000), 'startFailed', 'RFA17B');
    });

    it('each silent new order is announced with bankid-start', () => {
      const restarted = unscanned(starting('other-device'), 1, NOW).snapshot;
      const result = run(restarted, startAnswer({ orderRef: 'order-2', qr: QR1 }, NOW + 31_000));
      expect(emitted(result.effects)[0]).to.deep.equal({
        name: 'bankid-start',
        detail: { orderRef: 'order-2', flow: 'other-device' },
      });
      expect(result.snapshot).to.include({ state: 'waiting', qr: QR1, qrDeadline: NOW + QR_PATH_MS });
    });

    it('an order the user starts gives the QR path 3 new minutes', () => {
      let snapshot = starting('other-device');
      for (let n = 1; n <= 6; n++) snapshot = unscanned(snapshot, n, NOW + (n - 1) * 30_000).snapshot;
      expect(snapshot.state).to.equal('failed');

      const later = NOW + 200_000;
      const retried = run(snapshot, startInput('other-device'));
      expect(retried.snapshot.qrDeadline).to.equal(null);
      const silent = unscanned(retried.snapshot, 7, later);
      expect(silent.snapshot).to.include({ state: 'waiting', restarting: true, qrDeadline: later + QR_PATH_MS });
      expect(types(silent.effects)).to.include('start-order');
      expect(emittedNames(silent.effects)).to.not.include('bankid-failed');
    });
  });
});

describe('flow: collect that fails in ways that may pass', () => {
  const transient: [string, BackendFailure][] = [
    ['network error', { kind: 'network' }],
    ['timeout', { kind: 'timeout' }],
    ['500', http(500)],
    ['502', http(502)],
    ['503', http(503, 'maintenance')],
    ['429', http(429)],
    ['garbled body', { kind: 'invalid' }],
  ];
  for (const [name, failure] of transient) {
    it(`${name}: status reconnecting, give-up armed for 20 s, retry in 1 s, state unchanged`, () => {
      const before = run(waiting('this-device'), pending('outstandingTransaction')).snapshot;
      const result = run(before, collectProblem(failure));
      expect(result.snapshot.state).to.equal('waiting');
      expect(result.snapshot.status).to.equal('reconnecting');
      expect(result.snapshot.orderRef).to.equal('order-1');
      expect(result.effects).to.deep.equal([
        { type: 'arm-give-up', delay: 20_000 },
        {
          type: 'emit',
          event: {
            name: 'bankid-status',
            detail: { status: 'reconnecting', message: 'reconnecting', hintCode: 'outstandingTransaction' },
          },
        },
        { type: 'collect', delay: 1000 },
      ]);
    });
  }

  it('a failure before the first good answer reports hintCode null', () => {
    const result = run(waiting('other-device'), collectProblem({ kind: 'network' }));
    expect(emitted(result.effects)[0]?.detail).to.deep.equal({
      status: 'reconnecting',
      hintCode: null,
      message: 'reconnecting',
    });
  });

  it('keeps a signing order signing, QR-less, while reconnecting', () => {
    const signing = run(waiting('other-device'), pending('userSign')).snapshot;
    const result = run(signing, collectProblem({ kind: 'timeout' }));
    expect(result.snapshot).to.include({ state: 'signing', qr: null, message: 'RFA9', status: 'reconnecting' });
  });

  it('retries after 1, 2, 4, 8, 8 s, announcing and arming only once', () => {
    let snapshot = waiting('other-device');
    const delays: number[] = [];
    const perFailure: Effect[][] = [];
    for (let i = 0; i < 5; i++) {
      const result = run(snapshot, collectProblem({ kind: 'network' }));
      snapshot = result.snapshot;
      perFailure.push(result.effects);
      for (const e of result.effects) if (e.type === 'collect') delays.push(e.delay);
    }
    expect(delays).to.deep.equal([1000, 2000, 4000, 8000, 8000]);
    expect(types(perFailure[0]!)).to.deep.equal(['arm-give-up', 'emit', 'collect']);
    for (const effects of perFailure.slice(1)) expect(effects).to.have.length(1);
  });

  it('Retry-After makes the next try later, never sooner', () => {
    const one = run(waiting('this-device'), collectProblem(http(503, null, 15_000)));
    expect(one.effects.at(-1)).to.deep.equal({ type: 'collect', delay: 15_000 });
    const two = run(one.snapshot, collectProblem(http(429, null, 500)));
    expect(two.effects).to.deep.equal([{ type: 'collect', delay: 2000 }]);
  });

  it('a good answer disarms the give-up and the status is pending again', () => {
    const start = run(waiting('this-device'), pending('outstandingTransaction')).snapshot;
    const broken = runAll(start, [collectProblem({ kind: 'network' }), collectProblem({ kind: 'network' })]).snapshot;
    const result = run(broken, pending('outstandingTransaction'));
    expect(result.snapshot).to.include({ status: 'pending', reconnect: null, state: 'waiting' });
    expect(result.effects).to.deep.equal([
      { type: 'disarm-give-up' },
      {
        type: 'emit',
        event: {
          name: 'bankid-status',
          detail: { status: 'pending', hintCode: 'outstandingTransaction', message: 'RFA13' },
        },
      },
      { type: 'collect', delay: 2000 },
    ]);
  });

  it('a new run of failures after a recovery starts over: armed again, 1 s again', () => {
    const recovered = runAll(waiting('this-device'), [
      collectProblem({ kind: 'network' }),
      collectProblem({ kind: 'network' }),
      collectProblem({ kind: 'network' }),
      pending('outstandingTransaction'),
    ]).snapshot;
    const result = run(recovered, collectProblem({ kind: 'network' }));
    expect(types(result.effects)).to.deep.equal(['arm-give-up', 'emit', 'collect']);
    expect(result.effects.at(-1)).to.deep.equal({ type: 'collect', delay: 1000 });
  });

  it('an aborted collect changes nothing', () => {
    const before = waiting('other-device');
    expectNothing(before, run(before, collectProblem({ kind: 'aborted' })));
  });

  describe('give-up (20 s after the first failure)', () => {
    it('fails with network when no errorCode came', () => {
      const broken = runAll(waiting('this-device'), [
        collectProblem({ kind: 'network' }),
        collectProblem({ kind: 'timeout' }),
      ]);
      expectFailed(run(broken.snapshot, { type: 'give-up' }), 'network', 'RFA5');
    });

    it('fails with the last errorCode the backend sent', () => {
      const broken = runAll(waiting('other-device'), [
        collectProblem(http(503, 'maintenance')),
        collectProblem(http(500, 'internalError')),
        collectProblem({ kind: 'network' }),
      ]);
      expectFailed(run(broken.snapshot, { type: 'give-up' }), 'internalError', 'RFA5');
    });

    it('does nothing when not reconnecting or not live', () => {
      const fine = waiting('this-device');
      expectNothing(fine, run(fine, { type: 'give-up' }));
      const recovered = runAll(fine, [collectProblem({ kind: 'network' }), pending('outstandingTransaction')]).snapshot;
      expectNothing(recovered, run(recovered, { type: 'give-up' }));
      const cancelled = runAll(fine, [collectProblem({ kind: 'network' }), { type: 'cancel' }]).snapshot;
      expectNothing(cancelled, run(cancelled, { type: 'give-up' }));
    });
  });
});

describe('flow: collect that fails for good (other 4xx)', () => {
  const table: [string, BackendFailure, string][] = [
    ['400 invalidParameters (order gone)', http(400, 'invalidParameters'), 'invalidParameters'],
    ['401 without errorCode (session expired)', http(401), 'http-401'],
    ['403 without errorCode', http(403), 'http-403'],
    ['404 with an errorCode', http(404, 'notFound'), 'notFound'],
  ];
  for (const [name, failure, code] of table) {
    it(`${name} → failed ${code} / RFA22 at once`, () => {
      expectFailed(run(waiting('other-device'), collectProblem(failure)), code, 'RFA22');
    });
  }

  it('also in the middle of reconnecting', () => {
    const broken = run(waiting('this-device'), collectProblem({ kind: 'network' })).snapshot;
    expectFailed(run(broken, collectProblem(http(401))), 'http-401', 'RFA22');
  });
});

describe('flow: launch-button-due', () => {
  it('shows the open-the-app button while waiting in this-device, with no effects', () => {
    const before = waiting('this-device');
    const result = run(before, { type: 'launch-button-due' });
    expect(result.snapshot).to.deep.equal({ ...before, launchButton: true });
    expect(result.effects).to.deep.equal([]);
  });

  it('does nothing once the app has the order, in the QR flow, or after the end', () => {
    for (const before of [
      run(waiting('this-device'), pending('started')).snapshot,
      waiting('other-device'),
      run(waiting('this-device'), { type: 'cancel' }).snapshot,
      run(waiting('this-device'), failedHint('expiredTransaction')).snapshot,
      initialSnapshot('this-device'),
      starting('this-device'),
    ]) {
      expectNothing(before, run(before, { type: 'launch-button-due' }));
    }
  });
});

describe('flow: cancel', () => {
  it('while waiting: stop, cancel the order, forget it, bankid-cancel from the page', () => {
    const result = run(waiting('this-device'), { type: 'cancel' });
    expect(result.snapshot.state).to.equal('cancelled');
    expect(result.snapshot.failure).to.equal(null);
    expect(result.effects).to.deep.equal([
      { type: 'stop' },
      { type: 'cancel-order', orderRef: 'order-1', keepalive: false },
      { type: 'forget-order' },
      { type: 'emit', event: { name: 'bankid-cancel', detail: { orderRef: 'order-1', source: 'page' } } },
    ]);
  });

  it('while signing, the same', () => {
    const signing = run(waiting('other-device'), pending('userSign')).snapshot;
    expect(run(signing, { type: 'cancel' }).effects).to.deep.equal([
      { type: 'stop' },
      { type: 'cancel-order', orderRef: 'order-1', keepalive: false },
      { type: 'forget-order' },
      { type: 'emit', event: { name: 'bankid-cancel', detail: { orderRef: 'order-1', source: 'page' } } },
    ]);
  });

  it('while starting: abandons the start, to be cancelled and announced (with its orderRef) when it answers', () => {
    const result = run(starting('other-device'), { type: 'cancel' });
    expect(result.snapshot.state).to.equal('cancelled');
    expect(result.effects).to.deep.equal([{ type: 'stop' }, { type: 'abandon-start', announce: true }]);
    // The late start answer does not bring the order back.
    expectNothing(result.snapshot, run(result.snapshot, startAnswer()));
  });

  it('does nothing when idle or ended', () => {
    for (const before of [
      initialSnapshot('this-device'),
      run(waiting('this-device'), { type: 'cancel' }).snapshot,
      run(waiting('this-device'), failedHint('expiredTransaction')).snapshot,
      run(waiting('this-device'), collectOk('complete', null)).snapshot,
      run(waiting('this-device'), failedHint('userCancel')).snapshot,
    ]) {
      expectNothing(before, run(before, { type: 'cancel' }));
    }
  });
});

describe('flow: switch to the other flow', () => {
  it('while waiting: stops, forgets the order, and starts one in the other flow replacing the old one', () => {
    const result = run(waiting('this-device'), { type: 'switch', flow: 'other-device' });
    expect(result.snapshot.state).to.equal('starting');
    expect(result.snapshot.flow).to.equal('other-device');
    expect(result.snapshot.orderRef).to.equal(null);
    expect(result.effects).to.deep.equal([
      { type: 'stop' },
      { type: 'forget-order' },
      { type: 'start-order', flow: 'other-device', replace: 'order-1' },
    ]);
    expect(emittedNames(result.effects)).to.not.include('bankid-cancel');
  });

  it('while signing, the same the other way round', () => {
    const signing = run(waiting('other-device'), pending('started', QR1)).snapshot;
    const result = run(signing, { type: 'switch', flow: 'this-device' });
    expect(result.snapshot).to.include({ state: 'starting', flow: 'this-device', qr: null });
    expect(result.effects).to.deep.equal([
      { type: 'stop' },
      { type: 'forget-order' },
      { type: 'start-order', flow: 'this-device', replace: 'order-1' },
    ]);
  });

  it('while starting: starts in the other flow with nothing to replace yet', () => {
    const result = run(starting('this-device'), { type: 'switch', flow: 'other-device' });
    expect(result.snapshot).to.include({ state: 'starting', flow: 'other-device' });
    expect(result.effects).to.deep.equal([{ type: 'start-order', flow: 'other-device', replace: null }]);
  });

  it('the answer to the new start is then taken in the new flow', () => {
    const switched = run(starting('this-device'), { type: 'switch', flow: 'other-device' }).snapshot;
    const result = run(switched, startAnswer({ orderRef: 'order-2', autoStartToken: TOKEN2, qr: QR0 }));
    expect(result.snapshot).to.include({ state: 'waiting', flow: 'other-device', qr: QR0, orderRef: 'order-2' });
    expect(types(result.effects)).to.not.include('launch');
  });

  it('from a failed order: starts a new order in the other flow', () => {
    const failed = run(waiting('other-device'), failedHint('expiredTransaction')).snapshot;
    const result = run(failed, { type: 'switch', flow: 'this-device' });
    expect(result.snapshot).to.include({ state: 'starting', flow: 'this-device', failure: null });
    expect(result.effects).to.deep.equal([{ type: 'start-order', flow: 'this-device', replace: null }]);
  });
});

describe('flow: resume after a reload or a return from the app', () => {
  const saved = (order: Partial<SavedOrder> = {}): Input => ({
    type: 'resume',
    order: {
      orderRef: 'order-9',
      flow: 'this-device',
      startedAt: NOW - 30_000,
      autoStartToken: TOKEN,
      qrDeadline: null,
      owner: 'other',
      ...order,
    },
  });

  it('this device: waiting with the same order, collect 500 ms later, the button at once, nothing launched, no bankid-start', () => {
    const result = run(initialSnapshot('other-device'), saved(), phone);
    expect(result.snapshot).to.include({
      state: 'waiting',
      flow: 'this-device',
      orderRef: 'order-9',
      autoStartToken: TOKEN,
      startedAt: NOW - 30_000,
      message: 'RFA13',
      launchButton: true,
      status: 'pending',
    });
    expect(result.effects).to.deep.equal([
      { type: 'save-order' },
      { type: 'collect', delay: 500 },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA13' } },
      },
    ]);
  });

  it('this device without a saved token: no button to press', () => {
    expect(run(initialSnapshot('this-device'), saved({ autoStartToken: null })).snapshot.launchButton).to.equal(false);
  });

  it('other device: waiting with RFA1 and no launch button', () => {
    const result = run(initialSnapshot('other-device'), saved({ flow: 'other-device', autoStartToken: null }));
    expect(result.snapshot).to.include({
      state: 'waiting',
      flow: 'other-device',
      orderRef: 'order-9',
      message: 'RFA1',
      launchButton: false,
    });
    expect(result.effects).to.deep.equal([
      { type: 'save-order' },
      { type: 'collect', delay: 500 },
      // Saved before the path was kept: 3 minutes from the order's start.
      { type: 'arm-time-warning', at: NOW - 30_000 + QR_PATH_MS - QR_TIME_WARNING_MS },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA1' } },
      },
    ]);
    expect(result.snapshot.qrDeadline).to.equal(NOW - 30_000 + QR_PATH_MS);
  });

  it('other device: the saved QR path goes on where it was', () => {
    const qrDeadline = NOW + 100_000;
    const result = run(
      initialSnapshot('other-device'),
      saved({ flow: 'other-device', autoStartToken: null, qrDeadline }),
    );
    expect(result.snapshot.qrDeadline).to.equal(qrDeadline);
    expect(result.effects).to.deep.include({ type: 'arm-time-warning', at: qrDeadline - QR_TIME_WARNING_MS });
    // Nobody scans it: a new code, silently, since the path has time left.
    const missed = run(result.snapshot, failedHint('startFailed', NOW + 30_000));
    expect(missed.snapshot).to.include({ state: 'waiting', restarting: true });
    expect(types(missed.effects)).to.include('start-order');
  });

  it('a live order is not replaced by a resume', () => {
    const before = waiting('other-device');
    expectNothing(before, run(before, saved()));
  });
});

describe('flow: removed from the document', () => {
  it('while waiting or signing: cancels the order with keepalive and goes back to idle', () => {
    for (const before of [waiting('this-device'), run(waiting('other-device'), pending('userSign')).snapshot]) {
      const result = run(before, { type: 'removed', handedOver: false });
      expect(result.snapshot).to.deep.equal(initialSnapshot(before.flow));
      expect(result.effects).to.deep.equal([
        { type: 'stop' },
        { type: 'cancel-order', orderRef: 'order-1', keepalive: true },
        { type: 'forget-order' },
      ]);
      expect(emitted(result.effects)).to.deep.equal([]);
    }
  });

  it('handed over to another element that resumed the same order: only stops, the order lives on', () => {
    const result = run(waiting('this-device'), { type: 'removed', handedOver: true });
    expect(result.snapshot.state).to.equal('idle');
    expect(result.effects).to.deep.equal([{ type: 'stop' }]);
  });

  it('while starting: abandons the start', () => {
    const result = run(starting('other-device'), { type: 'removed', handedOver: false });
    expect(result.snapshot.state).to.equal('idle');
    expect(types(result.effects)).to.include('abandon-start');
    expect(types(result.effects)).to.not.include('cancel-order');
    expect(emitted(result.effects)).to.deep.equal([]);
  });

  it('does nothing when idle or ended', () => {
    for (const before of [
      initialSnapshot('this-device'),
      run(waiting('this-device'), { type: 'cancel' }).snapshot,
      run(waiting('this-device'), failedHint('certificateErr')).snapshot,
      run(waiting('this-device'), collectOk('complete', null)).snapshot,
    ]) {
      expectNothing(before, run(before, { type: 'removed', handedOver: false }));
    }
  });
});

describe('flow: while a silent QR restart is on its way', () => {
  const restarting = () => {
    let snapshot = waiting('other-device');
    snapshot = run(snapshot, failedHint('startFailed')).snapshot;
    expect(snapshot.restarting).to.equal(true);
    return snapshot;
  };

  it('ignores a late collect answer of the old order', () => {
    const before = restarting();
    expectNothing(before, run(before, pending('userSign')));
  });

  it('cancel abandons the start and announces it when the start answers', () => {
    const result = run(restarting(), { type: 'cancel' });
    expect(result.snapshot.state).to.equal('cancelled');
    expect(result.effects).to.deep.equal([{ type: 'stop' }, { type: 'abandon-start', announce: true }]);
  });

  it('a switch supersedes the start in flight', () => {
    const result = run(restarting(), { type: 'switch', flow: 'this-device' });
    expect(result.snapshot).to.include({ state: 'starting', flow: 'this-device', restarting: false });
    expect(result.effects).to.deep.equal([{ type: 'start-order', flow: 'this-device', replace: null }]);
  });

  it('the new order keeps the status line: no bankid-status, a bankid-start', () => {
    const result = run(restarting(), startAnswer({ orderRef: 'order-2', qr: QR1 }));
    expect(emittedNames(result.effects)).to.deep.equal(['bankid-start']);
    expect(result.snapshot).to.include({ state: 'waiting', restarting: false, orderRef: 'order-2', qr: QR1 });
  });
});

describe("flow: the QR path's time (WCAG 2.2.1)", () => {
  const warned = () => run(waiting('other-device'), { type: 'time-warning-due' });

  it('tells the user before the path runs out, once, with the qr-expiring status', () => {
    const result = warned();
    expect(result.snapshot).to.include({ state: 'waiting', timeWarning: true, message: 'RFA1' });
    expect(emitted(result.effects)).to.deep.equal([
      { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'qr-expiring' } },
    ]);
    expectNothing(result.snapshot, run(result.snapshot, { type: 'time-warning-due' }));
  });

  it('"Mer tid" gives 3 minutes from the press, re-arms the warning, keeps the order and says RFA1 again', () => {
    const at = NOW + 160_000;
    const result = run(warned().snapshot, { type: 'more-time', now: at });
    expect(result.snapshot).to.include({
      state: 'waiting',
      orderRef: 'order-1',
      timeWarning: false,
      qrDeadline: at + QR_PATH_MS,
    });
    expect(result.effects).to.deep.equal([
      { type: 'arm-time-warning', at: at + QR_PATH_MS - QR_TIME_WARNING_MS },
      {
        type: 'emit',
        event: { name: 'bankid-status', detail: { status: 'pending', hintCode: null, message: 'RFA1' } },
      },
      { type: 'save-order', ifStillOurs: true },
    ]);
  });

  it('"Mer tid" works again and again: ten presses keep the code for 30 more minutes', () => {
    let snapshot = waiting('other-device');
    let now = NOW;
    for (let press = 1; press <= 10; press++) {
      snapshot = run(snapshot, { type: 'time-warning-due' }).snapshot;
      now = (snapshot.qrDeadline ?? 0) - QR_TIME_WARNING_MS;
      snapshot = run(snapshot, { type: 'more-time', now }).snapshot;
      expect(snapshot.qrDeadline, `press ${press}`).to.equal(now + QR_PATH_MS);
    }
    // An unscanned code just before the last deadline is still replaced silently.
    const missed = run(snapshot, failedHint('startFailed', now + QR_PATH_MS - 1));
    expect(missed.snapshot).to.include({ state: 'waiting', restarting: true });
    expect(now).to.be.greaterThan(NOW + 10 * 150_000 - 1);
  });

  it('without a press, the first code missed after the deadline fails with RFA17B', () => {
    const snapshot = warned().snapshot;
    expectFailed(run(snapshot, failedHint('startFailed', NOW + 50 + QR_PATH_MS)), 'startFailed', 'RFA17B');
  });

  it('the warning goes once the app has the order, and is not given then', () => {
    const scanned = run(warned().snapshot, pending('userSign'));
    expect(scanned.snapshot).to.include({ state: 'signing', timeWarning: false });
    expectNothing(scanned.snapshot, run(scanned.snapshot, { type: 'time-warning-due' }));
    expectNothing(scanned.snapshot, run(scanned.snapshot, { type: 'more-time', now: NOW }));
  });

  it('a silent new order keeps the warning on show and re-arms its timer', () => {
    const restarted = run(warned().snapshot, failedHint('startFailed', NOW + 155_000)).snapshot;
    const next = run(restarted, startAnswer({ orderRef: 'order-2', qr: QR1 }, NOW + 156_000));
    expect(next.snapshot.timeWarning).to.equal(true);
    expect(next.effects).to.deep.include({ type: 'arm-time-warning', at: NOW + 50 + QR_PATH_MS - QR_TIME_WARNING_MS });
    expect(next.effects).to.deep.include({ type: 'save-order', ifStillOurs: true });
  });

  it('the this-device flow has no QR path: no warning, no "Mer tid"', () => {
    const before = waiting('this-device');
    expectNothing(before, run(before, { type: 'time-warning-due' }));
    expectNothing(before, run(before, { type: 'more-time', now: NOW }));
  });
});

describe('flow: an order another tab took over', () => {
  const displaced = (flow: Flow = 'this-device') => {
    const result = run(waiting(flow), { type: 'taken-over' });
    expect(result.snapshot.elsewhere).to.equal(true);
    return result;
  };

  it('stops its timers but lets a collect on its way answer', () => {
    expect(types(displaced().effects)).to.deep.equal(['pause', 'emit']);
  });

  it('a completion that collect brings after the takeover is shown here (the server gives it once)', () => {
    const result = run(displaced().snapshot, collectOk('complete', null, null, { completionData: {} }));
    expect(result.snapshot.state).to.equal('complete');
    expect(emittedNames(result.effects)).to.deep.equal(['bankid-complete']);
    expect(types(result.effects)).to.include('forget-order');
  });

  it("a pending answer or a network failure on its way is the other tab's business", () => {
    const before = displaced().snapshot;
    expectNothing(before, run(before, pending('userSign')));
    expectNothing(before, run(before, collectProblem({ kind: 'network' })));
  });

  it('an unscanned code is not replaced here: the other tab does that', () => {
    const before = displaced('other-device').snapshot;
    const result = run(before, failedHint('startFailed'));
    expect(types(result.effects)).to.not.include('start-order');
  });

  it("cancel() stops this tab only: no request, no event, the order stays the other tab's", () => {
    const result = run(displaced().snapshot, { type: 'cancel' });
    expect(result.snapshot.state).to.equal('idle');
    expect(result.effects).to.deep.equal([{ type: 'stop' }]);
  });

  it('follows the other tab to its new QR order, still displaced', () => {
    const order: SavedOrder = {
      orderRef: 'order-7',
      flow: 'other-device',
      startedAt: NOW + 30_000,
      autoStartToken: null,
      qrDeadline: NOW + 180_000,
      owner: 'other',
    };
    const result = run(displaced('other-device').snapshot, { type: 'followed', order });
    expect(result.snapshot).to.include({ elsewhere: true, orderRef: 'order-7', qrDeadline: NOW + 180_000 });
    expect(result.effects).to.deep.equal([]);
  });

  it('an order that ended in the other tab leaves this one idle, saying so', () => {
    const result = run(displaced().snapshot, { type: 'forgotten-elsewhere' });
    expect(result.snapshot).to.include({ state: 'idle', endedElsewhere: true });
    // A new start forgets that.
    expect(run(result.snapshot, startInput('this-device')).snapshot.endedElsewhere).to.equal(false);
  });
});
