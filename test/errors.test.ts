/**
 * CONTRACT §4's outcome table, seen from the page: what each failure of the host backend or of the
 * order does to the element (events, state, text, focus, what is launched, which requests go), and
 * that nothing the network sends can break the element or become HTML.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { _resetSecretWarningForTests } from '../src/backend.js';
import {
  API,
  FakeBackend,
  buttonNamed,
  buttonNames,
  computer,
  qrOf,
  recordEvents,
  textOf,
  tokenOf,
  type Reply,
  installFakes,
  removeFakes,
} from './support.js';

let clock: sinon.SinonFakeTimers, backend: FakeBackend, open: sinon.SinonStub;
beforeEach(() => ({ clock, backend, open } = installFakes()));
afterEach(() => removeFakes(clock));

// ---------------------------------------------------------------------------------------------
// Helpers

type Log = ReturnType<typeof recordEvents>;
type Lang = 'sv' | 'en';

interface MountOptions {
  flow?: 'this-device' | 'other-device';
  lang?: Lang;
  operation?: 'auth' | 'sign';
}

async function settle(el: BankIdLogin): Promise<void> {
  await clock.tickAsync(0);
  await el.updateComplete;
  await el.updateComplete;
}

async function mount({ flow = 'this-device', lang = 'sv', operation = 'auth' }: MountOptions = {}) {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login
      api=${API}
      lang=${lang}
      flow=${flow}
      operation=${operation}
      .platform=${computer}
    ></bankid-login>`,
  );
  const log = recordEvents(el);
  await settle(el);
  return { el, log };
}

/** Mounts and starts an order; the start answer has been handled when this returns (t = 0). */
async function startOrder(options: MountOptions = {}) {
  const mounted = await mount(options);
  await mounted.el.start();
  await settle(mounted.el);
  return mounted;
}

