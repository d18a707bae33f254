/**
 * The live order kept in localStorage: a reload or a return trip from the app picks it up again.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import type { Platform } from '../src/platform.js';
import { qrSymbol } from '../src/qr.js';
import { RESUME_COLLECT_DELAY } from '../src/flow.js';
import {
  API,
  FakeBackend,
  buttonNamed,
  buttonNames,
  computer,
  iphoneSafari,
  qrOf,
  recordEvents,
  textOf,
  tokenOf,
  installFakes,
  removeFakes,
} from './support.js';

const NOW = Date.parse('2025-03-14T09:30:00Z');
const TEN_MINUTES = 10 * 60 * 1000;

let clock: sinon.SinonFakeTimers, backend: FakeBackend, open: sinon.SinonStub;
beforeEach(() => ({ clock, backend, open } = installFakes(NOW)));
afterEach(() => removeFakes(clock));

interface Options {
  flow?: string;
  operation?: string;
  api?: string;
  platform?: Platform;
  startOnConnect?: boolean;
}

/** Connects a new element like a freshly loaded page would, recording its events from the very start. */
async function mount(options: Options = {}) {
  const el = document.createElement('bankid-login');
  el.api = options.api ?? API;
  el.lang = 'sv';
  el.flow = (options.flow ?? 'this-device') as BankIdLogin['flow'];
  el.operation = (options.operation ?? 'auth') as BankIdLogin['operation'];
  el.platform = options.platform ?? computer;
  el.startOnConnect = options.startOnConnect ?? false;
  const log = recordEvents(el);
  const page = await fixture<HTMLDivElement>(html`<div></div>`);
  page.append(el);
  await el.updateComplete;
  return { el, log };
}

