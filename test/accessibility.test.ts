/**
 * WCAG 2.2 AA (the README's accessibility statement cites these tests): axe's WCAG 2.0–2.2 A/AA
 * rules in every state of the element, in Swedish and English, on a light and a dark page; the QR
 * path's time (2.2.1) with "Mer tid"; one polite live region that speaks only when something
 * changes (4.1.3); focus that is never lost (2.4.3); targets of at least 24 px (2.5.8).
 * Zoom and reflow, the off-screen note and keyboard-only use are in test/reflow.test.ts, forced
 * colours in test/forced-colors.test.ts.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type sinon from 'sinon';
import '../src/define.js';
import { wcagViolations } from './axe.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { QR_PATH_MS, QR_TIME_WARNING_MS } from '../src/flow.js';
import {
  API,
  FakeBackend,
  buttonNamed,
  computer,
  iphoneSafari,
  installFakes,
  orderRefOf,
  recordEvents,
  removeFakes,
  shownButtons,
  type Reply,
} from './support.js';

type Lang = 'sv' | 'en';
type Scheme = 'light' | 'dark';

let clock: sinon.SinonFakeTimers;
let backend: FakeBackend;
beforeEach(() => ({ clock, backend } = installFakes()));
afterEach(() => removeFakes(clock));

async function settle(el: BankIdLogin, ms = 0): Promise<void> {
  await clock.tickAsync(ms);
  await el.updateComplete;
  await el.updateComplete;
}

const PAGES: Record<Scheme, string> = {
  light: 'background:#ffffff;color:#1a1a1a;color-scheme:light;padding:8px',
  dark: 'background:#121212;color:#e8e8e8;color-scheme:dark;padding:8px',
};

async function mount(
  lang: Lang,
  scheme: Scheme,
  options: { flow?: 'this-device' | 'other-device'; platform?: typeof computer; operation?: 'auth' | 'sign' } = {},
): Promise<BankIdLogin> {
  const page = await fixture<HTMLDivElement>(
    html`<div style=${PAGES[scheme]}>
      <bankid-login
        api=${API}
        lang=${lang}
        flow=${options.flow ?? 'this-device'}
        operation=${options.operation ?? 'auth'}
        .platform=${options.platform ?? computer}
      ></bankid-login>
    </div>`,
  );
  const el = page.querySelector('bankid-login')!;
  await settle(el);
  return el;
}

async function begin(el: BankIdLogin): Promise<void> {
  await el.start();
  await settle(el);
}

const failed = (hintCode: string): Reply => ({ json: { orderRef: orderRefOf(1), status: 'failed', hintCode } });

/** Every state the element can be in, arranged through the fake backend and the clock. */
const STATES: Record<string, { flow?: 'this-device' | 'other-device'; arrange: (el: BankIdLogin) => Promise<void> }> = {
  idle: { arrange: async () => undefined },
  starting: {
    arrange: async (el) => {
      backend.hold('auth');
      void el.start();
      await settle(el);
    },
  },
  'waiting on this device': { arrange: begin },
  'waiting on this device, open-the-app button': {
    arrange: async (el) => {
      await begin(el);
      await settle(el, 5000);
    },
  },
  'waiting with the QR code': { flow: 'other-device', arrange: begin },
  'the QR code larger': {
    flow: 'other-device',
    arrange: async (el) => {
      await begin(el);
      el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="larger-qr"]')!.click();
      await settle(el);
    },
  },
  'the QR path about to run out (Mer tid)': {
    flow: 'other-device',
    arrange: async (el) => {
      await begin(el);
      await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS);
    },
  },
  signing: {
    arrange: async (el) => {
      backend.reply('collect', backend.pending('userSign'));
      await begin(el);
      await settle(el, 2000);
    },
  },
  'signing in the QR flow': {
    flow: 'other-device',
    arrange: async (el) => {
      backend.reply('collect', backend.pending('userSign'));
      await begin(el);
      await settle(el, 1000);
    },
  },
  reconnecting: {
    arrange: async (el) => {
      backend.reply('collect', { networkError: true });
      await begin(el);
      await settle(el, 2000);
    },
  },
  cancelled: {
    arrange: async (el) => {
      await begin(el);
      el.cancel();
      await settle(el);
    },
  },
  done: {
    arrange: async (el) => {
      backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'complete', completionData: {} } });
      await begin(el);
      await settle(el, 2000);
    },
  },
  'help open': {
    arrange: async (el) => {
      el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
      await settle(el);
    },
  },
  'continues in another tab': {
    arrange: async (el) => {
      await begin(el);
      const key = Object.keys(localStorage).find((k) => k.startsWith('bankid-login:'))!;
      const oldValue = localStorage.getItem(key);
      const newValue = JSON.stringify({ ...JSON.parse(oldValue!), owner: 'another-tab' });
      localStorage.setItem(key, newValue);
      window.dispatchEvent(new StorageEvent('storage', { key, oldValue, newValue, storageArea: localStorage }));
      await settle(el);
    },
  },
  // Every failure panel (CONTRACT §4 table), each with its own text.
  ...Object.fromEntries(
    [
      'startFailed',
      'cancelled',
      'expiredTransaction',
      'certificateErr',
      'notSupportedByUserApp',
      'mrtdVerificationFailed',
      'facialRecognitionFailed',
      'nfcNotSupportedByDevice',
      'multipleBankIdsOnDevice',
      'stepUpFailed',
      'transactionRiskBlocked',
    ].map((hint) => [
      `failed: ${hint}`,
      {
        arrange: async (el: BankIdLogin) => {
          backend.reply('collect', failed(hint));
          await begin(el);
          await settle(el, 2000);
        },
      },
    ]),
  ),
  'failed: startFailed in the QR flow (RFA17B)': {
    flow: 'other-device',
    arrange: async (el) => {
      await begin(el);
      // No code scanned for the whole path.
      backend.defaults.collect = (request) => ({
        json: { orderRef: request.body.orderRef, status: 'failed', hintCode: 'startFailed' },
      });
      await settle(el, QR_PATH_MS + 2000);
    },
  },
  'failed: the start is refused (RFA4)': {
    arrange: async (el) => {
      backend.reply('auth', { status: 400, json: { errorCode: 'alreadyInProgress' } });
      await begin(el);
    },
  },
  'failed: the backend is down (RFA5)': {
    arrange: async (el) => {
      backend.reply('auth', { status: 503, json: {} });
      await begin(el);
    },
  },
};

