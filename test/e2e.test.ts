/**
 * End-to-end: the element logs in through bankid-login/server and bankid-login/simulator
 * (demo/stack.js), mounted on web-test-runner's own origin by web-test-runner.config.js, so the
 * element's cookies flow exactly as on a host site. Real timers, real fetch; the user's BankID app
 * is played through the simulator's app API (its path comes from the config's /__bankid-stack). Only
 * the launcher is stubbed, so nothing navigates. The simulator's pickup window is shortened for
 * these tests (see the config).
 */
import { expect } from '@open-wc/testing';
import sinon from 'sinon';
import { connectStack, decodeFreshQr, decodeRenderedQr, phone, qrSvg, simulatorOrder, until } from './stack.js';
import { bundlePage } from './support.js';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { launcher } from '../src/launcher.js';
import { detectPlatform } from '../src/platform.js';

const computer = detectPlatform({
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QR = /^bankid\.([0-9a-f-]{36})\.(0|[1-9]\d*)\.([0-9a-f]{64})$/;

interface Recorded {
  type: string;
  detail: any;
}

let element: BankIdLogin | null = null;

function mount(flow: 'this-device' | 'other-device'): { el: BankIdLogin; events: Recorded[] } {
  const el = document.createElement('bankid-login');
  el.setAttribute('api', '/api/bankid');
  el.setAttribute('lang', 'sv');
  el.setAttribute('flow', flow);
  el.platform = computer;
  const events: Recorded[] = [];
  for (const type of ['start', 'launch', 'status', 'complete', 'cancel', 'failed']) {
    el.addEventListener(`bankid-${type}`, (event) =>
      events.push({ type: `bankid-${type}`, detail: (event as CustomEvent).detail }),
    );
  }
  document.body.append(el);
  element = el;
  return { el, events };
}

const eventOf = (events: Recorded[], type: string) => events.find((e) => e.type === type);

async function startedOrder(el: BankIdLogin, events: Recorded[]): Promise<string> {
  await el.start();
  const start = await until(() => eventOf(events, 'bankid-start'), 5000, 'bankid-start');
  expect(start.detail.orderRef).to.match(UUID);
  return start.detail.orderRef;
}

/** The autostart token of the element's `bankid-launch` (computer: bankid:///?autostarttoken=…). */
async function launchedToken(events: Recorded[]): Promise<string> {
  const launch = await until(() => eventOf(events, 'bankid-launch'), 5000, 'bankid-launch');
  expect(launch.detail.url).to.match(/^bankid:\/\/\/\?autostarttoken=[0-9a-f-]{36}&redirect=null$/);
  const token = new URL(launch.detail.url).searchParams.get('autostarttoken')!;
  expect(token).to.match(UUID);
  return token;
}

describe('end to end: element → reference backend → BankID simulator', function () {
  this.timeout(20000);
  let pickupTimeoutMs = 0;

  before(async function () {
    this.timeout(30000); // the first request starts the simulator (certificates, TLS)
    pickupTimeoutMs = await connectStack();
    expect(pickupTimeoutMs).to.be.within(2000, 6000);
  });

  beforeEach(async () => {
    localStorage.clear();
    sinon.stub(launcher, 'open');
    await phone('inject', { error: null, delayMs: 0 });
  });

  afterEach(async () => {
    element?.remove(); // cancels a live order (keepalive)
    element = null;
    sinon.restore();
    localStorage.clear();
    await phone('inject', { error: null, delayMs: 0 });
  });

  it('QR flow: the phone scans the rendered QR code, identifies → bankid-complete with the user', async () => {
    const { el, events } = mount('other-device');
    const orderRef = await startedOrder(el, events);
    expect(eventOf(events, 'bankid-start')!.detail.flow).to.equal('other-device');

    const payload = await decodeFreshQr(el);
    expect(payload).to.match(QR);
    const scan = await phone('scan', { payload });
    expect(scan.status, JSON.stringify(scan.json)).to.equal(200);
    expect(scan.json.orderRef).to.equal(orderRef);

    // The element sees the app has the order: the QR code goes away.
    await until(() => el.state === 'signing', 5000, 'state signing');
    await until(() => !qrSvg(el), 2000, 'the QR code to be hidden');

    const identify = await phone('identify', { orderRef });
    expect(identify.json.status).to.equal('complete');
    const complete = await until(() => eventOf(events, 'bankid-complete'), 6000, 'bankid-complete');
    expect(complete.detail.orderRef).to.equal(orderRef);
    expect(complete.detail.response.status).to.equal('complete');
    expect(complete.detail.response.completionData.user.name).to.equal('Tessan Testsson');
    expect(complete.detail.response.completionData.user.personalNumber).to.match(/^\d{12}$/);
    expect(JSON.stringify(complete.detail.response)).not.to.match(/qrStart/);
    expect(el.state).to.equal('complete');
    expect(eventOf(events, 'bankid-failed')).to.equal(undefined);
  });

  it('this device on a computer: the phone opens the launched token, identifies → bankid-complete', async () => {
    const { el, events } = mount('this-device');
    const orderRef = await startedOrder(el, events);
    const token = await launchedToken(events);
    expect((launcher.open as sinon.SinonStub).calledOnce).to.equal(true);
    expect((launcher.open as sinon.SinonStub).firstCall.args[0]).to.equal(eventOf(events, 'bankid-launch')!.detail.url);
    expect(qrSvg(el)).to.equal(null);

    const open = await phone('open', { autoStartToken: token });
    expect(open.status, JSON.stringify(open.json)).to.equal(200);
    expect(open.json.orderRef).to.equal(orderRef);
    await until(() => el.state === 'signing', 5000, 'state signing');

    expect((await phone('identify', { orderRef })).json.status).to.equal('complete');
    const complete = await until(() => eventOf(events, 'bankid-complete'), 6000, 'bankid-complete');
    expect(complete.detail.response.completionData.user.name).to.equal('Tessan Testsson');
    expect(el.state).to.equal('complete');
  });

  it('this device, nobody opens the app: bankid-failed startFailed (RFA17A) after the pickup window', async () => {
    const { el, events } = mount('this-device');
    const orderRef = await startedOrder(el, events);
    await launchedToken(events);
    const t0 = performance.now();
    const failed = await until(() => eventOf(events, 'bankid-failed'), pickupTimeoutMs + 6000, 'bankid-failed');
    expect(performance.now() - t0).to.be.at.least(pickupTimeoutMs - 1000);
    expect(failed.detail).to.deep.equal({ code: 'startFailed', message: 'RFA17A', retryable: true });
    expect(el.state).to.equal('failed');
    expect((await simulatorOrder(orderRef)).hintCode).to.equal('startFailed');
  });

  it('the user cancels in the app: bankid-cancel {source: "app"}, no bankid-failed', async () => {
    const { el, events } = mount('this-device');
    const orderRef = await startedOrder(el, events);
    const token = await launchedToken(events);
    expect((await phone('open', { autoStartToken: token })).status).to.equal(200);
    expect((await phone('cancel', { orderRef })).json.hintCode).to.equal('userCancel');

    const cancel = await until(() => eventOf(events, 'bankid-cancel'), 6000, 'bankid-cancel');
    expect(cancel.detail).to.deep.equal({ orderRef, source: 'app' });
    expect(el.state).to.equal('cancelled');
    expect(eventOf(events, 'bankid-failed')).to.equal(undefined);
  });

  it('maintenance on two collects: the element reconnects, then recovers and completes', async () => {
    const { el, events } = mount('this-device');
    const orderRef = await startedOrder(el, events);
    const token = await launchedToken(events);
    expect((await phone('open', { autoStartToken: token })).status).to.equal(200);
    await until(() => el.state === 'signing', 5000, 'state signing');

    const inject = await phone('inject', { error: 'maintenance', count: 2, endpoints: ['collect'] });
    expect(inject.json).to.include({ error: 'maintenance', count: 2, active: true });

    const statuses = () => events.filter((e) => e.type === 'bankid-status').map((e) => e.detail);
    await until(() => statuses().some((s) => s.status === 'reconnecting'), 6000, 'status reconnecting');
    expect(statuses().find((s) => s.status === 'reconnecting')).to.include({ message: 'reconnecting' });
    expect(el.state, 'the state does not change while reconnecting').to.equal('signing');

    // Both injected faults used up; the next collect answers again.
    await until(async () => (await phone('inject')).json.active === false, 8000, 'the injection to be used up');
    await until(() => statuses().at(-1)?.status === 'pending', 8000, 'status pending again');

    expect((await phone('identify', { orderRef })).json.status).to.equal('complete');
    const complete = await until(() => eventOf(events, 'bankid-complete'), 6000, 'bankid-complete');
    expect(complete.detail.orderRef).to.equal(orderRef);
    expect(eventOf(events, 'bankid-failed')).to.equal(undefined);
  });

  it('a stale QR code (2+ s old) is refused by the phone; the current one is accepted', async () => {
    const { el, events } = mount('other-device');
    const orderRef = await startedOrder(el, events);
    const old = await decodeRenderedQr(await until(() => qrSvg(el) && el, 5000, 'the QR code'));
    const oldTime = Number(QR.exec(old)![2]);

    // Until the simulator's own current code is two seconds newer than the one we photographed.
    await until(
      async () => {
        const order = await simulatorOrder(orderRef);
        return order?.qr && Number(QR.exec(order.qr)![2]) >= oldTime + 2;
      },
      4000,
      'two seconds to pass',
    );
    const stale = await phone('scan', { payload: old });
    expect(stale.status).to.equal(409);
    expect(stale.json).to.include({ ok: false, reason: 'stale' });
    expect((await simulatorOrder(orderRef)).pickedUpBy).to.equal(null);

    const fresh = await phone('scan', {}); // what the page shows now
    expect(fresh.status, JSON.stringify(fresh.json)).to.equal(200);
    expect(fresh.json.orderRef).to.equal(orderRef);
  });

  it("the app's newer steps: a face step, then facialRecognitionFailed → signing with our words, then bankid-failed", async () => {
    const { el, events } = mount('this-device');
    const orderRef = await startedOrder(el, events);
    const token = await launchedToken(events);
    expect((await phone('open', { autoStartToken: token })).status).to.equal(200);
    expect((await phone('show-hint', { hintCode: 'userFace', orderRef })).status).to.equal(200);
    const statuses = () => events.filter((e) => e.type === 'bankid-status').map((e) => e.detail);
    await until(() => statuses().some((s) => s.hintCode === 'userFace'), 6000, 'the userFace hint');
    expect(statuses().find((s) => s.hintCode === 'userFace')).to.include({ message: 'user-face' });
    expect(el.state).to.equal('signing');
    expect(el.shadowRoot!.textContent).to.contain('Titta in i kameran');

    expect((await phone('fail-with', { hintCode: 'facialRecognitionFailed', orderRef })).status).to.equal(200);
    const failed = await until(() => eventOf(events, 'bankid-failed'), 6000, 'bankid-failed');
    expect(failed.detail).to.deep.equal({ code: 'facialRecognitionFailed', message: 'face-failed', retryable: true });
    expect(el.shadowRoot!.textContent).to.contain('kunde inte känna igen ditt ansikte');
  });

  describe('two tabs of one browser (two documents sharing storage)', () => {
    const frames: HTMLIFrameElement[] = [];
    afterEach(() => {
      for (const frame of frames.splice(0)) frame.remove();
    });

    /** A page of the site with the script-tag bundle and the element, as a second tab would load it. */
    async function tab(): Promise<BankIdLogin> {
      const { frame, win } = await bundlePage('sv', {
        body: '<bankid-login api="/api/bankid" flow="other-device"></bankid-login>',
      });
      frames.push(frame);
      return win.document.querySelector('bankid-login') as BankIdLogin;
    }
    const text = (el: BankIdLogin) => (el.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ');
    const button = (el: BankIdLogin, name: string) =>
      [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);

    it('the second tab adopts the order without a new one; the first stops within 2 s; "Fortsätt här"; complete forgets it in both', async () => {
      const first = await tab();
      let orderRef = '';
      first.addEventListener('bankid-start', (event) => (orderRef = (event as CustomEvent).detail.orderRef));
      await first.start();
      await until(() => orderRef, 5000, 'the first tab’s order');
      const ordersBefore = (await phone('orders')).json.orders.length;

      const second = await tab();
      const adoptedAt = performance.now();
      expect(second.state).to.equal('waiting');
      await until(() => text(first).includes('fortsätter i den andra fliken'), 2500, 'the first tab to give way');
      expect(performance.now() - adoptedAt).to.be.below(2500);
      await until(() => second.shadowRoot!.querySelector('svg[role=img]'), 5000, 'the QR code in the second tab');
      expect((await phone('orders')).json.orders.length, 'no new order').to.equal(ordersBefore);

      button(first, 'Fortsätt här')!.click();
      await until(() => text(second).includes('fortsätter i den andra fliken'), 2500, 'the second tab to give way');
      await until(() => first.shadowRoot!.querySelector('svg[role=img]'), 5000, 'the QR code back in the first tab');

      let completed = false;
      first.addEventListener('bankid-complete', () => (completed = true));
      expect((await phone('scan', { orderRef })).status).to.equal(200);
      expect((await phone('identify', { orderRef })).json.status).to.equal('complete');
      await until(() => completed, 8000, 'bankid-complete in the first tab');
      await until(() => second.state === 'idle', 3000, 'the second tab to forget the order');
      expect(text(second)).to.contain('Logga in med BankID');
    });
  });
});
