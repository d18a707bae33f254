/**
 * The live order shared by the tabs of the origin (CONTRACT §5): the return from the app that opens
 * a new tab adopts the order, the tab that had it stops and says so, "Fortsätt här" takes it back,
 * and an order that ended is forgotten everywhere. Another tab is played by writing the shared
 * storage and sending the storage event a real tab would cause; test/e2e.test.ts does it with two
 * real documents.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { RESUME_COLLECT_DELAY } from '../src/flow.js';
import {
  API,
  FakeBackend,
  buttonNamed,
  buttonNames,
  computer,
  orderRefOf,
  recordEvents,
  textOf,
  tokenOf,
  installFakes,
  removeFakes,
} from './support.js';

const NOW = Date.parse('2025-03-14T09:30:00Z');
const KEY = `bankid-login:auth:${new URL(API, document.baseURI).href}`;
const ELSEWHERE = 'Inloggningen fortsätter i den andra fliken. Gå dit, eller välj ”Fortsätt här”.';

let clock: sinon.SinonFakeTimers, backend: FakeBackend, open: sinon.SinonStub;
beforeEach(() => ({ clock, backend, open } = installFakes(NOW)));
afterEach(() => removeFakes(clock));

async function mount(flow: 'this-device' | 'other-device' = 'this-device'): Promise<BankIdLogin> {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login api=${API} lang="sv" flow=${flow} .platform=${computer}></bankid-login>`,
  );
  await el.updateComplete;
  return el;
}

async function settle(el: BankIdLogin, ms = 0): Promise<void> {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

const saved = () => JSON.parse(localStorage.getItem(KEY) ?? 'null') as Record<string, unknown> | null;

/** What another tab does to the shared storage, and the event that tells this tab. */
function otherTabWrites(value: Record<string, unknown> | null): void {
  const oldValue = localStorage.getItem(KEY);
  const newValue = value === null ? null : JSON.stringify(value);
  if (newValue === null) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, newValue);
  window.dispatchEvent(new StorageEvent('storage', { key: KEY, oldValue, newValue, storageArea: localStorage }));
}

/** A tab that polls order-1 (this-device, started now). */
async function polling(flow: 'this-device' | 'other-device' = 'this-device') {
  const el = await mount(flow);
  const log = recordEvents(el);
  await el.start();
  await settle(el);
  return { el, log };
}

const adoptedByOtherTab = () => ({ ...saved(), owner: 'other-tab' });