/** axe runs on real timers. */
async function expectNoViolations(el: BankIdLogin): Promise<void> {
  clock.restore();
  const report = await wcagViolations(el);
  expect(report, report.join('\n')).to.deep.equal([]);
}

describe('axe, WCAG 2.2 A and AA, in every state', () => {
  for (const [name, { flow, arrange }] of Object.entries(STATES)) {
    for (const lang of ['sv', 'en'] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        it(`${name} (${lang}, ${scheme} page)`, async () => {
          const el = await mount(lang, scheme, flow ? { flow } : {});
          await arrange(el);
          // The arranged state is really there (a broken arrangement must not pass as accessible).
          expect(el.shadowRoot!.querySelector('.card')).to.not.equal(null);
          if (name !== 'idle' && name !== 'help open') expect(el.state).to.not.equal('idle');
          const buttons = shownButtons(el);
          // 2.5.8: every button is at least 44 × 44 px (more than the 24 asked).
          for (const button of buttons) {
            const { width, height } = button.getBoundingClientRect();
            expect(Math.min(width, height), button.textContent!.trim()).to.be.at.least(44);
          }
          // 3.2.6: the help is in the same place, last, in every panel but done.
          if (el.state !== 'complete') expect(buttons.at(-1)!.dataset.action).to.equal('help');
          await expectNoViolations(el);
        });
      }
    }
  }

  it('a phone in the QR flow and signing (sv, light page)', async () => {
    const el = await mount('sv', 'light', { flow: 'other-device', platform: iphoneSafari, operation: 'sign' });
    await begin(el);
    await expectNoViolations(el);
  });
});