async function advance(el: BankIdLogin, ms: number): Promise<void> {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

async function advanceTo(el: BankIdLogin, time: number): Promise<void> {
  await advance(el, time - clock.now);
}

const details = (log: Log, type: string) => log.filter((e) => e.type === `bankid-${type}`).map((e) => e.detail);
const collects = () => backend.calls('collect').length;
const endpoints = () => backend.requests.map((r) => r.endpoint);

const retryLabel = (lang: Lang) => (lang === 'sv' ? 'Försök igen' : 'Try again');

/** The failure panel's Try again button is there and has the focus. */
function expectRetryFocused(el: BankIdLogin, lang: Lang = 'sv'): void {
  const retry = buttonNamed(el, retryLabel(lang));
  expect(buttonNames(el), 'the buttons').to.include(retryLabel(lang));
  // Compared as names and a boolean: a failing assertion must not try to print DOM nodes.
  const focused = el.shadowRoot!.activeElement;
  expect(focused?.textContent?.trim() ?? null, 'the focused element').to.equal(retryLabel(lang));
  expect(focused === retry, 'focus on the Try again button').to.equal(true);
}

/** hrefs of the links a user can see (the closed help section left out). */
function visibleLinks(el: BankIdLogin): string[] {
  return [...el.shadowRoot!.querySelectorAll('a')]
    .filter((a) => a.checkVisibility())
    .map((a) => a.getAttribute('href') ?? '');
}

/** Elements that could only have come from markup sent by the network. */
function injected(el: BankIdLogin): number {
  return el.shadowRoot!.querySelectorAll('img, b, script, iframe').length + el.querySelectorAll('*').length;
}

const pendingBody = (hintCode: string, orderRef = 'order-1') => ({ json: { orderRef, status: 'pending', hintCode } });
const failedBody = (hintCode: string, orderRef = 'order-1') => ({ json: { orderRef, status: 'failed', hintCode } });
const completeBody = (orderRef = 'order-1') => ({
  json: {
    orderRef,
    status: 'complete',
    completionData: { user: { personalNumber: '190000000000', name: 'Test Testsson' } },
  },
});

const launchUrlOf = (n: number) => `bankid:///?autostarttoken=${tokenOf(n)}&redirect=null`;

const TEXT = {
  RFA5: { sv: 'Något gick fel. Försök igen.', en: 'Something went wrong. Please try again.' },
  RFA4: {
    sv: 'Du har redan en identifiering eller underskrift på gång. Slutför eller avbryt den i BankID och försök sedan igen.',
    en: 'An identification or signing is already in progress for you. Finish or cancel it in BankID, then try again.',
  },
  RFA22: { sv: 'Ett okänt fel uppstod. Försök igen.', en: 'An unknown error occurred. Please try again.' },
  RFA3: {
    sv: 'Åtgärden avbröts eftersom en ny identifiering eller underskrift startades. Försök igen.',
    en: 'Cancelled because another identification or signing was started. Please try again.',
  },
  RFA8: {
    sv: 'BankID svarade inte i tid. Kontrollera att BankID är igång och har internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen.',
    en: "BankID didn't respond in time. Check that BankID is running and connected to the internet. If you don't have a valid BankID, you can get one from your bank. Then try again.",
  },
  RFA16: {
    sv: 'Ditt BankID är spärrat eller för gammalt. Använd ett annat BankID eller skaffa ett nytt hos din bank.',
    en: 'Your BankID is blocked or too old. Use another BankID or get a new one from your bank.',
  },
  RFA17A: {
    sv: 'BankID säkerhetsprogram verkar inte finnas på den här datorn, eller så är det för gammalt. Installera den senaste versionen på install.bankid.com.',
    en: 'The BankID Security Application seems to be missing on this computer, or it is too old. Install the latest version at install.bankid.com.',
  },
  updateApp: {
    sv: 'BankID säkerhetsprogram behöver uppdateras. Installera den senaste versionen på install.bankid.com och försök sedan igen.',
    en: 'The BankID Security Application needs to be updated. Install the latest version at install.bankid.com, then try again.',
  },
  updateAppOnPhone: {
    sv: 'BankID-appen behöver uppdateras. Uppdatera den i din appbutik eller på install.bankid.com och försök sedan igen.',
    en: 'The BankID app needs to be updated. Update it in your app store or at install.bankid.com, then try again.',
  },
  reconnecting: {
    sv: 'Anslutningen bröts tillfälligt. Försöker ansluta igen…',
    en: 'Connection lost for a moment. Reconnecting…',
  },
  RFA6auth: { sv: 'Inloggningen avbröts.', en: 'Login was cancelled.' },
} as const;

const HTML_PAGE =
  '<!doctype html><html><body><h1>502 Bad Gateway</h1><img src=x onerror=alert(1)><b>proxy</b></body></html>';

// ---------------------------------------------------------------------------------------------

describe('a start request that fails', () => {
  interface StartRow {
    name: string;
    reply: Reply;
    code: string;
    message: 'RFA5' | 'RFA4' | 'RFA22';
    langs?: Lang[];
  }
  const rows: StartRow[] = [
    { name: 'a network error', reply: { networkError: true }, code: 'network', message: 'RFA5', langs: ['sv', 'en'] },
    {
      name: '500 internalError',
      reply: { status: 500, json: { errorCode: 'internalError' } },
      code: 'internalError',
      message: 'RFA5',
    },
    { name: '503 with no body', reply: { status: 503, text: '' }, code: 'network', message: 'RFA5' },
    {
      name: '400 alreadyInProgress',
      reply: { status: 400, json: { errorCode: 'alreadyInProgress' } },
      code: 'alreadyInProgress',
      message: 'RFA4',
      langs: ['sv', 'en'],
    },
    {
      name: '400 invalidParameters',
      reply: { status: 400, json: { errorCode: 'invalidParameters' } },
      code: 'invalidParameters',
      message: 'RFA22',
    },
    { name: '429 with no body', reply: { status: 429, text: '' }, code: 'network', message: 'RFA5' },
    { name: '403 with no body', reply: { status: 403, text: '' }, code: 'http-403', message: 'RFA22' },
    { name: '200 with an HTML page', reply: { text: HTML_PAGE }, code: 'invalid-response', message: 'RFA22' },
    { name: '200 with []', reply: { json: [] }, code: 'invalid-response', message: 'RFA22' },
    { name: '200 with {}', reply: { json: {} }, code: 'invalid-response', message: 'RFA22' },
    {
      name: '200 with the token "abc"',
      reply: { json: { orderRef: 'order-1', autoStartToken: 'abc' } },
      code: 'invalid-response',
      message: 'RFA22',
    },
    {
      name: '200 with a token of markup',
      reply: { json: { orderRef: 'order-1', autoStartToken: '<img src=x onerror=alert(1)>' } },
      code: 'invalid-response',
      message: 'RFA22',
    },
    {
      name: '200 without a token for this device',
      reply: { json: { orderRef: 'order-1' } },
      code: 'invalid-response',
      message: 'RFA22',
    },
  ];

  for (const row of rows) {
    for (const lang of row.langs ?? ['sv']) {
      it(`${row.name} → ${row.code} / ${row.message}, Try again focused, nothing launched (${lang})`, async () => {
        backend.reply('auth', row.reply);
        const { el, log } = await mount({ lang });
        await el.start(); // never rejects for backend problems
        await settle(el);

        expect(details(log, 'failed')).to.deep.equal([{ code: row.code, message: row.message, retryable: true }]);
        expect(el.state).to.equal('failed');
        expect(textOf(el)).to.include(TEXT[row.message][lang]);
        expectRetryFocused(el, lang);
        expect(buttonNames(el)).to.not.include(lang === 'sv' ? 'Avbryt' : 'Cancel');

        expect(open.called, 'launcher.open').to.equal(false);
        expect(details(log, 'launch')).to.deep.equal([]);
        expect(details(log, 'start')).to.deep.equal([]);
        expect(injected(el)).to.equal(0);

        await advance(el, 60_000);
        expect(endpoints(), 'nothing after the failed start').to.deep.equal(['auth']);
        expect(details(log, 'failed')).to.have.length(1);
      });
    }
  }

  it('that hangs fails with network / RFA5 at the 10 s deadline, and the request is aborted', async () => {
    backend.reply('auth', { hang: true });
    const { el, log } = await mount();
    let settled = false;
    const run = el.start().then(() => (settled = true));

    await advance(el, 9_999);
    expect(el.state).to.equal('starting');
    expect(details(log, 'failed')).to.deep.equal([]);
    expect(settled, 'start() still pending').to.equal(false);
    expect(backend.calls('auth')[0]!.init.signal!.aborted).to.equal(false);

    await advance(el, 1);
    await run;
    await settle(el);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'network', message: 'RFA5', retryable: true }]);
    expect(el.state).to.equal('failed');
    expect(backend.calls('auth')[0]!.init.signal!.aborted, 'the start request is aborted').to.equal(true);
    expect(textOf(el)).to.include(TEXT.RFA5.sv);
    expectRetryFocused(el);
    expect(open.called).to.equal(false);

    await advance(el, 60_000);
    expect(endpoints()).to.deep.equal(['auth']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('collect faults that may pass', () => {
  interface Fault {
    name: string;
    reply: Reply;
    /** The bankid-failed code if it never passes. */
    code: string;
  }
  const faults: Fault[] = [
    { name: 'a network error', reply: { networkError: true }, code: 'network' },
    { name: '500 internalError', reply: { status: 500, json: { errorCode: 'internalError' } }, code: 'internalError' },
    { name: '503 maintenance', reply: { status: 503, json: { errorCode: 'maintenance' } }, code: 'maintenance' },
    { name: '200 with a proxy HTML page', reply: { text: HTML_PAGE }, code: 'network' },
    { name: '200 JSON of a wrong shape', reply: { json: { state: 'ok', orders: [] } }, code: 'network' },
  ];
  const tooMany: Fault = {
    name: '429 with Retry-After: 5',
    reply: { status: 429, json: { errorCode: 'tooManyRequests' }, headers: { 'Retry-After': '5' } },
    code: 'tooManyRequests',
  };

  /**
   * Starts an order whose first collect (t = 2 s) is a good pending answer and whose later
   * collects fail with `fault`; returns at the first failed answer, t0 = 4 s.
   */
  async function failingFromT0(fault: Reply, options: MountOptions = {}) {
    backend.reply('collect', pendingBody('outstandingTransaction'));
    backend.defaults.collect = fault;
    const mounted = await startOrder(options);
    await advance(mounted.el, 2000);
    expect(collects()).to.equal(1);
    await advance(mounted.el, 2000);
    expect(collects()).to.equal(2);
    return { ...mounted, t0: clock.now };
  }

  /** No retry at t0 + ms − 1, exactly one at t0 + ms. */
  async function expectRetryAt(el: BankIdLogin, t0: number, ms: number): Promise<void> {
    const n = collects();
    await advanceTo(el, t0 + ms - 1);
    expect(collects(), `no retry before t0 + ${ms} ms`).to.equal(n);
    await advanceTo(el, t0 + ms);
    expect(collects(), `a retry at t0 + ${ms} ms`).to.equal(n + 1);
  }

  for (const fault of [...faults, tooMany]) {
    it(`${fault.name}: status reconnecting, the calm line, Cancel stays, no failure`, async () => {
      const { el, log } = await failingFromT0(fault.reply);
      const statuses = () => details(log, 'status');
      const reconnecting = { status: 'reconnecting', message: 'reconnecting', hintCode: 'outstandingTransaction' };
      expect(statuses().at(-1)).to.deep.equal(reconnecting);
      expect(el.state).to.equal('waiting');
      expect(textOf(el)).to.include(TEXT.reconnecting.sv);
      expect(textOf(el)).to.not.include(TEXT.RFA5.sv);
      expect(buttonNames(el)).to.include('Avbryt');
      expect(buttonNames(el)).to.not.include('Försök igen');
      expect(details(log, 'failed')).to.deep.equal([]);
      expect(injected(el)).to.equal(0);

      // More failed retries change nothing the user or host sees.
      await advance(el, 15_000);
      expect(collects(), 'retries went').to.be.greaterThan(2);
      expect(statuses().filter((s) => s.status === 'reconnecting')).to.deep.equal([reconnecting]);
      expect(el.state).to.equal('waiting');
      expect(textOf(el)).to.include(TEXT.reconnecting.sv);
      expect(buttonNames(el)).to.include('Avbryt');
      expect(details(log, 'failed')).to.deep.equal([]);
      expect(open.callCount, 'nothing launched again').to.equal(1);
    });
  }

  for (const fault of faults) {
    it(`${fault.name}: retries 1, 2, 4, 8 s after each failed answer, fails at exactly t0 + 20 s with ${fault.code} / RFA5`, async () => {
      const { el, log, t0 } = await failingFromT0(fault.reply);
      await expectRetryAt(el, t0, 1000);
      await expectRetryAt(el, t0, 3000);
      await expectRetryAt(el, t0, 7000);
      await expectRetryAt(el, t0, 15_000);

      await advanceTo(el, t0 + 19_999);
      expect(details(log, 'failed'), 'not yet at t0 + 19 999 ms').to.deep.equal([]);
      expect(el.state).to.equal('waiting');

      await advanceTo(el, t0 + 20_000);
      expect(details(log, 'failed')).to.deep.equal([{ code: fault.code, message: 'RFA5', retryable: true }]);
      expect(el.state).to.equal('failed');
      expect(textOf(el)).to.include(TEXT.RFA5.sv);
      expect(textOf(el)).to.not.include(TEXT.reconnecting.sv);
      expect(buttonNames(el)).to.not.include('Avbryt');
      expectRetryFocused(el);

      const sent = backend.requests.length;
      await advance(el, 60_000);
      expect(backend.requests.length, 'no request after the failure').to.equal(sent);
    });
  }

  it('keeps retrying every 8 s from the fourth failure on', async () => {
    const { el } = await failingFromT0({ networkError: true });
    // Coming back online collects at once: four quick failures in a row (attempts 2–5).
    for (let i = 0; i < 4; i++) {
      window.dispatchEvent(new Event('online'));
      await settle(el);
    }
    expect(collects()).to.equal(6);
    const t = clock.now;
    await expectRetryAt(el, t, 8000);
    await expectRetryAt(el, t, 16_000);
  });

  it('429 with Retry-After: 5 waits 5 s for the next retry, then back to the usual pace', async () => {
    const { el, log, t0 } = await failingFromT0(tooMany.reply);
    backend.defaults.collect = { networkError: true };
    await expectRetryAt(el, t0, 5000); // instead of 1 s
    await expectRetryAt(el, t0, 7000); // the 2nd failure: 2 s after its answer
    await expectRetryAt(el, t0, 11_000);
    await advanceTo(el, t0 + 20_000);
    // The last errorCode the backend sent.
    expect(details(log, 'failed')).to.deep.equal([{ code: 'tooManyRequests', message: 'RFA5', retryable: true }]);
  });

  it('429 with Retry-After: 5 every time: 5, 5, 5 s, and still fails at t0 + 20 s', async () => {
    const { el, log, t0 } = await failingFromT0(tooMany.reply);
    await expectRetryAt(el, t0, 5000);
    await expectRetryAt(el, t0, 10_000);
    await expectRetryAt(el, t0, 15_000);
    await advanceTo(el, t0 + 19_999);
    expect(details(log, 'failed')).to.deep.equal([]);
    await advanceTo(el, t0 + 20_000);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'tooManyRequests', message: 'RFA5', retryable: true }]);
  });

  it('recovers on a good answer: status pending, 2 s polling again, no failure later', async () => {
    backend.reply(
      'collect',
      pendingBody('outstandingTransaction'),
      { networkError: true },
      { status: 503, json: { errorCode: 'maintenance' } },
    );
    const { el, log } = await startOrder();
    await advance(el, 4000); // t0 = 4 s: first failure
    await advance(el, 1000); // 5 s: second failure
    expect(textOf(el)).to.include(TEXT.reconnecting.sv);
    const before = details(log, 'status').length;

    await advance(el, 2000); // 7 s: a good answer
    expect(collects()).to.equal(4);
    expect(details(log, 'status').slice(before)).to.deep.equal([
      { status: 'pending', hintCode: 'outstandingTransaction', message: 'RFA13' },
    ]);
    expect(textOf(el)).to.not.include(TEXT.reconnecting.sv);
    expect(el.state).to.equal('waiting');

    await advance(el, 1999);
    expect(collects(), 'the normal 2 s pace').to.equal(4);
    await advance(el, 1);
    expect(collects()).to.equal(5);

    await advance(el, 30_000); // well past t0 + 20 s
    expect(details(log, 'failed')).to.deep.equal([]);
    expect(el.state).to.equal('waiting');
    expect(collects(), 'every 2 s').to.equal(20);
  });

  it('a second outage after a recovery gets its own 20 s', async () => {
    // Good at 2 s, fails at t0 = 4 s, good at 5 s, fails again from t1 = 7 s on.
    backend.reply(
      'collect',
      pendingBody('outstandingTransaction'),
      { networkError: true },
      pendingBody('outstandingTransaction'),
    );
    backend.defaults.collect = { status: 503, json: { errorCode: 'maintenance' } };
    const { el, log } = await startOrder();
    await advanceTo(el, 7000);
    expect(collects()).to.equal(4);
    expect(details(log, 'status').filter((s) => s.status === 'reconnecting')).to.have.length(2);

    await advanceTo(el, 26_999); // past t0 + 20 s
    expect(details(log, 'failed')).to.deep.equal([]);
    expect(el.state).to.equal('waiting');
    await advanceTo(el, 27_000); // t1 + 20 s
    expect(details(log, 'failed')).to.deep.equal([{ code: 'maintenance', message: 'RFA5', retryable: true }]);
  });

  it('a failure while signing keeps the state signing and the Cancel button', async () => {
    backend.reply('collect', pendingBody('userSign'));
    backend.defaults.collect = { networkError: true };
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(el.state).to.equal('signing');
    await advance(el, 2000);
    expect(details(log, 'status').at(-1)).to.deep.equal({
      status: 'reconnecting',
      message: 'reconnecting',
      hintCode: 'userSign',
    });
    expect(el.state).to.equal('signing');
    expect(textOf(el)).to.include(TEXT.reconnecting.sv);
    expect(buttonNames(el)).to.include('Avbryt');
  });

  it('shows the reconnecting line in English', async () => {
    const { el } = await failingFromT0({ networkError: true }, { lang: 'en' });
    expect(textOf(el)).to.include(TEXT.reconnecting.en);
    expect(buttonNames(el)).to.include('Cancel');
  });

  it('a collect in flight at t0 + 20 s is aborted, and nothing more is sent', async () => {
    const maintenance: Reply = { status: 503, json: { errorCode: 'maintenance' } };
    // Fails at t0 = 4 s, 5 s, 7 s, 11 s; the retry at 19 s hangs.
    backend.reply(
      'collect',
      pendingBody('outstandingTransaction'),
      maintenance,
      maintenance,
      maintenance,
      maintenance,
      { hang: true },
    );
    const { el, log } = await startOrder();
    await advanceTo(el, 19_000);
    expect(collects()).to.equal(6);
    const hanging = backend.calls('collect')[5]!;

    await advanceTo(el, 23_999);
    expect(hanging.init.signal!.aborted).to.equal(false);
    expect(details(log, 'failed')).to.deep.equal([]);

    await advanceTo(el, 24_000);
    expect(hanging.init.signal!.aborted, 'the hanging collect is aborted').to.equal(true);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'maintenance', message: 'RFA5', retryable: true }]);
    expect(el.state).to.equal('failed');
    expectRetryFocused(el);

    await advance(el, 60_000);
    expect(backend.requests.length, 'no further requests').to.equal(7);
    expect(details(log, 'failed')).to.have.length(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('collect faults that end the order', () => {
  const rows: { name: string; reply: Reply; code: string }[] = [
    {
      name: '400 invalidParameters',
      reply: { status: 400, json: { errorCode: 'invalidParameters' } },
      code: 'invalidParameters',
    },
    { name: '401 with no body', reply: { status: 401, text: '' }, code: 'http-401' },
    { name: '403 with no body', reply: { status: 403, text: '' }, code: 'http-403' },
  ];
  for (const row of rows) {
    it(`${row.name} → ${row.code} / RFA22 at once, no more collects`, async () => {
      backend.reply('collect', row.reply);
      const { el, log } = await startOrder();
      await advance(el, 2000);
      expect(collects()).to.equal(1);
      expect(details(log, 'failed')).to.deep.equal([{ code: row.code, message: 'RFA22', retryable: true }]);
      expect(details(log, 'status').filter((s) => s.status === 'reconnecting')).to.deep.equal([]);
      expect(el.state).to.equal('failed');
      expect(textOf(el)).to.include(TEXT.RFA22.sv);
      expectRetryFocused(el);
      expect(open.callCount).to.equal(1);

      await advance(el, 60_000);
      expect(endpoints(), 'no collect, no cancel afterwards').to.deep.equal(['auth', 'collect']);
    });
  }

  it('400 invalidParameters while reconnecting fails at once', async () => {
    backend.reply('collect', { networkError: true }, { status: 400, json: { errorCode: 'invalidParameters' } });
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(el.state).to.equal('waiting');
    await advance(el, 1000);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'invalidParameters', message: 'RFA22', retryable: true }]);
    await advance(el, 60_000);
    expect(collects()).to.equal(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('collect answers status failed', () => {
  interface HintRow {
    hintCode: string;
    message: string;
    text: { sv: string; en?: string };
    links?: string[];
  }
  const rows: HintRow[] = [
    { hintCode: 'cancelled', message: 'RFA3', text: TEXT.RFA3 },
    { hintCode: 'expiredTransaction', message: 'RFA8', text: TEXT.RFA8 },
    { hintCode: 'certificateErr', message: 'RFA16', text: TEXT.RFA16 },
    {
      hintCode: 'notSupportedByUserApp',
      message: 'update-app',
      text: TEXT.updateApp,
      links: ['https://install.bankid.com'],
    },
    { hintCode: 'userDeclinedCall', message: 'RFA22', text: { sv: TEXT.RFA22.sv } },
    { hintCode: 'transactionRiskBlocked', message: 'RFA22', text: { sv: TEXT.RFA22.sv } },
    { hintCode: 'someNewFailure', message: 'RFA22', text: { sv: TEXT.RFA22.sv } },
    { hintCode: 'startFailed', message: 'RFA17A', text: TEXT.RFA17A, links: ['https://install.bankid.com'] },
  ];

  for (const row of rows) {
    for (const lang of Object.keys(row.text) as Lang[]) {
      it(`${row.hintCode} → bankid-failed ${row.hintCode} / ${row.message} (${lang})`, async () => {
        backend.reply('collect', failedBody(row.hintCode));
        const { el, log } = await startOrder({ lang });
        expect(open.args).to.deep.equal([[launchUrlOf(1), {}]]);
        await advance(el, 2000);

        expect(details(log, 'failed')).to.deep.equal([{ code: row.hintCode, message: row.message, retryable: true }]);
        expect(details(log, 'cancel')).to.deep.equal([]);
        expect(el.state).to.equal('failed');
        expect(textOf(el)).to.include(row.text[lang]!);
        for (const link of row.links ?? []) expect(visibleLinks(el), 'a visible link').to.include(link);
        expectRetryFocused(el, lang);
        expect(buttonNames(el)).to.not.include(lang === 'sv' ? 'Avbryt' : 'Cancel');

        await advance(el, 60_000);
        expect(endpoints(), 'no collect, no cancel afterwards').to.deep.equal(['auth', 'collect']);
        expect(open.callCount, 'nothing launched again').to.equal(1);
      });
    }
  }

  for (const lang of ['sv', 'en'] as const) {
    it(`notSupportedByUserApp in the QR flow on a computer: the app on the phone needs the update (${lang})`, async () => {
      backend.reply('collect', failedBody('notSupportedByUserApp'));
      const { el, log } = await startOrder({ lang, flow: 'other-device' });
      await advance(el, 2000);
      expect(details(log, 'failed')).to.deep.equal([
        { code: 'notSupportedByUserApp', message: 'update-app', retryable: true },
      ]);
      expect(textOf(el)).to.include(TEXT.updateAppOnPhone[lang]);
      expect(visibleLinks(el)).to.include('https://install.bankid.com');
    });
  }

  it('startFailed on this device: the start-failed panel with the install link, Try again, the other device and help', async () => {
    backend.reply('collect', failedBody('startFailed'));
    const { el } = await startOrder();
    await advance(el, 2000);
    const link = [...el.shadowRoot!.querySelectorAll<HTMLAnchorElement>('a[href="https://install.bankid.com"]')].find(
      (a) => a.checkVisibility(),
    );
    expect(link, 'a visible <a href="https://install.bankid.com">').to.not.equal(undefined);
    expect(link!.textContent).to.include('install.bankid.com');
    expect(buttonNames(el)).to.include.members(['Försök igen', 'BankID på annan enhet', 'Problem med BankID?']);
    expectRetryFocused(el);
  });

  for (const lang of ['sv', 'en'] as const) {
    it(`userCancel → the cancelled panel, bankid-cancel from the app, no bankid-failed (${lang})`, async () => {
      backend.reply('collect', failedBody('userCancel'));
      const { el, log } = await startOrder({ lang });
      await advance(el, 2000);

      expect(details(log, 'cancel')).to.deep.equal([{ orderRef: 'order-1', source: 'app' }]);
      expect(details(log, 'failed')).to.deep.equal([]);
      expect(el.state).to.equal('cancelled');
      expect(textOf(el)).to.include(TEXT.RFA6auth[lang]);
      expectRetryFocused(el, lang);
      expect(buttonNames(el)).to.include.members(
        lang === 'sv'
          ? ['Försök igen', 'BankID på annan enhet', 'Problem med BankID?']
          : ['Try again', 'BankID on another device', 'Problems with BankID?'],
      );

      await advance(el, 60_000);
      expect(endpoints(), 'no collect, and no cancel of an order the app cancelled').to.deep.equal(['auth', 'collect']);
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('a pending answer with an unknown hint code', () => {
  // CONTRACT §4: waiting, RFA21, polling on. It does not say the app has the order, so the ways on
  // stay in view: the open-the-app button here, the QR code in the other flow.
  for (const [operation, text] of [
    ['auth', 'Identifiering pågår.'],
    ['sign', 'Underskrift pågår.'],
  ] as const) {
    it(`this device: waiting, RFA21 (${operation}: "${text}"), the open-the-app button, polling every 2 s`, async () => {
      backend.defaults.collect = backend.pending('someNewHint');
      const { el, log } = await startOrder({ operation });
      expect(backend.calls(operation)).to.have.length(1);
      await advance(el, 2000);

      expect(details(log, 'status').at(-1)).to.deep.equal({
        status: 'pending',
        hintCode: 'someNewHint',
        message: 'RFA21',
      });
      expect(el.state).to.equal('waiting');
      expect(el.hintCode).to.equal('someNewHint');
      expect(textOf(el)).to.include(text);
      expect(buttonNames(el)).to.include('Avbryt');

      await advance(el, 1999);
      expect(collects()).to.equal(1);
      await advance(el, 1);
      expect(collects(), 'polling goes on').to.equal(2);
      await advance(el, 3000);
      expect(buttonNames(el), 'the button after its delay').to.include('Starta BankID säkerhetsprogram');
      await advance(el, 17_000);
      expect(collects()).to.equal(12);
      expect(details(log, 'failed')).to.deep.equal([]);
      expect(textOf(el)).to.include(text);
    });
  }

  it('QR code: waiting, RFA21, the code stays and keeps changing, polling every second', async () => {
    backend.defaults.collect = backend.pending('someNewHint');
    const { el, log } = await startOrder({ flow: 'other-device' });
    await advance(el, 1000);
    expect(details(log, 'status').at(-1)).to.deep.equal({
      status: 'pending',
      hintCode: 'someNewHint',
      message: 'RFA21',
    });
    expect(el.state).to.equal('waiting');
    expect(textOf(el)).to.include('Identifiering pågår.');
    const code = el.shadowRoot!.querySelector('svg path');
    expect(code, 'the QR code').to.not.equal(null);
    const first = code!.getAttribute('d');
    await advance(el, 1000);
    expect(collects()).to.equal(2);
    expect(el.shadowRoot!.querySelector('svg path')!.getAttribute('d'), 'the next frame').to.not.equal(first);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a qrStartSecret sent by the backend', () => {
  const SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';
  let warn: sinon.SinonStub;
  beforeEach(() => {
    _resetSecretWarningForTests();
    warn = sinon.stub(console, 'warn');
  });
  afterEach(() => _resetSecretWarningForTests());

  const secretWarnings = () => warn.getCalls().filter((c) => c.args.join(' ').includes('qrStartSecret'));

  it('in the start and collect answers: ignored, kept nowhere, warned once, the order works', async () => {
    backend.reply('auth', { json: { orderRef: 'order-1', autoStartToken: tokenOf(1), qrStartSecret: SECRET } });
    backend.reply('collect', {
      json: { orderRef: 'order-1', status: 'pending', hintCode: 'userSign', qrStartSecret: SECRET },
    });
    const body = completeBody().json;
    backend.reply('collect', { json: { ...body, qrStartSecret: SECRET } });
    const { el, log } = await startOrder();

    expect(open.args).to.deep.equal([[launchUrlOf(1), {}]]);
    expect(details(log, 'start')).to.deep.equal([{ orderRef: 'order-1', flow: 'this-device' }]);
    const stored = [localStorage, sessionStorage]
      .flatMap((storage) => Object.keys(storage).map((k) => storage.getItem(k)))
      .join('\n');
    expect(stored, 'web storage').to.not.include(SECRET);

    await advance(el, 2000);
    expect(el.state).to.equal('signing');
    await advance(el, 2000);

    expect(details(log, 'complete')).to.deep.equal([{ orderRef: 'order-1', response: body }]);
    expect(el.state).to.equal('complete');
    expect(secretWarnings(), 'one warning').to.have.length(1);
    expect(warn.args.flat().join(' '), 'the warning does not repeat the secret').to.not.include(SECRET);
    expect(JSON.stringify(log.map((e) => e.detail))).to.not.include(SECRET);
    expect(el.shadowRoot!.innerHTML).to.not.include(SECRET);
    expect(details(log, 'failed')).to.deep.equal([]);
  });

  it('in the QR flow: the QR code shows and the order completes without the secret', async () => {
    backend.reply('auth', { json: { orderRef: 'order-1', qr: qrOf(1, 0), qrStartSecret: SECRET } });
    const body = completeBody().json;
    backend.reply('collect', { json: { ...body, qrStartSecret: SECRET } });
    const { el, log } = await startOrder({ flow: 'other-device' });

    expect(el.state).to.equal('waiting');
    expect(el.shadowRoot!.querySelectorAll('[role="img"]').length, 'the QR code').to.equal(1);
    await advance(el, 1000);

    expect(details(log, 'complete')).to.deep.equal([{ orderRef: 'order-1', response: body }]);
    expect(secretWarnings()).to.have.length(1);
    expect(open.called).to.equal(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('nothing from the network becomes HTML', () => {
  const IMG = '<img src=x onerror=alert(1)>';
  const BOLD = '</p><b>x</b>';

  it('a pending hint code of markup is an unknown hint: RFA21, rendered nowhere, and polling goes on to completion', async () => {
    backend.reply('collect', pendingBody(IMG), pendingBody(BOLD), pendingBody('userSign'), completeBody());
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(injected(el)).to.equal(0);
    expect(el.hintCode).to.equal('unknown');
    expect(textOf(el)).to.include('Identifiering pågår.');
    await advance(el, 2000);
    expect(injected(el)).to.equal(0);
    expect(JSON.stringify(details(log, 'status'))).to.not.include('<');

    await advance(el, 2000); // userSign
    expect(el.state).to.equal('signing');
    await advance(el, 2000);
    expect(details(log, 'complete')).to.have.length(1);
    expect(details(log, 'failed')).to.deep.equal([]);
    expect(injected(el)).to.equal(0);
  });

  it('a failed hint code of markup fails as "unknown" (RFA22) and never becomes an element', async () => {
    backend.reply('collect', failedBody(BOLD));
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(injected(el)).to.equal(0);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'unknown', message: 'RFA22', retryable: true }]);
    expect(textOf(el)).to.not.include('<');
    expect(textOf(el)).to.include(TEXT.RFA22.sv);
  });

  it('an errorCode of markup in a collect 400 → http-400, no element', async () => {
    backend.reply('collect', { status: 400, json: { errorCode: IMG } });
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'http-400', message: 'RFA22', retryable: true }]);
    expect(el.hintCode).to.equal('http-400');
    expect(injected(el)).to.equal(0);
    expect(textOf(el)).to.include(TEXT.RFA22.sv);
  });

  it('an errorCode of markup in collect 503s → network at t0 + 20 s, no element', async () => {
    backend.defaults.collect = { status: 503, json: { errorCode: BOLD } };
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(injected(el)).to.equal(0);
    await advance(el, 20_000);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'network', message: 'RFA5', retryable: true }]);
    expect(injected(el)).to.equal(0);
  });

  it('an errorCode of markup in a start 400 → http-400, no element', async () => {
    backend.reply('auth', { status: 400, json: { errorCode: BOLD } });
    const { el, log } = await mount();
    await el.start();
    await settle(el);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'http-400', message: 'RFA22', retryable: true }]);
    expect(injected(el)).to.equal(0);
  });

  it('an orderRef with spaces and markup is rejected as invalid-response, nothing launched', async () => {
    backend.reply('auth', { json: { orderRef: IMG, autoStartToken: tokenOf(1) } });
    const { el, log } = await mount();
    await el.start();
    await settle(el);
    expect(details(log, 'failed')).to.deep.equal([{ code: 'invalid-response', message: 'RFA22', retryable: true }]);
    expect(open.called).to.equal(false);
    expect(injected(el)).to.equal(0);
  });

  it('an orderRef that looks like markup is only ever sent back as data, and the order works', async () => {
    backend.reply('auth', { json: { orderRef: BOLD, autoStartToken: tokenOf(1) } });
    backend.reply('collect', pendingBody('userSign', BOLD), completeBody(BOLD));
    const { el, log } = await startOrder();
    expect(injected(el)).to.equal(0);
    await advance(el, 4000);
    expect(backend.calls('collect').map((c) => c.body)).to.deep.equal([{ orderRef: BOLD }, { orderRef: BOLD }]);
    expect(details(log, 'complete')).to.have.length(1);
    expect(details(log, 'complete')[0].orderRef).to.equal(BOLD);
    expect(injected(el)).to.equal(0);
  });

  it('a 200 HTML page as the start answer creates no element', async () => {
    backend.reply('auth', { text: HTML_PAGE });
    const { el } = await mount();
    await el.start();
    await settle(el);
    expect(injected(el)).to.equal(0);
    expect(el.state).to.equal('failed');
  });
});

// ---------------------------------------------------------------------------------------------

describe('Try again after a failure', () => {
  it('after a failed start: a new start request and the new token launched', async () => {
    backend.reply('auth', { networkError: true });
    const { el, log } = await mount();
    await el.start();
    await settle(el);
    expect(open.called).to.equal(false);

    buttonNamed(el, 'Försök igen')!.click();
    await settle(el);
    expect(backend.calls('auth')).to.have.length(2);
    expect(backend.calls('auth')[1]!.body).to.deep.equal({ flow: 'this-device' });
    expect(details(log, 'start')).to.deep.equal([{ orderRef: 'order-1', flow: 'this-device' }]);
    expect(open.args).to.deep.equal([[launchUrlOf(1), {}]]);
    expect(el.state).to.equal('waiting');
  });

  it('after a failed order: a NEW order, its token launched, collects for the new orderRef', async () => {
    backend.reply('collect', failedBody('expiredTransaction'));
    const { el, log } = await startOrder();
    await advance(el, 2000);
    expect(el.state).to.equal('failed');

    buttonNamed(el, 'Försök igen')!.click();
    await settle(el);
    expect(backend.calls('auth')).to.have.length(2);
    expect(details(log, 'start')).to.deep.equal([
      { orderRef: 'order-1', flow: 'this-device' },
      { orderRef: 'order-2', flow: 'this-device' },
    ]);
    expect(open.args.map((a) => a[0])).to.deep.equal([launchUrlOf(1), launchUrlOf(2)]);
    expect(el.state).to.equal('waiting');
    expect(buttonNames(el)).to.not.include('Försök igen');

    await advance(el, 2000);
    expect(backend.calls('collect').map((c) => c.body.orderRef)).to.deep.equal(['order-1', 'order-2']);
  });

  it('after a failure given up on at t0 + 20 s: a new order that polls normally', async () => {
    backend.reply('collect', pendingBody('outstandingTransaction'));
    backend.defaults.collect = { networkError: true };
    const { el, log } = await startOrder();
    await advance(el, 24_000);
    expect(el.state).to.equal('failed');

    backend.defaults.collect = backend.pending('outstandingTransaction');
    buttonNamed(el, 'Försök igen')!.click();
    await settle(el);
    expect(open.args.map((a) => a[0])).to.deep.equal([launchUrlOf(1), launchUrlOf(2)]);
    const before = collects();
    await advance(el, 30_000);
    expect(collects() - before).to.equal(15);
    expect(backend.calls('collect').at(-1)!.body.orderRef).to.equal('order-2');
    expect(details(log, 'failed')).to.have.length(1);
    expect(el.state).to.equal('waiting');
    expect(textOf(el)).to.not.include(TEXT.reconnecting.sv);
  });

  it('after userCancel: a new order', async () => {
    backend.reply('collect', failedBody('userCancel'));
    const { el, log } = await startOrder();
    await advance(el, 2000);
    buttonNamed(el, 'Försök igen')!.click();
    await settle(el);
    expect(details(log, 'start').map((d) => d.orderRef)).to.deep.equal(['order-1', 'order-2']);
    expect(open.args.map((a) => a[0])).to.deep.equal([launchUrlOf(1), launchUrlOf(2)]);
  });
});