describe('tabs: a new tab adopts the live order', () => {
  it('an element that connects while another tab has the order: no new order, nothing launched, the button at once, then it polls', async () => {
    localStorage.setItem(
      KEY,
      JSON.stringify({
        orderRef: 'order-1',
        flow: 'this-device',
        startedAt: NOW - 5000,
        autoStartToken: tokenOf(1),
        owner: 'other-tab',
      }),
    );
    const el = await mount();
    const log = recordEvents(el);
    expect(saved()?.owner, 'this tab owns it now').to.not.equal('other-tab');
    expect(el.state).to.equal('waiting');
    expect(buttonNames(el)).to.include('Starta BankID säkerhetsprogram');
    await settle(el, RESUME_COLLECT_DELAY);
    expect(backend.calls('collect').map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(backend.calls('auth')).to.deep.equal([]);
    expect(open.called).to.equal(false);
    expect(log.filter((e) => e.type === 'bankid-start')).to.deep.equal([]);
  });
});

describe('tabs: the tab that had the order', () => {
  it('stops polling at once when another tab adopts it, and says the login continues there', async () => {
    const { el, log } = await polling();
    await settle(el, 2000);
    const polled = backend.calls('collect').length;
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    expect(textOf(el)).to.contain(ELSEWHERE);
    expect(buttonNames(el)).to.deep.equal(['Fortsätt här', 'Problem med BankID?']);
    expect(el.state).to.equal('waiting');
    expect(log.filter((e) => e.type === 'bankid-status').at(-1)?.detail).to.deep.equal({
      status: 'pending',
      hintCode: 'outstandingTransaction',
      message: 'other-tab',
    });
    await settle(el, 30_000);
    expect(backend.calls('collect')).to.have.length(polled);
  });

  it('stops within 2 s even when no storage event comes (the next poll checks who owns the order)', async () => {
    const { el } = await polling();
    await settle(el, 2000);
    const polled = backend.calls('collect').length;
    localStorage.setItem(KEY, JSON.stringify(adoptedByOtherTab()));
    await settle(el, 2000);
    expect(backend.calls('collect')).to.have.length(polled);
    expect(textOf(el)).to.contain(ELSEWHERE);
    await settle(el, 10_000);
    expect(backend.calls('collect')).to.have.length(polled);
  });

  it('"Fortsätt här" takes the order back: this tab owns and polls it again, the other tab stops', async () => {
    const { el } = await polling('other-device');
    await settle(el, 1000);
    otherTabWrites(adoptedByOtherTab());
    await settle(el, 5000);
    const polled = backend.calls('collect').length;
    buttonNamed(el, 'Fortsätt här')!.click();
    await settle(el);
    expect(saved()?.owner).to.not.equal('other-tab');
    expect(backend.calls('collect')).to.have.length(polled + 1);
    expect(backend.calls('collect').at(-1)!.body).to.deep.equal({ orderRef: orderRefOf(1) });
    expect(textOf(el)).to.not.contain(ELSEWHERE);
    expect(el.shadowRoot!.querySelector('svg[role=img]') !== null, 'the QR code is back').to.equal(true);
    expect(buttonNames(el)).to.include('Avbryt');
  });

  it('an order that ended in the other tab is forgotten here too: back to the begin button', async () => {
    const { el } = await polling();
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    otherTabWrites(null);
    await settle(el);
    expect(el.state).to.equal('idle');
    expect(buttonNames(el)).to.include('Logga in med BankID');
    expect(textOf(el)).to.contain('Inloggningen har avslutats i den andra fliken. Du kan börja om här.');
    expect(backend.calls('cancel')).to.deep.equal([]);
  });

  it('a newer order in the other tab (a new QR code there): followed, still continuing there', async () => {
    const { el } = await polling();
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    otherTabWrites({ ...adoptedByOtherTab(), orderRef: 'order-from-the-other-tab' });
    await settle(el);
    expect(el.state).to.equal('waiting');
    expect(textOf(el)).to.contain(ELSEWHERE);
    // Taken back, it is the newer order that is polled here.
    buttonNamed(el, 'Fortsätt här')!.click();
    await settle(el);
    expect(backend.calls('collect').at(-1)!.body).to.deep.equal({ orderRef: 'order-from-the-other-tab' });
  });

  it('leaving the page that gave its order away does not cancel it (the other tab polls it)', async () => {
    const { el } = await polling();
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    el.remove();
    await settle(el, 100);
    expect(backend.calls('cancel')).to.deep.equal([]);
    expect(saved()?.owner).to.equal('other-tab');
  });

  it('a storage event about another key, or about this order owned by this tab, changes nothing', async () => {
    const { el } = await polling();
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'something-else', newValue: 'x', storageArea: localStorage }),
    );
    otherTabWrites(saved());
    await settle(el, 2000);
    expect(textOf(el)).to.not.contain(ELSEWHERE);
    expect(backend.calls('collect').length).to.be.greaterThan(0);
  });
});

