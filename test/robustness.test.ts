/**
 * Things hosts and frameworks do to the element, and faults of the page itself: focus that must not
 * fall out of the element, a framework replacing the element mid-order, attributes changed mid-order,
 * a launcher that throws, a silent QR restart that must stay silent.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { API, FakeBackend, buttonNamed, computer, recordEvents, installFakes, removeFakes } from './support.js';

let clock: sinon.SinonFakeTimers, backend: FakeBackend, open: sinon.SinonStub;
beforeEach(() => ({ clock, backend, open } = installFakes()));
afterEach(() => removeFakes(clock));

async function mount(flow = 'this-device'): Promise<BankIdLogin> {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login api=${API} lang="sv" flow=${flow} .platform=${computer}></bankid-login>`,
  );
  await settle(el);
  return el;
}

async function settle(el: BankIdLogin, ms = 0) {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

/** The label of the focused button inside the element, or null: a string, so a failure prints briefly. */
const focusedLabel = (el: BankIdLogin) => el.shadowRoot!.activeElement?.textContent?.trim() ?? null;

describe('focus stays in the element when its panel changes', () => {
  it('after "Logga in med BankID" focus moves to the next panel\'s first button', async () => {
    const el = await mount();
    buttonNamed(el, 'Logga in med BankID')!.focus();
    buttonNamed(el, 'Logga in med BankID')!.click();
    await settle(el);
    expect(focusedLabel(el)).to.equal('Avbryt');
  });

  it('Cancel keeps focus from waiting to signing (the same button)', async () => {
    const el = await mount();
    await el.start();
    await settle(el);
    const cancel = buttonNamed(el, 'Avbryt')!;
    cancel.focus();
    backend.reply('collect', backend.pending('userSign'));
    await settle(el, 2000);
    expect(el.state).to.equal('signing');
    expect(buttonNamed(el, 'Avbryt') === cancel).to.equal(true);
    expect(focusedLabel(el)).to.equal('Avbryt');
  });

  it('after a flow switch focus stays on the switch, now offering the way back', async () => {
    const el = await mount('other-device');
    await el.start();
    await settle(el);
    buttonNamed(el, 'BankID på den här datorn')!.focus();
    buttonNamed(el, 'BankID på den här datorn')!.click();
    await settle(el);
    await settle(el);
    expect(el.state).to.equal('waiting');
    expect(focusedLabel(el)).to.equal('BankID på annan enhet');
  });

  it('does not take focus the page has elsewhere', async () => {
    const outside = document.createElement('button');
    document.body.append(outside);
    const el = await mount();
    outside.focus();
    await el.start();
    await settle(el, 2000);
    expect(document.activeElement === outside).to.equal(true);
    outside.remove();
  });
});

describe('the live region', () => {
  it('is in the accessibility tree while empty (idle), so its first message is announced', async () => {
    const el = await mount();
    const region = el.shadowRoot!.querySelector<HTMLElement>('[role=status]')!;
    expect(region.textContent?.trim()).to.equal('');
    expect(getComputedStyle(region).display).to.not.equal('none');
    expect(getComputedStyle(region).visibility).to.not.equal('hidden');
  });
});

describe('a framework replaces the element mid-order', () => {
  it('the new element resumes the order and the old one does not cancel it', async () => {
    const old = await mount();
    await old.start();
    await settle(old, 2000);
    const parent = old.parentElement!;
    const replacement = document.createElement('bankid-login');
    replacement.setAttribute('api', API);
    replacement.setAttribute('lang', 'sv');
    replacement.platform = computer;
    const log = recordEvents(replacement);
    parent.replaceChild(replacement, old);
    await settle(replacement, 0);
    expect(backend.calls('cancel')).to.have.length(0);
    expect(replacement.state).to.equal('waiting');
    expect(backend.calls('auth')).to.have.length(1);
    await settle(replacement, 2000);
    expect(backend.calls('collect').at(-1)!.body).to.deep.equal({ orderRef: 'order-1' });
    expect(log.some((e) => e.type === 'bankid-failed' || e.type === 'bankid-cancel')).to.equal(false);
  });
});

describe('attributes changed mid-order', () => {
  it('the saved order is forgotten under the key it was saved with', async () => {
    const el = await mount();
    await el.start();
    expect(Object.keys(localStorage).filter((k) => k.startsWith('bankid-login:'))).to.have.length(1);
    el.operation = 'sign';
    await settle(el);
    el.cancel();
    expect(Object.keys(localStorage).filter((k) => k.startsWith('bankid-login:'))).to.deep.equal([]);
  });
});

describe('a launcher that throws', () => {
  it('does not stall the order: polling goes on, the button comes, start() resolves', async () => {
    open.throws(new Error('blocked'));
    const error = sinon.stub(console, 'error');
    const el = await mount();
    await el.start();
    await settle(el);
    expect(error.called).to.equal(true);
    await settle(el, 2000);
    expect(backend.calls('collect')).to.have.length(1);
    await settle(el, 3000);
    expect(buttonNamed(el, 'Starta BankID säkerhetsprogram') !== null).to.equal(true);
  });
});