describe('time (2.2.1): the QR path', () => {
  const statusLine = (el: BankIdLogin) =>
    (el.shadowRoot!.querySelector('[role="status"]')!.textContent ?? '').replace(/\s+/g, ' ').trim();
  const qr = (el: BankIdLogin) => el.shadowRoot!.querySelector('svg[role="img"]');

  it('runs 3 minutes without any action, says so 30 s before the end, and "Mer tid" gives 3 more, again and again', async function () {
    this.timeout(20_000);
    const el = await mount('sv', 'light', { flow: 'other-device' });
    const log = recordEvents(el);
    await begin(el);
    // Codes nobody scans are replaced silently: BankID ends each after 30 s.
    backend.defaults.collect = (request) => {
      const n = Number(String(request.body.orderRef).split('-')[1]);
      const age = backend.requests.filter((r) => r.endpoint === 'collect' && r.body.orderRef === request.body.orderRef);
      return age.length >= 30
        ? { json: { orderRef: orderRefOf(n), status: 'failed', hintCode: 'startFailed' } }
        : backend.pending('outstandingTransaction')(request);
    };
    await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS - 1000);
    expect(el.state).to.equal('waiting');
    expect(buttonNamed(el, 'Mer tid')).to.equal(null);
    expect(statusLine(el)).to.equal('Öppna BankID-appen i din mobil eller surfplatta och skanna QR-koden.');

    await settle(el, 1000);
    expect(statusLine(el)).to.equal('Tiden för att skanna QR-koden är snart slut. Behöver du mer tid? Välj ”Mer tid”.');
    expect(log.filter((e) => e.type === 'bankid-status').at(-1)!.detail.message).to.equal('qr-expiring');
    expect(qr(el), 'the code is still there').to.not.equal(null);

    // Pressed twice, each time just before the end: 6 more minutes (test/flow.test.ts presses ten times).
    for (let press = 1; press <= 2; press++) {
      const more = buttonNamed(el, 'Mer tid');
      expect(more, `press ${press}`).to.not.equal(null);
      more!.focus();
      more!.click();
      await settle(el);
      expect(buttonNamed(el, 'Mer tid')).to.equal(null);
      expect(el.shadowRoot!.activeElement?.textContent?.trim(), 'focus goes to the toggle back in its place').to.equal(
        'Större QR-kod',
      );
      expect(statusLine(el)).to.equal('Öppna BankID-appen i din mobil eller surfplatta och skanna QR-koden.');
      await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS);
      expect(el.state, `after press ${press}`).to.equal('waiting');
    }
    expect(log.some((e) => e.type === 'bankid-failed')).to.equal(false);

    // Not pressed: the first code missed after the end fails with RFA17B.
    await settle(el, QR_TIME_WARNING_MS + 31_000);
    expect(el.state).to.equal('failed');
    expect(log.filter((e) => e.type === 'bankid-failed').map((e) => e.detail.message)).to.deep.equal(['RFA17B']);
  });

  it('speaks only when something changes: a minute of animated code changes the live region once or never', async () => {
    const el = await mount('en', 'light', { flow: 'other-device' });
    await begin(el);
    await settle(el, 2000);
    const region = el.shadowRoot!.querySelector('[role="status"]')!;
    let changes = 0;
    const observer = new MutationObserver((records) => (changes += records.length));
    observer.observe(region, { childList: true, subtree: true, characterData: true });
    const frames = new Set<string>();
    for (let s = 0; s < 60; s++) {
      await settle(el, 1000);
      frames.add(qr(el)!.querySelector('path')!.getAttribute('d')!);
    }
    observer.disconnect();
    expect(frames.size, 'the code animates').to.be.greaterThan(30);
    expect(changes, 'no countdown, no per-frame text').to.equal(0);
    expect(el.shadowRoot!.querySelectorAll('[role="status"], [role="alert"], [aria-live]')).to.have.length(1);
  });
});

describe('time (2.2.1) and status messages (4.1.3): a new code between two orders', () => {
  const qr = (el: BankIdLogin) => el.shadowRoot!.querySelector('svg[role="img"]');
  const missed = (n: number): Reply => ({
    json: { orderRef: orderRefOf(n), status: 'failed', hintCode: 'startFailed' },
  });

  it('keeps the same code node (blank for a moment) and focus on it, and says nothing', async () => {
    const el = await mount('sv', 'light', { flow: 'other-device' });
    await begin(el);
    const node = qr(el)!;
    (node as SVGElement).focus();
    const region = el.shadowRoot!.querySelector('[role="status"]')!;
    let changes = 0;
    const observer = new MutationObserver((records) => (changes += records.length));
    observer.observe(region, { childList: true, subtree: true, characterData: true });
    const release = backend.hold('auth');
    backend.reply('collect', missed(1));
    await settle(el, 1000);
    // Between the two orders: the same node, with no code in it.
    expect(qr(el) === node, 'the same node').to.equal(true);
    expect(node.querySelector('path')!.getAttribute('d')).to.equal('');
    release();
    await settle(el);
    await settle(el, 1000);
    expect(qr(el) === node, 'still the same node').to.equal(true);
    expect(node.querySelector('path')!.getAttribute('d')).to.not.equal('');
    expect(el.shadowRoot!.activeElement === node, 'focus stays on the code').to.equal(true);
    observer.disconnect();
    expect(changes, 'nothing announced').to.equal(0);
  });

  it('"Mer tid" works from the keyboard: Tab reaches it first, Enter presses it', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div>
        <button id="before">before</button>
        <bankid-login api=${API} lang="en" flow="other-device" .platform=${computer}></bankid-login>
      </div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    await settle(el);
    await begin(el);
    await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS);
    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('More time');
    await sendKeys({ press: 'Enter' });
    await settle(el);
    expect(buttonNamed(el, 'More time')).to.equal(null);
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Larger QR code');
    await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS - 1000);
    expect(buttonNamed(el, 'More time'), 'a whole new 3 minutes').to.equal(null);
    await settle(el, 1000);
    expect(buttonNamed(el, 'More time')).to.not.equal(null);
  });
});