async function settle(el: BankIdLogin, ms = 0) {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

const storedKeys = () => Object.keys(localStorage);
const events = (log: ReturnType<typeof recordEvents>, type: string) =>
  log.filter((e) => e.type === type).map((e) => e.detail);

/**
 * A page started an order and went away (a reload or a trip to the app) leaving its saved order behind.
 * The entry is the one the element itself wrote. Returns it, and a mark to read the new page's requests from.
 */
async function orderLeftBehind(options: Options = {}) {
  const { el } = await mount(options);
  await el.start();
  const keys = storedKeys();
  expect(keys, 'one saved order').to.have.length(1);
  const key = keys[0]!;
  const value = localStorage.getItem(key)!;
  // A reload keeps localStorage; removing the element here would forget it, so put it back.
  el.remove();
  await clock.tickAsync(0);
  localStorage.setItem(key, value);
  open.resetHistory();
  const mark = backend.requests.length;
  return { key, value, since: () => backend.requests.slice(mark) };
}

/** The storage key the element uses for this api and operation (discovered, not assumed). */
async function keyFor(options: Options = {}) {
  const { key } = await orderLeftBehind(options);
  localStorage.clear();
  return key;
}

describe('the saved order', () => {
  it('holds the live order under a key naming the api: orderRef, flow and start time', async () => {
    const { el } = await mount();
    await el.start();
    const keys = storedKeys();
    expect(keys).to.have.length(1);
    expect(keys[0]).to.contain(API);
    const saved = JSON.parse(localStorage.getItem(keys[0]!)!);
    expect(saved).to.include({ orderRef: 'order-1', flow: 'this-device', startedAt: NOW });
  });

  it('holds a QR order too, with its flow', async () => {
    const { el } = await mount({ flow: 'other-device' });
    await el.start();
    const saved = JSON.parse(localStorage.getItem(storedKeys()[0]!)!);
    expect(saved).to.include({ orderRef: 'order-1', flow: 'other-device', startedAt: NOW });
  });

  it('is replaced by the new order after a flow switch', async () => {
    const { el } = await mount({ flow: 'other-device' });
    await el.start();
    await settle(el);
    buttonNamed(el, 'BankID på den här datorn')!.click();
    await settle(el);
    expect(storedKeys()).to.have.length(1);
    expect(JSON.parse(localStorage.getItem(storedKeys()[0]!)!)).to.include({
      orderRef: 'order-2',
      flow: 'this-device',
    });
  });

  it('is replaced by the new order after a silent QR restart (startFailed)', async () => {
    backend.reply('collect', { json: { status: 'failed', hintCode: 'startFailed' } });
    const { el } = await mount({ flow: 'other-device' });
    await el.start();
    await settle(el, 1000);
    expect(backend.calls('auth')).to.have.length(2);
    expect(JSON.parse(localStorage.getItem(storedKeys()[0]!)!)).to.include({ orderRef: 'order-2' });
  });
});

describe('after a reload: this-device order', () => {
  it('makes no new order, launches nothing, shows the open-the-app button and collects the same order 500 ms later', async () => {
    const { since } = await orderLeftBehind();
    const { el, log } = await mount();

    expect(buttonNames(el)).to.include('Starta BankID säkerhetsprogram');
    expect(el.state).to.equal('waiting');
    // Not at once: a page woken by the return from the app cannot fetch at first (iOS).
    await settle(el, RESUME_COLLECT_DELAY - 1);
    expect(since()).to.deep.equal([]);
    await settle(el, 1);
    expect(since().map((r) => [r.endpoint, r.body])).to.deep.equal([['collect', { orderRef: 'order-1' }]]);
    expect(events(log, 'bankid-start')).to.deep.equal([]);
    expect(events(log, 'bankid-launch')).to.deep.equal([]);

    await settle(el, 10_000);
    expect(open.called, 'nothing opens by itself').to.equal(false);
    expect(since().filter((r) => r.endpoint === 'auth')).to.deep.equal([]);
    expect(since().every((r) => r.endpoint === 'collect' && r.body.orderRef === 'order-1')).to.equal(true);
    expect(since().length).to.be.greaterThan(1);
  });

  it('the first collect carries headers the page sets after the element connected (a later script)', async () => {
    await orderLeftBehind();
    const { el } = await mount();
    el.headers = { 'X-CSRF-Token': 'late' };
    await settle(el, RESUME_COLLECT_DELAY);
    const first = backend.calls('collect').at(-1)!;
    expect(new Headers(first.init.headers).get('X-CSRF-Token')).to.equal('late');
  });

  it('the button opens the same order’s URL with the same token', async () => {
    await orderLeftBehind();
    const { el, log } = await mount();
    buttonNamed(el, 'Starta BankID säkerhetsprogram')!.click();
    expect(open.callCount).to.equal(1);
    expect(open.firstCall.args[0]).to.equal(`bankid:///?autostarttoken=${tokenOf(1)}&redirect=null`);
    expect(events(log, 'bankid-launch')).to.deep.equal([
      { url: `bankid:///?autostarttoken=${tokenOf(1)}&redirect=null`, trigger: 'button' },
    ]);
  });

  it('return trip on iPhone Safari: nothing launched again, the app button at once', async () => {
    const { since } = await orderLeftBehind({ platform: iphoneSafari });
    const { el, log } = await mount({ platform: iphoneSafari });
    expect(buttonNames(el)).to.include('Starta BankID-appen');
    await settle(el, 6000);
    expect(open.called).to.equal(false);
    expect(events(log, 'bankid-start')).to.deep.equal([]);
    expect(since()[0]!.body).to.deep.equal({ orderRef: 'order-1' });
    expect(since().some((r) => r.endpoint === 'auth')).to.equal(false);
  });

  it('goes on to complete, then the saved order is cleared', async () => {
    const { key } = await orderLeftBehind();
    backend.reply('collect', backend.pending('userSign'), {
      json: { orderRef: 'order-1', status: 'complete', completionData: { user: { personalNumber: '190000000000' } } },
    });
    const { el, log } = await mount();
    await settle(el, RESUME_COLLECT_DELAY);
    expect(el.state).to.equal('signing');
    expect(localStorage.getItem(key)).to.not.equal(null);
    await settle(el, 2000);
    expect(el.state).to.equal('complete');
    expect(events(log, 'bankid-complete').map((d) => d.orderRef)).to.deep.equal(['order-1']);
    expect(localStorage.getItem(key)).to.equal(null);
  });
});

describe('after a reload: QR order', () => {
  it('resumes polling the same order and shows the code from the collect answer', async () => {
    const { since } = await orderLeftBehind({ flow: 'other-device' });
    const { el, log } = await mount({ flow: 'other-device' });
    await settle(el, RESUME_COLLECT_DELAY);
    expect(since().map((r) => [r.endpoint, r.body])).to.deep.equal([['collect', { orderRef: 'order-1' }]]);
    const svg = el.shadowRoot!.querySelector('svg[role=img]');
    expect(svg !== null, 'a QR code is shown').to.equal(true);
    expect(svg!.querySelector('path')!.getAttribute('d')).to.equal(qrSymbol(qrOf(1, 1)).path);
    expect(events(log, 'bankid-start')).to.deep.equal([]);

    // …and keeps the QR pace, with a new frame each time.
    await settle(el, 1000);
    expect(since().map((r) => r.body.orderRef)).to.deep.equal(['order-1', 'order-1']);
    expect(el.shadowRoot!.querySelector('svg[role=img] path')!.getAttribute('d')).to.equal(qrSymbol(qrOf(1, 2)).path);
    expect(open.called).to.equal(false);
  });

  it('resumes the saved flow whatever the new element’s flow attribute says', async () => {
    const { since } = await orderLeftBehind({ flow: 'other-device' });
    const { el } = await mount({ flow: 'this-device' });
    await settle(el, RESUME_COLLECT_DELAY);
    expect(since().map((r) => r.endpoint)).to.deep.equal(['collect']);
    expect(el.shadowRoot!.querySelector('svg[role=img]') !== null, 'a QR code is shown').to.equal(true);
    expect(buttonNames(el)).to.not.include('Starta BankID säkerhetsprogram');
  });
});

describe('an ended order is removed', () => {
  it('failed', async () => {
    backend.reply('collect', { json: { status: 'failed', hintCode: 'expiredTransaction' } });
    const { el } = await mount();
    await el.start();
    expect(storedKeys()).to.have.length(1);
    await settle(el, 2000);
    expect(el.state).to.equal('failed');
    expect(storedKeys()).to.deep.equal([]);
  });

  it('cancelled on the page', async () => {
    const { el } = await mount();
    await el.start();
    await settle(el);
    buttonNamed(el, 'Avbryt')!.click();
    await settle(el);
    expect(el.state).to.equal('cancelled');
    expect(storedKeys()).to.deep.equal([]);
  });

  it('cancelled in the app', async () => {
    backend.reply('collect', { json: { status: 'failed', hintCode: 'userCancel' } });
    const { el } = await mount();
    await el.start();
    await settle(el, 2000);
    expect(el.state).to.equal('cancelled');
    expect(storedKeys()).to.deep.equal([]);
  });

  it('complete', async () => {
    backend.reply('collect', { json: { status: 'complete', orderRef: 'order-1', completionData: {} } });
    const { el } = await mount();
    await el.start();
    await settle(el, 2000);
    expect(el.state).to.equal('complete');
    expect(storedKeys()).to.deep.equal([]);
  });

  it('a reload after the end finds nothing to resume', async () => {
    backend.reply('collect', { json: { status: 'complete', orderRef: 'order-1', completionData: {} } });
    const first = await mount();
    await first.el.start();
    await settle(first.el, 2000);
    const mark = backend.requests.length;
    const { el } = await mount();
    await settle(el, 5000);
    expect(el.state).to.equal('idle');
    expect(backend.requests.slice(mark)).to.deep.equal([]);
  });
});

describe('a saved value that cannot be trusted is ignored and removed', () => {
  /** A saved order with nothing wrong; each case below spoils one thing. */
  const good = (now: number) => ({
    orderRef: 'order-1',
    flow: 'this-device',
    startedAt: now,
    autoStartToken: tokenOf(1),
  });
  const spoiled = (now: number, change: Record<string, unknown>) => JSON.stringify({ ...good(now), ...change });
  const cases: [string, (now: number) => string][] = [
    ['garbage', () => 'not json {'],
    ['JSON that is not an object', () => '"order-1"'],
    ['an orderRef that is not a string', (now) => spoiled(now, { orderRef: 42 })],
    ['an unknown flow', (now) => spoiled(now, { flow: 'sideways' })],
    ['no start time', (now) => spoiled(now, { startedAt: undefined })],
    ['an order older than 10 minutes', (now) => spoiled(now, { startedAt: now - TEN_MINUTES - 1000 })],
  ];
  for (const [name, value] of cases) {
    it(name, async () => {
      const key = await keyFor();
      localStorage.setItem(key, value(Date.now()));
      const mark = backend.requests.length;
      const { el, log } = await mount();
      await settle(el, 5000);
      expect(el.state).to.equal('idle');
      expect(buttonNames(el)).to.include('Logga in med BankID');
      expect(backend.requests.slice(mark)).to.deep.equal([]);
      expect(log.map((e) => e.type)).to.deep.equal([]);
      expect(localStorage.getItem(key)).to.equal(null);
    });
  }

  it('(control: the unspoiled value is resumed)', async () => {
    const key = await keyFor();
    localStorage.setItem(key, JSON.stringify(good(Date.now())));
    const mark = backend.requests.length;
    const { el } = await mount();
    await settle(el, RESUME_COLLECT_DELAY);
    expect(el.state).to.equal('waiting');
    expect(backend.requests.slice(mark).map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
  });

  it('an order just under 10 minutes old is still resumed', async () => {
    const { since } = await orderLeftBehind();
    await clock.tickAsync(TEN_MINUTES - 1000);
    const { el } = await mount();
    await settle(el, RESUME_COLLECT_DELAY);
    expect(el.state).to.equal('waiting');
    expect(since().map((r) => [r.endpoint, r.body])).to.deep.equal([['collect', { orderRef: 'order-1' }]]);
  });

  it('the same order, once older than 10 minutes, is not', async () => {
    const { key, since } = await orderLeftBehind();
    await clock.tickAsync(TEN_MINUTES + 1000);
    const { el } = await mount();
    await settle(el, 3000);
    expect(el.state).to.equal('idle');
    expect(since()).to.deep.equal([]);
    expect(localStorage.getItem(key)).to.equal(null);
  });
});

describe('start-on-connect', () => {
  it('without a saved order, starts a new one', async () => {
    const { el } = await mount({ startOnConnect: true });
    await settle(el);
    expect(backend.calls('auth')).to.have.length(1);
  });

  it('with a saved live order, resumes it instead of making a new one', async () => {
    const { since } = await orderLeftBehind();
    const { el, log } = await mount({ startOnConnect: true });
    await settle(el, 5000);
    expect(since().some((r) => r.endpoint === 'auth')).to.equal(false);
    expect(since()[0]!.body).to.deep.equal({ orderRef: 'order-1' });
    expect(events(log, 'bankid-start')).to.deep.equal([]);
    expect(open.called).to.equal(false);
  });
});

describe('keys per api and operation', () => {
  it('an order saved for sign is not resumed by an auth element, and stays saved', async () => {
    const { key, value, since } = await orderLeftBehind({ operation: 'sign' });
    expect(backend.calls('sign')).to.have.length(1);
    const { el } = await mount({ operation: 'auth' });
    await settle(el, 5000);
    expect(el.state).to.equal('idle');
    expect(since()).to.deep.equal([]);
    expect(localStorage.getItem(key)).to.equal(value);
  });

  it('…but is resumed by a sign element', async () => {
    const { since } = await orderLeftBehind({ operation: 'sign' });
    const { el } = await mount({ operation: 'sign' });
    await settle(el, RESUME_COLLECT_DELAY);
    expect(el.state).to.equal('waiting');
    expect(since().map((r) => [r.endpoint, r.body])).to.deep.equal([['collect', { orderRef: 'order-1' }]]);
  });

  it('an order saved for one api is not resumed by an element with another api', async () => {
    const { key, value, since } = await orderLeftBehind({ api: '/shop/bankid' });
    expect(key).to.contain('/shop/bankid');
    const { el } = await mount({ api: API });
    await settle(el, 5000);
    expect(el.state).to.equal('idle');
    expect(since()).to.deep.equal([]);
    expect(localStorage.getItem(key)).to.equal(value);
  });
});

describe('back from the page cache', () => {
  it('pageshow with persisted: true collects 500 ms later', async () => {
    const { el } = await mount();
    await el.start();
    await settle(el, 500);
    expect(backend.calls('collect')).to.have.length(0);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await settle(el, 499);
    expect(backend.calls('collect')).to.have.length(0);
    await settle(el, 1);
    expect(backend.calls('collect').map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    // The regular pace goes on from that answer, without a second request in between.
    await settle(el, 1999);
    expect(backend.calls('collect')).to.have.length(1);
    await settle(el, 1);
    expect(backend.calls('collect')).to.have.length(2);
  });

  it('pageshow without persisted waits for the regular poll', async () => {
    const { el } = await mount();
    await el.start();
    await settle(el, 500);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    await settle(el);
    expect(backend.calls('collect')).to.have.length(0);
    await settle(el, 1500);
    expect(backend.calls('collect')).to.have.length(1);
  });

  it('pageshow after the order ended asks for nothing', async () => {
    const { el } = await mount();
    await el.start();
    await settle(el);
    buttonNamed(el, 'Avbryt')!.click();
    await settle(el);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await settle(el, 3000);
    expect(backend.calls('collect')).to.have.length(0);
    expect(textOf(el)).to.contain('Inloggningen avbröts.');
  });
});