describe('a silent QR restart stays silent', () => {
  it('the state stays waiting, the status line stays, only the code is briefly blank', async () => {
    const el = await mount('other-device');
    const log = recordEvents(el);
    await el.start();
    await settle(el);
    const states: string[] = [];
    el.addEventListener('bankid-start', () => states.push(el.state));
    const statusEvents = () => log.filter((e) => e.type === 'bankid-status').length;
    const before = statusEvents();
    const release = backend.hold('auth');
    backend.reply('collect', { json: { status: 'failed', hintCode: 'startFailed' } });
    await settle(el, 1000);
    expect(el.state).to.equal('waiting');
    expect(el.shadowRoot!.querySelector('[role=status]')!.textContent).to.include('skanna QR-koden');
    // The code's node stays, blank until the new order's code comes.
    expect(el.shadowRoot!.querySelector('svg[role=img] path')!.getAttribute('d')).to.equal('');
    release();
    await settle(el);
    expect(el.shadowRoot!.querySelector('svg[role=img] path')!.getAttribute('d')).to.not.equal('');
    expect(log.filter((e) => e.type === 'bankid-start')).to.have.length(2);
    expect(statusEvents()).to.equal(before);
  });
});

describe('buttons never leave unhandled rejections', () => {
  it('"Logga in med BankID" without api logs an error and nothing else', async () => {
    const error = sinon.stub(console, 'error');
    const el = await fixture<BankIdLogin>(html`<bankid-login lang="sv" .platform=${computer}></bankid-login>`);
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => {
      unhandled.push(event.reason);
      event.preventDefault();
    };
    window.addEventListener('unhandledrejection', onUnhandled);
    buttonNamed(el, 'Logga in med BankID')!.click();
    clock.restore();
    await new Promise((resolve) => setTimeout(resolve, 50));
    window.removeEventListener('unhandledrejection', onUnhandled);
    expect(unhandled).to.deep.equal([]);
    expect(error.called).to.equal(true);
    expect(backend.requests).to.have.length(0);
  });
});

describe('double clicks', () => {
  /** A real double click: two clicks, the second with detail 2. */
  function doubleClick(button: HTMLButtonElement) {
    button.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, detail: 1 }));
    button.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, detail: 2 }));
  }

  it('on "Försök igen" make exactly one new order, in the same flow, whatever button the panel brings', async () => {
    const el = await mount();
    await el.start();
    await settle(el);
    el.cancel();
    await settle(el);
    const retry = buttonNamed(el, 'Försök igen')!;
    retry.click();
    await el.updateComplete;
    // The second click of the double click lands on the new panel's button under the pointer.
    const under = el.shadowRoot!.querySelector<HTMLButtonElement>('.actions button')!;
    under.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, detail: 2 }));
    await settle(el, 3000);
    expect(backend.calls('auth').map((r) => r.body.flow)).to.deep.equal(['this-device', 'this-device']);
    expect(backend.calls('cancel')).to.have.length(1);
    expect(el.state).to.equal('waiting');
  });

  it('on "Logga in med BankID" make one order', async () => {
    const el = await mount();
    doubleClick(buttonNamed(el, 'Logga in med BankID')!);
    await settle(el, 3000);
    expect(backend.calls('auth')).to.have.length(1);
  });
});

describe('nothing moves under the pointer', () => {
  const cancelTop = (el: BankIdLogin) => buttonNamed(el, 'Avbryt')!.getBoundingClientRect().top;

  it('this device: Cancel stays put from starting to waiting and when the open-the-app button appears', async () => {
    const release = backend.hold('auth');
    const el = await mount();
    el.style.width = '340px';
    const started = el.start();
    await settle(el);
    const starting = cancelTop(el);
    release();
    await started;
    await settle(el);
    expect(cancelTop(el)).to.equal(starting);
    await settle(el, 5000);
    expect(buttonNamed(el, 'Starta BankID säkerhetsprogram') !== null).to.equal(true);
    expect(cancelTop(el)).to.equal(starting);
  });

  it('QR flow: Cancel stays put when the code is scanned', async () => {
    const el = await mount('other-device');
    el.style.width = '340px';
    await el.start();
    await settle(el);
    const waiting = cancelTop(el);
    backend.reply('collect', backend.pending('userSign'));
    await settle(el, 1000);
    expect(el.state).to.equal('signing');
    expect(cancelTop(el)).to.equal(waiting);
  });
});

describe('changing operation mid-order', () => {
  it('applies to the next order, not the live one', async () => {
    const el = await mount('other-device');
    await el.start();
    await settle(el);
    el.operation = 'sign';
    backend.reply('collect', backend.pending('userSign'));
    await settle(el, 1000);
    expect(el.shadowRoot!.querySelector('[role=status]')!.textContent).to.include('välj Identifiera');
    backend.reply('collect', { json: { status: 'complete', completionData: {} } });
    await settle(el, 2000);
    expect(el.shadowRoot!.querySelector('[role=status]')!.textContent).to.include('Du är inloggad');
    await el.start();
    expect(backend.calls('sign')).to.have.length(1);
  });
});
