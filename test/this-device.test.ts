/**
 * The this-device flow and the request rules, on the real element: launching the app (computer,
 * Android, iPhone), the open-the-app button and its delay, the start request, one order at a time,
 * polling, cancel, removal, and the state, hint code and events a host sees on the way.
 */
import { fixture, html, expect } from '@open-wc/testing';
import { ifDefined } from 'lit/directives/if-defined.js';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { detectPlatform, type Platform } from '../src/platform.js';
import {
  API,
  FakeBackend,
  androidChrome,
  androidFirefox,
  buttonNamed,
  buttonNames,
  computer,
  iphoneSafari,
  recordEvents,
  textOf,
  tokenOf,
  type Endpoint,
  installFakes,
  removeFakes,
} from './support.js';

const SECURITY_PROGRAM_SV = 'Starta BankID säkerhetsprogram';
const SECURITY_PROGRAM_EN = 'Start the BankID Security Application';
const APP_SV = 'Starta BankID-appen';
const computerUrl = (n: number) => `bankid:///?autostarttoken=${tokenOf(n)}&redirect=null`;
const appUrl = (n: number, redirect = 'null') =>
  `https://app.bankid.com/?autostarttoken=${tokenOf(n)}&redirect=${redirect}`;

let clock: sinon.SinonFakeTimers;
let backend: FakeBackend;
let open: sinon.SinonStub;

/** The calm line while collect fails (sv). */
const RECONNECTING = 'Anslutningen bröts tillfälligt';

beforeEach(() => ({ clock, backend, open } = installFakes()));

afterEach(() => removeFakes(clock));

interface MountOptions {
  platform?: Platform;
  lang?: string;
  api?: string;
  operation?: string;
  delay?: number;
  returnUrl?: string;
  startOnConnect?: boolean;
  headers?: Record<string, string>;
}

