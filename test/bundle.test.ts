/**
 * The script-tag bundle as it ships (minified, our private names shortened): the other tests import
 * src/, so this file drives dist/bankid-login.bundle.js in a frame through its public face only
 * (attributes, properties, methods, events, the shadow DOM a user sees), with a fake backend and fake
 * timers on the frame's window. One pass over each path the build could break.
 */
import { expect } from '@open-wc/testing';
import sinon from 'sinon';
import {
  API,
  FakeBackend,
  androidChrome,
  buttonNamed,
  buttonNames,
  bundlePage,
  computer,
  iphoneSafari,
  orderRefOf,
  textOf,
  tokenOf,
} from './support.js';
import type { BankIdLogin } from '../src/bankid-login.js';

type FrameWindow = Window & typeof globalThis;

interface Page {
  win: FrameWindow;
  el: BankIdLogin;
  backend: FakeBackend;
  clock: sinon.SinonFakeTimers;
  events: { type: string; detail: any }[];
}

const frames: HTMLIFrameElement[] = [];
const clocks: sinon.SinonFakeTimers[] = [];

/** Fakes for a frame's window: its fetch and its timers. */
function fake(win: FrameWindow): { backend: FakeBackend; clock: sinon.SinonFakeTimers } {
  const clock = sinon.useFakeTimers({
    global: win,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  } as Parameters<typeof sinon.useFakeTimers>[0]);
  clocks.push(clock);
  return { backend: new FakeBackend().install(win), clock };
}

/** Records the element's bankid-* events; `bankid-launch` is prevented, so nothing navigates. */
function record(el: Element): Page['events'] {
  const events: Page['events'] = [];
  for (const type of ['start', 'launch', 'status', 'complete', 'cancel', 'failed']) {
    el.addEventListener(`bankid-${type}`, (event) => {
      if (type === 'launch') event.preventDefault();
      events.push({ type, detail: (event as CustomEvent).detail });
    });
  }
  return events;
}

/** A page with the bundle and one element; the element is created once the fakes are in place. */
async function page(lang: 'sv' | 'en', attributes: Record<string, string> = {}, platform = computer): Promise<Page> {
  const { frame, win } = await bundlePage(lang, { style: 'width:800px;height:900px;border:0' });
  frames.push(frame);
  return mount(win, attributes, platform);
}

async function mount(win: FrameWindow, attributes: Record<string, string>, platform = computer): Promise<Page> {
  const { backend, clock } = fake(win);
  const el = win.document.createElement('bankid-login') as BankIdLogin;
  el.setAttribute('api', API);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.platform = platform;
  const events = record(el);
  win.document.body.append(el);
  await settle({ el, clock }, 0);
  return { win, el, backend, clock, events };
}