describe('focus (2.4.3) and targets (2.5.8)', () => {
  it('a code scanned while "Större QR-kod" has focus: focus moves to the next control, not to the page', async () => {
    const el = await mount('sv', 'light', { flow: 'other-device' });
    await begin(el);
    el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="larger-qr"]')!.focus();
    backend.reply('collect', backend.pending('userSign'));
    await settle(el, 1000);
    expect(el.state).to.equal('signing');
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Avbryt');
  });

  it('Begin in the QR flow: focus goes to Cancel, not to a "larger code" toggle with no code yet', async () => {
    const el = await mount('en', 'light', { flow: 'other-device' });
    backend.hold('auth');
    buttonNamed(el, 'Log in with BankID')!.focus();
    buttonNamed(el, 'Log in with BankID')!.click();
    await settle(el);
    expect(el.state).to.equal('starting');
    expect(buttonNamed(el, 'Larger QR code')).to.equal(null);
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Cancel');
  });

  it('"More time" takes the toggle\'s place: Cancel and the switch below do not move', async () => {
    const el = await mount('en', 'light', { flow: 'other-device' });
    await begin(el);
    const top = (name: string) => buttonNamed(el, name)!.getBoundingClientRect().top;
    const before = [top('Cancel'), top('BankID on this computer')];
    await settle(el, QR_PATH_MS - QR_TIME_WARNING_MS);
    expect(buttonNamed(el, 'More time')).to.not.equal(null);
    expect([top('Cancel'), top('BankID on this computer')]).to.deep.equal(before);
  });

  it('done: focus that was inside goes to the status line, which says so', async () => {
    const el = await mount('en', 'light');
    await begin(el);
    buttonNamed(el, 'Cancel')!.focus();
    backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'complete', completionData: {} } });
    await settle(el, 2000);
    expect(el.state).to.equal('complete');
    const active = el.shadowRoot!.activeElement;
    expect(active?.getAttribute('role')).to.equal('status');
    expect(active?.textContent?.trim()).to.equal("Done! You're logged in.");
  });

  it('Try again, focused after a failure or a cancel, is described by what happened', async () => {
    const el = await mount('en', 'light');
    await begin(el);
    el.cancel();
    await settle(el);
    const retry = el.shadowRoot!.activeElement as HTMLButtonElement;
    expect(retry.textContent!.trim()).to.equal('Try again');
    const described = retry
      .getAttribute('aria-describedby')!
      .split(' ')
      .map((id) => el.shadowRoot!.getElementById(id)!.textContent!.trim());
    expect(described).to.deep.equal([
      'Login was cancelled.',
      'Want to continue? Try again, or choose another way to use BankID below.',
    ]);
  });

  it('a failure moves focus to Try again; the help toggle says whether it is open', async () => {
    const el = await mount('en', 'light');
    backend.reply('collect', failed('expiredTransaction'));
    await begin(el);
    await settle(el, 2000);
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Try again');
    const help = el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!;
    expect(help.getAttribute('aria-expanded')).to.equal('false');
    help.click();
    await settle(el);
    expect(help.getAttribute('aria-expanded')).to.equal('true');
    expect(el.shadowRoot!.querySelector('#help')!.textContent).to.contain('install.bankid.com');
  });
});