async function mount(options: MountOptions = {}): Promise<BankIdLogin> {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login
      api=${ifDefined(options.api === undefined ? API : options.api || undefined)}
      lang=${options.lang ?? 'sv'}
      flow="this-device"
      operation=${ifDefined(options.operation)}
      launch-button-delay=${ifDefined(options.delay)}
      return-url=${ifDefined(options.returnUrl)}
      ?start-on-connect=${options.startOnConnect ?? false}
      .platform=${options.platform ?? computer}
      .headers=${options.headers ?? {}}
    ></bankid-login>`,
  );
  await settle(el);
  return el;
}

/** Lets promises, the locale switch and rendering catch up, without moving the clock. */
async function settle(el: BankIdLogin): Promise<void> {
  await clock.tickAsync(0);
  await el.updateComplete;
  await el.updateComplete;
}

/** Moves the fake clock (timers and the fetch promises between them), then lets the element render. */
async function advance(el: BankIdLogin, ms: number): Promise<void> {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

/** Mounts and starts an order; the clock then stands at the moment the start answer was handled. */
async function started(options: MountOptions = {}): Promise<BankIdLogin> {
  const el = await mount(options);
  await el.start();
  await settle(el);
  return el;
}

/**
 * Delays the fake backend's answers for one endpoint: the request is recorded at once, its answer
 * arrives only when `until()` resolves. (Uses FakeBackend's own answer, so queued replies still apply.)
 */
function delayAnswers(endpoint: Endpoint, until: () => Promise<void>): void {
  const answer = (backend as unknown as { answer(url: string, init: RequestInit): Promise<Response> }).answer.bind(
    backend,
  );
  backend.stub.callsFake(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const response = answer(url, init ?? {});
    if (url.endsWith(`/${endpoint}`)) await until();
    return response;
  });
}

/** Holds the answer to the next request to `endpoint` until the returned function is called. */
function holdNextAnswer(endpoint: Endpoint): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  delayAnswers(endpoint, () => {
    if (held) return Promise.resolve();
    held = true;
    return gate;
  });
  return () => release();
}

const headerOf = (init: RequestInit, name: string) => new Headers(init.headers).get(name);
/** A boolean, so a failing check prints a short message instead of a whole element. */
const hasButton = (el: BankIdLogin, name: string) => buttonNamed(el, name) !== null;
const collects = () => backend.calls('collect').length;

describe('this device on a computer: launching the security program', () => {
  it('opens bankid:/// with the token as soon as the start answer arrives, without a referrer policy', async () => {
    const el = await mount();
    expect(open.called).to.equal(false);
    await el.start();
    expect(open.callCount).to.equal(1);
    expect(open.firstCall.args[0]).to.equal(computerUrl(1));
    expect(open.firstCall.args[1]?.referrerPolicy).to.equal(undefined);
  });

  it('fires a cancelable bankid-launch {url, trigger: auto} that bubbles out of the element', async () => {
    const el = await mount();
    const seen: CustomEvent[] = [];
    const listener = (event: Event) => seen.push(event as CustomEvent);
    document.addEventListener('bankid-launch', listener);
    try {
      await el.start();
    } finally {
      document.removeEventListener('bankid-launch', listener);
    }
    expect(seen).to.have.length(1);
    expect(seen[0].detail).to.deep.equal({ url: computerUrl(1), trigger: 'auto' });
    expect(seen[0].cancelable).to.equal(true);
    expect(seen[0].bubbles && seen[0].composed).to.equal(true);
  });

  it('does not open anything when a listener prevents bankid-launch, and still shows the button after the delay', async () => {
    const el = await mount();
    el.addEventListener('bankid-launch', (event) => event.preventDefault());
    await el.start();
    await settle(el);
    expect(open.called).to.equal(false);
    await advance(el, 5000);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(true);
    expect(open.called).to.equal(false);
  });
});

describe('the open-the-app button on a computer', () => {
  it('is absent at 4999 ms after the start answer and present at 5000 ms', async () => {
    const el = await started();
    await advance(el, 4999);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
    await advance(el, 1);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(true);
  });

  it('is labelled in English with lang="en"', async () => {
    const el = await started({ lang: 'en' });
    await advance(el, 4999);
    expect(hasButton(el, SECURITY_PROGRAM_EN)).to.equal(false);
    await advance(el, 1);
    await el.updateComplete;
    expect(hasButton(el, SECURITY_PROGRAM_EN)).to.equal(true);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
  });

  it('opens the same URL with the same token (trigger: button) and starts no new order', async () => {
    const el = await started();
    const log = recordEvents(el);
    await advance(el, 5000);
    buttonNamed(el, SECURITY_PROGRAM_SV)!.click();
    await settle(el);
    expect(open.callCount).to.equal(2);
    expect(open.secondCall.args[0]).to.equal(computerUrl(1));
    expect(open.secondCall.args[1]?.referrerPolicy).to.equal(undefined);
    expect(log.filter((e) => e.type === 'bankid-launch').map((e) => e.detail)).to.deep.equal([
      { url: computerUrl(1), trigger: 'button' },
    ]);
    expect(backend.calls('auth')).to.have.length(1);
    expect(log.some((e) => e.type === 'bankid-start')).to.equal(false);
  });

  it('moves with launch-button-delay', async () => {
    const el = await started({ delay: 2000 });
    await advance(el, 1999);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
    await advance(el, 1);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(true);
  });

  for (const hint of ['started', 'userSign']) {
    it(`hides once collect reports ${hint}`, async () => {
      // Collects at 2000, 4000 and 6000 ms: the button is due at 5000 ms.
      backend.reply('collect', backend.pending('outstandingTransaction'), backend.pending('outstandingTransaction'));
      backend.reply('collect', backend.pending(hint));
      const el = await started();
      await advance(el, 5000);
      expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(true);
      await advance(el, 1000);
      expect(collects()).to.equal(3);
      expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
    });
  }

  it('never shows when the app has the order before the delay', async () => {
    backend.reply('collect', ...Array.from({ length: 10 }, () => backend.pending('started')));
    const el = await started();
    await advance(el, 2000);
    expect(el.hintCode).to.equal('started');
    await advance(el, 3000);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
    await advance(el, 10_000);
    expect(hasButton(el, SECURITY_PROGRAM_SV)).to.equal(false);
    expect(open.callCount).to.equal(1);
  });
});

describe('this device on phones', () => {
  it('Android Chrome: launches nothing by itself and shows "Starta BankID-appen" at once', async () => {
    const el = await started({ platform: androidChrome });
    const log = recordEvents(el);
    expect(hasButton(el, APP_SV)).to.equal(true);
    await advance(el, 10_000);
    expect(open.called).to.equal(false);

    buttonNamed(el, APP_SV)!.click();
    expect(open.callCount).to.equal(1);
    expect(open.firstCall.args).to.deep.equal([appUrl(1), { referrerPolicy: 'origin' }]);
    expect(log.filter((e) => e.type === 'bankid-launch').map((e) => e.detail)).to.deep.equal([
      { url: appUrl(1), trigger: 'button' },
    ]);
  });

  it('Android Firefox: opens the app link by itself', async () => {
    await started({ platform: androidFirefox });
    expect(open.callCount).to.equal(1);
    expect(open.firstCall.args).to.deep.equal([appUrl(1), { referrerPolicy: 'origin' }]);
  });

  it('iPhone Safari: sends the page URL as returnUrl and redirects the app back to it', async () => {
    await started({ platform: iphoneSafari });
    expect(backend.calls('auth')[0].body).to.deep.equal({ flow: 'this-device', returnUrl: location.href });
    expect(open.firstCall.args[0]).to.equal(appUrl(1, encodeURIComponent(location.href)));
  });

  it('iPhone Safari: a same-origin return-url is sent and used as the redirect', async () => {
    const target = `${location.origin}/account?step=bankid`;
    await started({ platform: iphoneSafari, returnUrl: '/account?step=bankid' });
    expect(backend.calls('auth')[0].body).to.deep.equal({ flow: 'this-device', returnUrl: target });
    expect(open.firstCall.args[0]).to.equal(appUrl(1, encodeURIComponent(target)));
  });

  it('iPhone Safari: a cross-origin return-url is ignored with a console warning, the page URL is used', async () => {
    const warn = sinon.stub(console, 'warn');
    await started({ platform: iphoneSafari, returnUrl: 'https://evil.example/steal' });
    expect(warn.called).to.equal(true);
    expect(backend.calls('auth')[0].body).to.deep.equal({ flow: 'this-device', returnUrl: location.href });
    expect(open.firstCall.args[0]).to.equal(appUrl(1, encodeURIComponent(location.href)));
    expect(open.firstCall.args[0]).to.not.contain('evil.example');
  });

  it('iPhone Chrome and Firefox: the start sends their scheme as returnUrl; redirect= stays for older apps', async () => {
    for (const [userAgent, scheme] of [
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
        'googlechromes://',
      ],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
        'firefox://',
      ],
    ] as const) {
      backend.requests.length = 0;
      const el = await started({ platform: detectPlatform({ userAgent, maxTouchPoints: 5 }) });
      expect(backend.calls('auth')[0]!.body).to.deep.equal({ flow: 'this-device', returnUrl: scheme });
      expect(open.lastCall.args[0]).to.equal(appUrl(backend.orders, scheme));
      el.remove();
      await advance(el, 0);
    }
  });

  const instagram = detectPlatform({
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 361.0.0.35.82 (iPhone15,3; iOS 18_1_1; sv_SE; sv; scale=3.00; 1290x2796; 674117118)',
    maxTouchPoints: 5,
  });
  const SAFARI_HINT = 'Öppnas inte BankID-appen? Öppna den här sidan i Safari i stället, via appens meny.';

  it("Instagram's own browser: the app did not open (the page stayed in front 3 s), so it suggests Safari", async () => {
    const el = await started({ platform: instagram });
    expect(open.callCount).to.equal(1);
    await advance(el, 2999);
    expect(textOf(el)).to.not.contain(SAFARI_HINT);
    await advance(el, 1);
    expect(textOf(el)).to.contain(SAFARI_HINT);
    expect(hasButton(el, 'Avbryt')).to.equal(true);
  });

  it("Instagram's own browser: no hint when the app opened (the page went to the background)", async () => {
    const el = await started({ platform: instagram });
    sinon.stub(document, 'visibilityState').get(() => 'hidden');
    await advance(el, 5000);
    expect(textOf(el)).to.not.contain(SAFARI_HINT);
  });

  it("Edge on Android (an 'open external app?' page first): while the page stays in front nothing fails; the button and the switch stay", async () => {
    const edge = detectPlatform({
      userAgent:
        'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87',
      maxTouchPoints: 5,
    });
    const el = await started({ platform: edge });
    const log = recordEvents(el);
    buttonNamed(el, APP_SV)!.click();
    await advance(el, 25_000);
    expect(el.state).to.equal('waiting');
    expect(hasButton(el, APP_SV)).to.equal(true);
    expect(hasButton(el, 'BankID på annan enhet')).to.equal(true);
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);
    buttonNamed(el, APP_SV)!.click();
    expect(open.callCount, 'the same button opens the same link again').to.equal(2);
    expect(open.secondCall.args[0]).to.equal(open.firstCall.args[0]);
  });

  it('iPhone Safari never gets the hint', async () => {
    const el = await started({ platform: iphoneSafari });
    await advance(el, 5000);
    expect(textOf(el)).to.not.contain('Öppnas inte BankID-appen');
  });

  for (const [name, platform] of [
    ['a computer', computer],
    ['Android Chrome', androidChrome],
    ['Android Firefox', androidFirefox],
  ] as const) {
    it(`on ${name} the start body is exactly {flow: 'this-device'}, even with a return-url`, async () => {
      await started({ platform, returnUrl: '/account' });
      expect(backend.calls('auth')[0].body).to.deep.equal({ flow: 'this-device' });
    });
  }
});

describe('the start request', () => {
  it('is a same-origin JSON POST to {api}/auth', async () => {
    await started();
    const [request] = backend.requests;
    expect(request.endpoint).to.equal('auth');
    expect(request.url).to.equal(`${API}/auth`);
    expect(request.init.method).to.equal('POST');
    expect(request.init.credentials).to.equal('same-origin');
    expect(headerOf(request.init, 'Content-Type')).to.equal('application/json');
    expect(JSON.parse(String(request.init.body))).to.deep.equal({ flow: 'this-device' });
  });

  it('goes to {api}/sign with operation="sign"', async () => {
    await started({ operation: 'sign' });
    expect(backend.requests.map((r) => r.url)).to.deep.equal([`${API}/sign`]);
  });

  it('carries the host headers, as do collect and cancel', async () => {
    const el = await started({ headers: { 'X-CSRF-Token': 't' } });
    await advance(el, 2000);
    el.cancel();
    await settle(el);
    const endpoints = backend.requests.map((r) => r.endpoint);
    expect(endpoints).to.deep.equal(['auth', 'collect', 'cancel']);
    for (const request of backend.requests) {
      expect(headerOf(request.init, 'X-CSRF-Token'), request.endpoint).to.equal('t');
      expect(request.init.method, request.endpoint).to.equal('POST');
      expect(request.init.credentials, request.endpoint).to.equal('same-origin');
    }
  });
});

describe('exactly one order at a time', () => {
  it('a double click on "Logga in med BankID" makes one order', async () => {
    const el = await mount();
    const begin = buttonNamed(el, 'Logga in med BankID')!;
    begin.click();
    begin.click();
    await settle(el);
    await advance(el, 100);
    expect(backend.calls('auth')).to.have.length(1);
    expect(open.callCount).to.equal(1);
  });

  it('start() while starting or waiting makes no second order', async () => {
    const el = await mount();
    const log = recordEvents(el);
    const first = el.start();
    void el.start();
    void el.start();
    await first;
    expect(el.state).to.equal('waiting');
    await el.start();
    await advance(el, 3000);
    await el.start();
    await settle(el);
    expect(backend.calls('auth')).to.have.length(1);
    expect(log.filter((e) => e.type === 'bankid-start')).to.have.length(1);
  });

  it('start() after a cancelled order makes a new one', async () => {
    const el = await started();
    el.cancel();
    await settle(el);
    const log = recordEvents(el);
    await el.start();
    expect(backend.calls('auth')).to.have.length(2);
    expect(log.find((e) => e.type === 'bankid-start')?.detail).to.deep.equal({
      orderRef: 'order-2',
      flow: 'this-device',
    });
    expect(open.lastCall.args[0]).to.equal(computerUrl(2));
  });

  it('start() after a completed order makes a new one', async () => {
    backend.reply('collect', { json: { orderRef: 'order-1', status: 'complete' } });
    const el = await started();
    await advance(el, 2000);
    expect(el.state).to.equal('complete');
    await el.start();
    expect(backend.calls('auth')).to.have.length(2);
    expect(el.state).to.equal('waiting');
  });

  it('without api, start() rejects with a console error and sends nothing', async () => {
    const error = sinon.stub(console, 'error');
    const el = await mount({ api: '' });
    let rejected = false;
    await el.start().catch(() => (rejected = true));
    await advance(el, 10_000);
    expect(rejected).to.equal(true);
    expect(error.called).to.equal(true);
    expect(backend.requests).to.have.length(0);
    expect(open.called).to.equal(false);
  });

  it('start-on-connect begins in the task after connecting, with headers set right after insertion (as Angular does)', async () => {
    const el = document.createElement('bankid-login');
    el.setAttribute('api', API);
    el.setAttribute('flow', 'this-device');
    el.setAttribute('start-on-connect', '');
    el.platform = computer;
    document.body.append(el);
    el.headers = { 'X-CSRF-Token': 'abc' };
    expect(backend.calls('auth')).to.have.length(0);
    await clock.tickAsync(0);
    expect(backend.calls('auth')).to.have.length(1);
    expect(new Headers(backend.calls('auth')[0]!.init.headers).get('X-CSRF-Token')).to.equal('abc');
    el.remove();
    await clock.tickAsync(0);
  });

  it('start-on-connect="false" (what a framework may write) does not start; a launch-button-delay string counts', async () => {
    const el = await mount();
    el.setAttribute('start-on-connect', 'false');
    await advance(el, 1000);
    expect(el.startOnConnect).to.equal(false);
    expect(backend.calls('auth')).to.have.length(0);
    (el as unknown as { launchButtonDelay: string }).launchButtonDelay = '1000';
    await el.start();
    await advance(el, 999);
    expect(buttonNames(el)).to.not.include('Starta BankID säkerhetsprogram');
    await advance(el, 1);
    expect(buttonNames(el)).to.include('Starta BankID säkerhetsprogram');
  });

  it('start-on-connect begins at connect with one request', async () => {
    const el = await mount({ startOnConnect: true });
    expect(backend.calls('auth')).to.have.length(1);
    expect(el.state).to.equal('waiting');
    expect(open.firstCall.args[0]).to.equal(computerUrl(1));
    await advance(el, 100);
    expect(backend.calls('auth')).to.have.length(1);
  });

  it('without start-on-connect: the idle panel with "Logga in med BankID" and no request', async () => {
    const el = await mount();
    await advance(el, 10_000);
    expect(el.state).to.equal('idle');
    expect(hasButton(el, 'Logga in med BankID')).to.equal(true);
    expect(backend.requests).to.have.length(0);
    expect(open.called).to.equal(false);
  });
});

describe('polling', () => {
  it('sends the first collect 2000 ms after the start answer, with the orderRef', async () => {
    const el = await started();
    await advance(el, 1999);
    expect(collects()).to.equal(0);
    await advance(el, 1);
    expect(collects()).to.equal(1);
    expect(backend.calls('collect')[0].body).to.deep.equal({ orderRef: 'order-1' });
    expect(backend.calls('collect')[0].url).to.equal(`${API}/collect`);
  });

  it('sends each next collect 2000 ms after the previous answer', async () => {
    // Every collect answer takes 500 ms: 2000 → answer 2500 → next at 4500 → answer 5000 → next at 7000.
    delayAnswers('collect', () => new Promise((resolve) => setTimeout(resolve, 500)));
    const el = await started();
    await advance(el, 2000);
    expect(collects()).to.equal(1);
    await advance(el, 2499);
    expect(collects()).to.equal(1);
    await advance(el, 1);
    expect(collects()).to.equal(2);
    await advance(el, 2499);
    expect(collects()).to.equal(2);
    await advance(el, 1);
    expect(collects()).to.equal(3);
  });

  it('never has two collects in flight; a collect that hangs times out after 10 s as a passing failure', async () => {
    backend.reply('collect', { hang: true });
    const el = await started();
    const log = recordEvents(el);
    await advance(el, 2000);
    expect(collects()).to.equal(1);
    await advance(el, 9999);
    expect(collects()).to.equal(1);
    await advance(el, 1);
    // Deadline: reconnecting, not failed, the order lives on.
    expect(log.filter((e) => e.type === 'bankid-status').map((e) => e.detail.status)).to.deep.equal(['reconnecting']);
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);
    expect(el.state).to.equal('waiting');
    expect(backend.calls('collect')[0].init.signal?.aborted).to.equal(true);
    // Retried 1 s after the failed answer.
    await advance(el, 999);
    expect(collects()).to.equal(1);
    await advance(el, 1);
    expect(collects()).to.equal(2);
  });

  const endings: [string, () => void, (el: BankIdLogin) => Promise<void>][] = [
    [
      'complete',
      () => backend.reply('collect', { json: { orderRef: 'order-1', status: 'complete' } }),
      (el) => advance(el, 2000),
    ],
    [
      'failed',
      () =>
        backend.reply('collect', { json: { orderRef: 'order-1', status: 'failed', hintCode: 'expiredTransaction' } }),
      (el) => advance(el, 2000),
    ],
    [
      'cancel',
      () => undefined,
      async (el) => {
        await advance(el, 2000);
        el.cancel();
        await settle(el);
      },
    ],
    [
      'removal',
      () => undefined,
      async (el) => {
        await advance(el, 2000);
        el.remove();
        await clock.tickAsync(0);
      },
    ],
  ];
  for (const [name, prepare, end] of endings) {
    it(`polls nothing after ${name}`, async () => {
      prepare();
      const el = await started();
      await end(el);
      expect(collects()).to.equal(1);
      await advance(el, 120_000);
      window.dispatchEvent(new Event('online'));
      await advance(el, 10_000);
      expect(collects()).to.equal(1);
    });
  }

  it('collects 500 ms after the page becomes visible again (iOS cannot fetch at once)', async () => {
    const el = await started();
    await advance(el, 500);
    const visibility = sinon.stub(document, 'visibilityState');
    visibility.get(() => 'hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    await settle(el);
    expect(collects()).to.equal(0);
    visibility.get(() => 'visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await advance(el, 499);
    expect(collects()).to.equal(0);
    await advance(el, 1);
    expect(collects()).to.equal(1);
    // The regular pace continues from that answer.
    await advance(el, 1999);
    expect(collects()).to.equal(1);
    await advance(el, 1);
    expect(collects()).to.equal(2);
  });

  it('collects 500 ms after the window gets focus (Android browsers that give no visibilitychange)', async () => {
    const el = await started();
    await advance(el, 1000);
    window.dispatchEvent(new Event('focus'));
    await advance(el, 499);
    expect(collects()).to.equal(0);
    await advance(el, 1);
    expect(collects()).to.equal(1);
  });

  it('a network failure in the first 3 s after waking is retried quietly: no reconnecting line, not counted', async () => {
    backend.reply('collect', { networkError: true }, { networkError: true }, { networkError: true });
    const el = await started();
    const log = recordEvents(el);
    await advance(el, 1000);
    window.dispatchEvent(new Event('focus'));
    await advance(el, 500); // 1st: fails
    await advance(el, 500); // 2nd: fails
    await advance(el, 500); // 3rd: fails
    expect(collects()).to.equal(3);
    expect(log.filter((e) => e.type === 'bankid-status')).to.deep.equal([]);
    expect(textOf(el)).to.not.contain(RECONNECTING);
    await advance(el, 500); // 4th: answers
    expect(collects()).to.equal(4);
    expect(el.state).to.equal('waiting');
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);
  });

  it('a collect sent before the page was hidden that fails just after it is back is retried quietly too', async () => {
    const el = await started();
    const log = recordEvents(el);
    const release = backend.hold('collect');
    backend.reply('collect', { networkError: true });
    await advance(el, 2000);
    expect(collects()).to.equal(1);
    // iOS: the page comes back while that request is still out; it fails ("Load failed") a moment later.
    sinon.stub(document, 'visibilityState').get(() => 'visible');
    document.dispatchEvent(new Event('visibilitychange'));
    release();
    await advance(el, 100);
    expect(log.filter((e) => e.type === 'bankid-status')).to.deep.equal([]);
    expect(textOf(el)).to.not.contain(RECONNECTING);
    await advance(el, 500);
    expect(collects()).to.equal(2);
    expect(el.state).to.equal('waiting');
  });

  it('after the first 3 s, a network failure shows the calm reconnecting line as usual', async () => {
    backend.reply('collect', { networkError: true });
    const el = await started();
    const log = recordEvents(el);
    await advance(el, 1000);
    window.dispatchEvent(new Event('focus'));
    await advance(el, 3000);
    expect(collects()).to.be.greaterThan(0);
    // The failure came 500 ms after waking: quiet. Now one more, 4 s after waking: not quiet.
    backend.reply('collect', { networkError: true });
    await advance(el, 2000);
    expect(log.filter((e) => e.type === 'bankid-status').map((e) => e.detail.status)).to.include('reconnecting');
  });

  it('collects at once when the browser is back online', async () => {
    const el = await started();
    await advance(el, 500);
    window.dispatchEvent(new Event('online'));
    await settle(el);
    expect(collects()).to.equal(1);
  });

  it('collects 500 ms after pageshow from the back/forward cache', async () => {
    const el = await started();
    await advance(el, 500);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await advance(el, 499);
    expect(collects()).to.equal(0);
    await advance(el, 1);
    expect(collects()).to.equal(1);
  });

  it('does not collect on visibilitychange, focus, online or pageshow while a collect is in flight', async () => {
    backend.reply('collect', { hang: true });
    const el = await started();
    await advance(el, 2000);
    expect(collects()).to.equal(1);
    sinon.stub(document, 'visibilityState').get(() => 'visible');
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('focus'));
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await settle(el);
    await advance(el, 5000);
    expect(collects()).to.equal(1);
  });
});

describe('cancel', () => {
  async function expectCancelled(el: BankIdLogin, log: ReturnType<typeof recordEvents>) {
    await settle(el);
    expect(backend.calls('cancel').map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(backend.calls('cancel')[0].url).to.equal(`${API}/cancel`);
    expect(log.filter((e) => e.type === 'bankid-cancel').map((e) => e.detail)).to.deep.equal([
      { orderRef: 'order-1', source: 'page' },
    ]);
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);
    expect(el.state).to.equal('cancelled');
    expect(textOf(el)).to.contain('Inloggningen avbröts.');
    expect(hasButton(el, 'Försök igen')).to.equal(true);
    expect(hasButton(el, 'Avbryt')).to.equal(false);
  }

  it('the "Avbryt" button cancels the order at the backend and shows the cancelled panel', async () => {
    const el = await started();
    const log = recordEvents(el);
    buttonNamed(el, 'Avbryt')!.click();
    await expectCancelled(el, log);
  });

  it('the button is "Cancel" in English', async () => {
    const el = await started({ lang: 'en' });
    expect(buttonNames(el)).to.include('Cancel');
    buttonNamed(el, 'Cancel')!.click();
    await settle(el);
    expect(backend.calls('cancel')).to.have.length(1);
    expect(el.state).to.equal('cancelled');
  });

  it('el.cancel() does the same', async () => {
    const el = await started();
    const log = recordEvents(el);
    el.cancel();
    await expectCancelled(el, log);
  });

  it('during starting: the cancelled panel at once; as soon as the start answer arrives, bankid-start, the cancel request and bankid-cancel (with the orderRef); nothing launched', async () => {
    const release = holdNextAnswer('auth');
    const el = await mount();
    const log = recordEvents(el);
    const starting = el.start();
    await settle(el);
    expect(el.state).to.equal('starting');
    buttonNamed(el, 'Avbryt')!.click();
    await settle(el);
    expect(el.state).to.equal('cancelled');
    expect(textOf(el)).to.include('Inloggningen avbröts.');
    await advance(el, 1000);
    expect(backend.calls('cancel')).to.have.length(0);
    expect(log.filter((e) => e.type === 'bankid-cancel' || e.type === 'bankid-start')).to.have.length(0);

    release();
    await starting;
    await settle(el);
    expect(backend.calls('cancel').map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(log.filter((e) => e.type !== 'bankid-status').map((e) => [e.type, e.detail])).to.deep.equal([
      ['bankid-start', { orderRef: 'order-1', flow: 'this-device' }],
      ['bankid-cancel', { orderRef: 'order-1', source: 'page' }],
    ]);
    expect(open.called).to.equal(false);
    expect(el.state).to.equal('cancelled');
    await advance(el, 20_000);
    expect(collects()).to.equal(0);
    expect(open.called).to.equal(false);
  });

  it('during starting, when the start then fails: bankid-cancel with orderRef null, no cancel request', async () => {
    backend.reply('auth', { status: 500, json: { errorCode: 'internalError' } });
    const release = holdNextAnswer('auth');
    const el = await mount();
    const log = recordEvents(el);
    const starting = el.start();
    await settle(el);
    el.cancel();
    release();
    await starting;
    await settle(el);
    expect(log.filter((e) => e.type === 'bankid-cancel').map((e) => e.detail)).to.deep.equal([
      { orderRef: null, source: 'page' },
    ]);
    expect(backend.calls('cancel')).to.have.length(0);
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);
    expect(el.state).to.equal('cancelled');
  });

  it('Cancel then Try again at once: the new start waits for the cancel answer (never two requests in flight)', async () => {
    const el = await started();
    const releaseCancel = holdNextAnswer('cancel');
    buttonNamed(el, 'Avbryt')!.click();
    await settle(el);
    buttonNamed(el, 'Försök igen')!.click();
    await advance(el, 500);
    expect(backend.calls('auth')).to.have.length(1);
    releaseCancel();
    await advance(el, 0);
    expect(backend.calls('auth')).to.have.length(2);
  });
});

describe('removal from the page', () => {
  it('cancels the order with keepalive and stops polling', async () => {
    const el = await started();
    await advance(el, 2000);
    el.remove();
    expect(backend.calls('cancel')).to.have.length(0);
    await clock.tickAsync(0);
    const cancels = backend.calls('cancel');
    expect(cancels.map((r) => r.body)).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(cancels[0].init.keepalive).to.equal(true);
    await clock.tickAsync(30_000);
    expect(collects()).to.equal(1);
  });

  it('a move within the page (remove and append in one task) keeps the order and its polling', async () => {
    const el = await started();
    const other = document.createElement('div');
    document.body.append(other);
    try {
      el.remove();
      other.append(el);
      await settle(el);
      await advance(el, 6000);
      expect(backend.calls('cancel')).to.have.length(0);
      expect(collects()).to.equal(3);
      expect(el.state).to.equal('waiting');
    } finally {
      other.remove();
    }
  });

  it('pagehide and beforeunload never cancel the order', async () => {
    const el = await started();
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    window.dispatchEvent(new Event('beforeunload'));
    await advance(el, 4000);
    expect(backend.calls('cancel')).to.have.length(0);
    expect(collects()).to.equal(2);
    expect(el.state).to.equal('waiting');
  });
});

describe('state and hintCode through a whole order', () => {
  it('idle → starting → waiting → signing → complete', async () => {
    backend.reply('collect', backend.pending('outstandingTransaction'), backend.pending('userSign'), {
      json: { orderRef: 'order-1', status: 'complete' },
    });
    const el = await mount();
    expect([el.state, el.hintCode]).to.deep.equal(['idle', null]);
    const starting = el.start();
    expect([el.state, el.hintCode]).to.deep.equal(['starting', null]);
    await starting;
    expect([el.state, el.hintCode]).to.deep.equal(['waiting', null]);
    await advance(el, 2000);
    expect([el.state, el.hintCode]).to.deep.equal(['waiting', 'outstandingTransaction']);
    await advance(el, 2000);
    expect([el.state, el.hintCode]).to.deep.equal(['signing', 'userSign']);
    await advance(el, 2000);
    expect(el.state).to.equal('complete');
  });
});

describe('events through a whole order', () => {
  it('bankid-start, bankid-status with hint codes and bankid-complete with the collect body, all bubbling and composed', async () => {
    const completeBody = {
      orderRef: 'order-1',
      status: 'complete',
      completionData: { user: { personalNumber: '190000000000', name: 'Karl Karlsson' }, signature: 'PD94' },
    };
    backend.reply(
      'collect',
      backend.pending('outstandingTransaction'),
      backend.pending('started'),
      backend.pending('userSign'),
      { json: completeBody },
    );
    const el = await mount();
    const seen: CustomEvent[] = [];
    const types = ['start', 'launch', 'status', 'complete', 'cancel', 'failed'].map((t) => `bankid-${t}`);
    const listener = (event: Event) => seen.push(event as CustomEvent);
    for (const type of types) document.addEventListener(type, listener);
    try {
      await el.start();
      await advance(el, 8000);
    } finally {
      for (const type of types) document.removeEventListener(type, listener);
    }
    const of = (type: string) => seen.filter((e) => e.type === type).map((e) => e.detail);

    expect(of('bankid-start')).to.deep.equal([{ orderRef: 'order-1', flow: 'this-device' }]);
    expect(of('bankid-status')).to.deep.equal([
      { status: 'pending', hintCode: null, message: 'RFA13' },
      { status: 'pending', hintCode: 'outstandingTransaction', message: 'RFA13' },
      { status: 'pending', hintCode: 'started', message: 'RFA15A' },
      { status: 'pending', hintCode: 'userSign', message: 'RFA9' },
    ]);
    expect(of('bankid-complete')).to.deep.equal([{ orderRef: 'order-1', response: completeBody }]);
    expect(of('bankid-cancel').concat(of('bankid-failed'))).to.deep.equal([]);
    expect(seen.every((e) => e.bubbles && e.composed)).to.equal(true);
    expect(el.state).to.equal('complete');
    expect(collects()).to.equal(4);
  });
});