async function settle({ el, clock }: { el: BankIdLogin; clock: sinon.SinonFakeTimers }, ms = 0): Promise<void> {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

async function press(p: Page, name: string): Promise<void> {
  const button = buttonNamed(p.el, name);
  expect(button !== null, `button "${name}" in [${buttonNames(p.el).join(', ')}]`).to.equal(true);
  button!.click();
  await settle(p);
}

const pathOf = (el: BankIdLogin) => el.shadowRoot!.querySelector('svg.qr path')?.getAttribute('d') ?? null;
const typesOf = (p: Page) => p.events.map((e) => e.type);

describe('the script-tag bundle as shipped', () => {
  afterEach(async () => {
    for (const frame of frames.splice(0)) frame.remove();
    for (const clock of clocks.splice(0)) clock.uninstall();
    sinon.restore();
    localStorage.clear();
  });

  it('QR flow: begin, a code that changes every second, the steps, cancel', async () => {
    const p = await page('sv', { flow: 'other-device' });
    await press(p, 'Logga in med BankID');
    expect(p.backend.calls('auth').map((r) => r.body)).to.deep.equal([{ flow: 'other-device' }]);
    expect(textOf(p.el)).to.contain('Öppna BankID-appen i din mobil eller surfplatta och skanna QR-koden.');
    expect(textOf(p.el)).to.contain('Rikta kameran mot QR-koden här.');
    const first = pathOf(p.el);
    expect(first).to.be.a('string').and.not.equal('');
    await settle(p, 1000);
    expect(p.backend.calls('collect').map((r) => r.body)).to.deep.equal([{ orderRef: orderRefOf(1) }]);
    expect(pathOf(p.el)).to.not.equal(first);
    await press(p, 'Avbryt');
    expect(p.backend.calls('cancel').map((r) => r.body)).to.deep.equal([{ orderRef: orderRefOf(1) }]);
    expect(p.el.state).to.equal('cancelled');
    expect(typesOf(p)).to.include.members(['start', 'cancel']);
    expect(p.events.find((e) => e.type === 'start')!.detail).to.deep.equal({
      orderRef: orderRefOf(1),
      flow: 'other-device',
    });
    expect(p.events.find((e) => e.type === 'cancel')!.detail).to.deep.equal({
      orderRef: orderRefOf(1),
      source: 'page',
    });
    expect(p.events.find((e) => e.type === 'status')!.detail).to.deep.equal({
      status: 'pending',
      hintCode: null,
      message: 'RFA1',
    });
    const init = p.backend.calls('collect')[0]!.init;
    expect([init.method, init.credentials]).to.deep.equal(['POST', 'same-origin']);
    expect(new Headers(init.headers).get('content-type')).to.equal('application/json');
    const collects = p.backend.calls('collect').length;
    await settle(p, 5000);
    expect(p.backend.calls('collect'), 'nothing polled after cancel').to.have.length(collects);
  });

  it('QR flow: "Mer tid" 30 s before the 3 minutes run out gives 3 more', async () => {
    const p = await page('sv', { flow: 'other-device' });
    await press(p, 'Logga in med BankID');
    await settle(p, 149_000);
    expect(buttonNames(p.el)).to.not.include('Mer tid');
    await settle(p, 2000);
    expect(textOf(p.el)).to.contain('Tiden för att skanna QR-koden är snart slut.');
    await press(p, 'Mer tid');
    expect(buttonNames(p.el)).to.not.include('Mer tid');
    expect(p.el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Större QR-kod');
    await settle(p, 60_000);
    expect(p.el.state).to.equal('waiting');
  });

  it('this device on a computer: the launch URL, then complete with the answer in the event', async () => {
    const p = await page('en', { flow: 'this-device' });
    await press(p, 'Log in with BankID');
    const launch = p.events.find((e) => e.type === 'launch')!.detail;
    expect(launch).to.deep.equal({ url: `bankid:///?autostarttoken=${tokenOf(1)}&redirect=null`, trigger: 'auto' });
    p.backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'complete', user: { name: 'A' } } });
    await settle(p, 2000);
    expect(p.el.state).to.equal('complete');
    expect(textOf(p.el)).to.contain("Done! You're logged in.");
    expect(p.events.find((e) => e.type === 'complete')!.detail).to.deep.equal({
      orderRef: orderRefOf(1),
      response: { orderRef: orderRefOf(1), status: 'complete', user: { name: 'A' } },
    });
  });

  it('Android: this device by default, the app link, and the switch to another device', async () => {
    const p = await page('sv', {}, androidChrome);
    await press(p, 'Logga in med BankID');
    // Chrome on Android opens an app only from a tap: no automatic try, the button at once.
    expect(typesOf(p)).to.not.include('launch');
    await press(p, 'Starta BankID-appen');
    expect(p.events.find((e) => e.type === 'launch')!.detail).to.deep.equal({
      url: `https://app.bankid.com/?autostarttoken=${tokenOf(1)}&redirect=null`,
      trigger: 'button',
    });
    await press(p, 'BankID på annan enhet');
    expect(p.backend.calls('cancel').map((r) => r.body)).to.deep.equal([{ orderRef: orderRefOf(1) }]);
    expect(p.backend.calls('auth').map((r) => r.body.flow)).to.deep.equal(['this-device', 'other-device']);
  });

  it('a failure says so, "Försök igen" gets focus and starts again', async () => {
    const p = await page('sv', { flow: 'other-device' });
    await press(p, 'Logga in med BankID');
    p.backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'failed', hintCode: 'certificateErr' } });
    await settle(p, 1000);
    expect(p.el.state).to.equal('failed');
    expect(p.events.find((e) => e.type === 'failed')!.detail).to.deep.equal({
      code: 'certificateErr',
      message: 'RFA16',
      retryable: true,
    });
    expect(textOf(p.el)).to.contain('Ditt BankID är spärrat eller för gammalt.');
    expect(p.el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Försök igen');
    await press(p, 'Försök igen');
    expect(p.backend.calls('auth')).to.have.length(2);
    expect(p.el.state).to.equal('waiting');
  });

  it('a lost connection: "reconnecting", then the code again', async () => {
    const p = await page('en', { flow: 'other-device' });
    await press(p, 'Log in with BankID');
    p.backend.reply('collect', { networkError: true });
    await settle(p, 1000);
    expect(textOf(p.el)).to.contain('Connection lost for a moment. Reconnecting…');
    const stale = pathOf(p.el);
    await settle(p, 1000); // the first retry, 1 s after the failure, answers
    expect(textOf(p.el)).to.contain('Open the BankID app on your phone or tablet and scan the QR code.');
    expect(pathOf(p.el)).to.be.a('string').and.not.equal(stale);
  });

  it('the help, the larger code and a reworded label', async () => {
    const p = await page('sv', { flow: 'other-device', messages: '{"label-begin":"Logga in på Mina sidor"}' });
    await press(p, 'Logga in på Mina sidor');
    await press(p, 'Större QR-kod');
    expect(buttonNames(p.el)).to.include('Mindre QR-kod');
    await press(p, 'Problem med BankID?');
    expect(textOf(p.el)).to.contain('Vanliga orsaker');
    const toggle = p.el.shadowRoot!.querySelector('[data-action="help"]')!;
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
  });

  it('iPhone Safari: the page to return to goes with the start and in the launch URL', async () => {
    const p = await page('sv', { 'return-url': '/logga-in?steg=2' }, iphoneSafari);
    await press(p, 'Logga in med BankID');
    const returnUrl = new URL('/logga-in?steg=2', location.href).href;
    expect(p.backend.calls('auth').map((r) => r.body)).to.deep.equal([{ flow: 'this-device', returnUrl }]);
    expect(p.events.find((e) => e.type === 'launch')!.detail).to.deep.equal({
      url: `https://app.bankid.com/?autostarttoken=${tokenOf(1)}&redirect=${encodeURIComponent(returnUrl)}`,
      trigger: 'auto',
    });
  });

  it('a reload resumes the order from where it was (no new start)', async () => {
    const p = await page('sv', { flow: 'other-device' });
    await press(p, 'Logga in med BankID');
    await settle(p, 1000);
    // What other tabs and the next build read: the stored names must not be shortened.
    const stored = Object.keys(localStorage).map((key) => JSON.parse(localStorage.getItem(key)!));
    expect(stored).to.have.length(1);
    expect(stored[0]).to.include({ orderRef: orderRefOf(1), flow: 'other-device', autoStartToken: null });
    expect(Object.keys(stored[0]).sort()).to.deep.equal(
      ['autoStartToken', 'flow', 'orderRef', 'owner', 'qrDeadline', 'startedAt'].sort(),
    );
    // The page goes away without a cancel, as a reload does (pagehide never cancels).
    const frame = frames[0]!;
    clocks.pop()!.uninstall();
    const reloaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    frame.contentWindow!.location.reload();
    await reloaded;
    const win = frame.contentWindow as FrameWindow;
    await win.customElements.whenDefined('bankid-login');
    const again = await mount(win, { flow: 'other-device' });
    expect(again.backend.calls('auth')).to.have.length(0);
    await settle(again, 1000);
    expect(again.backend.calls('collect').map((r) => r.body)).to.deep.equal([{ orderRef: orderRefOf(1) }]);
    expect(again.el.state).to.equal('waiting');
    expect(pathOf(again.el)).to.be.a('string').and.not.equal('');
  });
});