describe('an ending does not take focus from where the user is reading (2.4.3)', () => {
  it("focus on the page's own link stays there when the order fails; the live region says what happened", async () => {
    const el = await mount('en', 'light');
    const link = document.createElement('a');
    link.href = '#elsewhere';
    link.textContent = 'Other ways to log in';
    el.parentElement!.append(link);
    backend.reply('collect', failed('expiredTransaction'));
    await begin(el);
    link.focus();
    await settle(el, 2000);
    expect(el.state).to.equal('failed');
    expect(document.activeElement).to.equal(link);
    expect(el.shadowRoot!.activeElement).to.equal(null);
    expect(el.shadowRoot!.querySelector('[role="status"]')!.textContent).to.contain("BankID didn't respond in time.");
  });

  // The help being read: focus on its toggle (just pressed) or on one of its links stays there.
  const inTheHelp: Array<[string, (el: BankIdLogin) => HTMLElement, string, 'cancelled' | 'failed']> = [
    [
      'a link in the open help, the user cancels in the app',
      (el) => el.shadowRoot!.querySelector<HTMLAnchorElement>('#help a[href="https://support.bankid.com"]')!,
      'userCancel',
      'cancelled',
    ],
    [
      'the help toggle just pressed, the order fails',
      (el) => buttonNamed(el, 'Problems with BankID?')!,
      'expiredTransaction',
      'failed',
    ],
  ];
  for (const [what, target, hintCode, state] of inTheHelp) {
    it(`focus stays in the help: ${what}`, async () => {
      const el = await mount('en', 'light');
      await begin(el);
      const toggle = buttonNamed(el, 'Problems with BankID?')!;
      toggle.focus();
      toggle.click();
      await settle(el);
      const focused = target(el);
      focused.focus();
      backend.reply('collect', failed(hintCode));
      await settle(el, 2000);
      expect(el.state).to.equal(state);
      expect(el.shadowRoot!.activeElement).to.equal(focused);
    });
  }

  it('focus nowhere (the page itself) still goes to Try again', async () => {
    const el = await mount('en', 'light');
    backend.reply('collect', failed('expiredTransaction'));
    await begin(el);
    (document.activeElement as HTMLElement | null)?.blur();
    await settle(el, 2000);
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal('Try again');
  });
});

describe('text spacing (1.4.12) and the language of parts (3.1.2)', () => {
  /** WCAG's text spacing, set on the page: letter and word spacing reach into the element (inherited). */
  const SPACED = 'width:320px;letter-spacing:0.12em;word-spacing:0.16em;line-height:1.5';

  const arrangements: Record<string, (el: BankIdLogin) => Promise<void>> = {
    'the QR code': begin,
    'the longest failure (RFA8)': async (el) => {
      backend.reply('collect', failed('expiredTransaction'));
      await begin(el);
      await settle(el, 1000);
    },
    'the help': async (el) => {
      el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
      await settle(el);
    },
  };
  for (const [name, arrange] of Object.entries(arrangements)) {
    it(`with WCAG's text spacing in 320 px nothing is cut: ${name}`, async () => {
      const wrapper = await fixture<HTMLDivElement>(
        html`<div style=${SPACED}>
          <bankid-login api=${API} lang="sv" flow="other-device" .platform=${computer}></bankid-login>
        </div>`,
      );
      const el = wrapper.querySelector('bankid-login')!;
      await settle(el);
      await arrange(el);
      const card = el.shadowRoot!.querySelector<HTMLElement>('.card')!;
      expect(getComputedStyle(card).letterSpacing).to.not.equal('normal');
      expect(card.scrollWidth, 'the card').to.be.at.most(card.clientWidth + 1);
      for (const button of el.shadowRoot!.querySelectorAll('button')) {
        if (!button.checkVisibility()) continue;
        const label = button.textContent!.trim();
        expect(button.scrollWidth, label).to.be.at.most(button.clientWidth + 1);
        expect(button.scrollHeight, label).to.be.at.most(button.clientHeight + 1);
      }
    });
  }

  it('the element says which language its texts are in, whatever the page’s language', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="de"><bankid-login api=${API} lang="en" .platform=${computer}></bankid-login></div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    await settle(el);
    expect(el.shadowRoot!.querySelector('.card')!.getAttribute('lang')).to.equal('en');
    el.lang = 'sv';
    await settle(el);
    expect(el.shadowRoot!.querySelector('.card')!.getAttribute('lang')).to.equal('sv');
  });
});