describe('tabs: the other tab’s order is never harmed', () => {
  it('cancel() in the tab that gave its order away sends nothing and fires nothing', async () => {
    const { el, log } = await polling();
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    el.cancel();
    await settle(el, 100);
    expect(backend.calls('cancel')).to.deep.equal([]);
    expect(log.filter((e) => e.type === 'bankid-cancel')).to.deep.equal([]);
    expect(saved()?.owner, 'the other tab keeps it').to.equal('other-tab');
    expect(el.state).to.equal('idle');
  });

  it('an order ending here does not erase a newer order another tab saved since', async () => {
    const { el } = await polling();
    // Another tab where the user pressed Begin meanwhile.
    const newer = { ...saved(), orderRef: 'order-from-tab-c', owner: 'tab-c' };
    localStorage.setItem(KEY, JSON.stringify(newer));
    el.cancel();
    await settle(el, 100);
    expect(backend.calls('cancel').map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(saved()?.orderRef).to.equal('order-from-tab-c');
  });

  it('a new QR code here does not overwrite a newer order another tab saved since', async () => {
    const { el } = await polling('other-device');
    const newer = { ...saved(), orderRef: 'order-from-tab-c', owner: 'tab-c' };
    localStorage.setItem(KEY, JSON.stringify(newer));
    backend.reply('collect', { json: { orderRef: 'order-1', status: 'failed', hintCode: 'startFailed' } });
    await settle(el, 1000);
    await settle(el);
    expect(backend.calls('auth')).to.have.length(2);
    expect(saved()?.orderRef).to.equal('order-from-tab-c');
  });

  it('a new QR code here replaces this tab’s own saved order', async () => {
    const { el } = await polling('other-device');
    backend.reply('collect', { json: { orderRef: 'order-1', status: 'failed', hintCode: 'startFailed' } });
    await settle(el, 1000);
    await settle(el);
    expect(saved()?.orderRef).to.equal('order-2');
  });

  it('removed before the storage event came: the order another tab adopted is not cancelled', async () => {
    const { el } = await polling();
    // The other tab wrote itself as the owner; this (throttled) tab has not heard yet.
    localStorage.setItem(KEY, JSON.stringify(adoptedByOtherTab()));
    el.remove();
    await settle(el, 100);
    expect(backend.calls('cancel')).to.deep.equal([]);
    expect(saved()?.owner).to.equal('other-tab');
  });

  it('a collect on its way when the other tab takes over still delivers the completion here', async () => {
    const { el, log } = await polling();
    const release = backend.hold('collect');
    backend.reply('collect', { json: { orderRef: 'order-1', status: 'complete', completionData: { user: {} } } });
    await settle(el, 2000);
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    release();
    await settle(el);
    expect(el.state).to.equal('complete');
    expect(log.filter((e) => e.type === 'bankid-complete')).to.have.length(1);
    expect(saved(), 'forgotten for every tab').to.equal(null);
  });

  it('the tab that polls stops when another tab got the end of the order (its collect was on its way)', async () => {
    const { el } = await polling();
    otherTabWrites(adoptedByOtherTab());
    await settle(el);
    // This tab took it back; the other tab's late collect then brought the end and forgot it.
    buttonNamed(el, 'Fortsätt här')!.click();
    await settle(el);
    const polled = backend.calls('collect').length;
    otherTabWrites(null);
    await settle(el, 10_000);
    expect(el.state).to.equal('idle');
    expect(textOf(el)).to.contain('Inloggningen har avslutats i den andra fliken. Du kan börja om här.');
    expect(backend.calls('collect')).to.have.length(polled);
  });

  it('a QR order adopted from another tab keeps its 3-minute path: a missed code is replaced silently', async () => {
    localStorage.setItem(
      KEY,
      JSON.stringify({
        orderRef: 'order-1',
        flow: 'other-device',
        startedAt: NOW - 5000,
        autoStartToken: null,
        qrDeadline: NOW + 120_000,
        owner: 'other-tab',
      }),
    );
    const el = await mount('other-device');
    const log = recordEvents(el);
    backend.reply('collect', { json: { orderRef: 'order-1', status: 'failed', hintCode: 'startFailed' } });
    await settle(el, RESUME_COLLECT_DELAY);
    await settle(el);
    expect(log.filter((e) => e.type === 'bankid-failed')).to.deep.equal([]);
    expect(backend.calls('auth').map((r) => r.body)).to.deep.equal([{ flow: 'other-device' }]);
    expect(el.state).to.equal('waiting');
  });
});