describe('seeing it: colour, contrast, motion, order (1.3.2, 1.4.1, 1.4.11, 2.2.2)', () => {
  /** An sRGB colour as computed (rgb(), rgba() or color(srgb …)), as [r, g, b, alpha] in 0–1. */
  function parseColour(value: string): [number, number, number, number] {
    const numbers = value.match(/[\d.]+/g)!.map(Number);
    if (value.startsWith('color(')) return [numbers[0]!, numbers[1]!, numbers[2]!, numbers[3] ?? 1];
    return [numbers[0]! / 255, numbers[1]! / 255, numbers[2]! / 255, numbers[3] ?? 1];
  }
  const luminance = ([r, g, b]: number[]) => {
    const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
  };
  const contrast = (a: number[], b: number[]) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };
  /** `top` drawn over `bottom` (opaque). */
  const over = (top: number[], bottom: number[]) =>
    top.slice(0, 3).map((c, i) => c * top[3]! + bottom[i]! * (1 - top[3]!));

  for (const scheme of ['light', 'dark'] as const) {
    it(`the Cancel button's border has at least 3:1 against the page (${scheme})`, async () => {
      const el = await mount('sv', scheme);
      await begin(el);
      const cancel = buttonNamed(el, 'Avbryt')!;
      const page = parseColour(getComputedStyle(el.parentElement!).backgroundColor);
      const border = over(parseColour(getComputedStyle(cancel).borderTopColor), page);
      expect(contrast(border, page)).to.be.at.least(3);
      // The focus ring (--bankid-login-focus, default #1a73e8) too.
      const hex = getComputedStyle(el.shadowRoot!.querySelector('.card')!).getPropertyValue('--_focus').trim();
      expect(hex).to.match(/^#[0-9a-f]{6}$/i);
      const ring = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255);
      expect(contrast(ring, page)).to.be.at.least(3);
    });
  }

  it('links and the text-like buttons are underlined, not told apart by colour alone', async () => {
    const el = await mount('sv', 'light', { flow: 'other-device' });
    el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
    await begin(el);
    const underlined = [...el.shadowRoot!.querySelectorAll<HTMLElement>('a, button.quiet')];
    expect(underlined.length).to.be.at.least(5);
    for (const element of underlined) {
      expect(getComputedStyle(element).textDecorationLine, element.textContent!.trim()).to.contain('underline');
    }
  });

  it('the progress indicator turns five times and then rests; with reduced motion it does not turn', async () => {
    const el = await mount('sv', 'light');
    await begin(el);
    const progress = el.shadowRoot!.querySelector('.progress')!;
    expect(getComputedStyle(progress).animationName).to.equal('spin');
    expect(getComputedStyle(progress).animationIterationCount).to.equal('5');
    const rules = el.shadowRoot!.adoptedStyleSheets.flatMap((sheet) => [...sheet.cssRules]);
    const reduced = rules.find(
      (rule): rule is CSSMediaRule =>
        rule instanceof CSSMediaRule && rule.conditionText.includes('prefers-reduced-motion'),
    );
    const inside = [...reduced!.cssRules].find(
      (rule) => (rule as CSSStyleRule).selectorText === '.progress',
    ) as CSSStyleRule;
    expect(inside.style.animationName || inside.style.animation).to.equal('none');
  });

  it('reading order is the order on the screen: status, code, its toggle, the steps, the actions, the help', async () => {
    const el = await mount('sv', 'light', { flow: 'other-device' });
    el.style.width = '320px';
    await begin(el);
    const parts = [
      '.message',
      'svg.qr',
      '[data-action="larger-qr"]',
      '.steps',
      '[data-action="cancel"]',
      '[data-action^="switch"]',
      '[data-action="help"]',
    ];
    const elements = parts.map((selector) => el.shadowRoot!.querySelector(selector)!);
    // Document order…
    for (let i = 1; i < elements.length; i++) {
      expect(
        elements[i - 1]!.compareDocumentPosition(elements[i]!) & Node.DOCUMENT_POSITION_FOLLOWING,
        parts[i],
      ).to.not.equal(0);
    }
    // …is top-to-bottom order.
    const tops = elements.map((element) => element.getBoundingClientRect().top);
    for (let i = 1; i < tops.length; i++) expect(tops[i]!, parts[i]).to.be.greaterThan(tops[i - 1]!);
  });
});
