/**
 * What a person sees and hears: every panel in Swedish and English, the help section, the live
 * region, focus, accessibility (axe), language resolution, links and CSP (CONTRACT §2, §6).
 */
import { fixture, html, expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import sinon from 'sinon';
import '../src/define.js';
import { BankIdLogin } from '../src/bankid-login.js';
import type { Platform } from '../src/platform.js';
import {
  API,
  FakeBackend,
  androidChrome,
  buttonNamed,
  buttonNames,
  computer,
  iphoneSafari,
  orderRefOf,
  textOf,
  type Reply,
  installFakes,
  removeFakes,
} from './support.js';

type Lang = 'sv' | 'en';

/** What the user should see, per language (labels exactly as CONTRACT §6). */
const TEXT = {
  sv: {
    begin: 'Logga in med BankID',
    beginSign: 'Skriv under med BankID',
    launchComputer: 'Starta BankID säkerhetsprogram',
    launchPhone: 'Starta BankID-appen',
    retry: 'Försök igen',
    cancel: 'Avbryt',
    toOtherDevice: 'BankID på annan enhet',
    toThisComputer: 'BankID på den här datorn',
    toThisPhone: 'BankID på den här enheten',
    help: 'Problem med BankID?',
    larger: 'Större QR-kod',
    moreTime: 'Mer tid',
    qrExpiring: 'Tiden för att skanna QR-koden är snart slut. Behöver du mer tid? Välj ”Mer tid”.',
    qrSteps: [
      'Öppna BankID-appen i din mobil eller surfplatta.',
      'Välj att skanna en QR-kod i appen.',
      'Rikta kameran mot QR-koden här.',
    ],
    starting: 'Ett ögonblick…',
    rfa13Computer: 'Försöker starta BankID säkerhetsprogram…',
    rfa13Phone: 'Försöker starta BankID-appen…',
    // The button is named (WCAG 1.3.3: not by its place alone).
    rfa13ButtonComputer: 'Startade inte BankID? Välj ”Starta BankID säkerhetsprogram” nedan.',
    rfa13ButtonPhone: 'Tryck på ”Starta BankID-appen” nedan.',
    rfa1: 'Öppna BankID-appen i din mobil eller surfplatta och skanna QR-koden.',
    rfa9Auth: 'Skriv in din säkerhetskod i BankID och välj Identifiera.',
    rfa9Sign: 'Skriv in din säkerhetskod i BankID och välj Skriv under.',
    doneAuth: 'Klart! Du är inloggad.',
    doneSign: 'Klart! Du har skrivit under.',
    rfa6Auth: 'Inloggningen avbröts.',
    rfa6Sign: 'Underskriften avbröts.',
    cancelledHint: 'Vill du fortsätta? Försök igen eller välj ett annat sätt att använda BankID nedan.',
    missingComputer:
      /BankID säkerhetsprogram verkar inte finnas på den här datorn, eller så är det för gammalt\..*install\.bankid\.com/,
    missingPhone:
      /BankID-appen verkar inte finnas på den här enheten, eller så är den för gammal\..*install\.bankid\.com/,
    rfa17b: /^QR-koden skannades inte i tid\..*install\.bankid\.com/,
    rfa3: 'Åtgärden avbröts eftersom en ny identifiering eller underskrift startades. Försök igen.',
    rfa4: 'Du har redan en identifiering eller underskrift på gång. Slutför eller avbryt den i BankID och försök sedan igen.',
    rfa5: 'Något gick fel. Försök igen.',
    rfa8: 'BankID svarade inte i tid. Kontrollera att BankID är igång och har internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen.',
    rfa16: 'Ditt BankID är spärrat eller för gammalt. Använd ett annat BankID eller skaffa ett nytt hos din bank.',
    rfa22: 'Ett okänt fel uppstod. Försök igen.',
    updateApp: /^BankID säkerhetsprogram behöver uppdateras.*install\.bankid\.com/,
    qrName: /QR/,
    helpAdvice: [
      /installera den senaste versionen från install\.bankid\.com/i,
      /support\.bankid\.com/,
      /Din version av BankID är för gammal/,
      /Öppna eller Tillåt/,
      /Ett antivirusprogram, en brandvägg eller ett ”bankskydd”/,
      /operativsystem.*för gammalt.*Uppdatera operativsystemet.*Mobilt BankID/,
    ],
  },
  en: {
    begin: 'Log in with BankID',
    beginSign: 'Sign with BankID',
    launchComputer: 'Start the BankID Security Application',
    launchPhone: 'Start the BankID app',
    retry: 'Try again',
    cancel: 'Cancel',
    toOtherDevice: 'BankID on another device',
    toThisComputer: 'BankID on this computer',
    toThisPhone: 'BankID on this device',
    help: 'Problems with BankID?',
    larger: 'Larger QR code',
    moreTime: 'More time',
    qrExpiring: 'Time to scan the QR code is almost up. Need more time? Select “More time”.',
    qrSteps: [
      'Open the BankID app on your phone or tablet.',
      'In the app, choose to scan a QR code.',
      'Point the camera at the QR code here.',
    ],
    starting: 'One moment…',
    rfa13Computer: 'Trying to start the BankID Security Application…',
    rfa13Phone: 'Trying to start the BankID app…',
    rfa13ButtonComputer: "BankID didn't start? Select “Start the BankID Security Application” below.",
    rfa13ButtonPhone: 'Tap “Start the BankID app” below.',
    rfa1: 'Open the BankID app on your phone or tablet and scan the QR code.',
    rfa9Auth: 'Enter your security code in BankID and select Identify.',
    rfa9Sign: 'Enter your security code in BankID and select Sign.',
    doneAuth: "Done! You're logged in.",
    doneSign: "Done! You've signed.",
    rfa6Auth: 'Login was cancelled.',
    rfa6Sign: 'Signing was cancelled.',
    cancelledHint: 'Want to continue? Try again, or choose another way to use BankID below.',
    missingComputer:
      /BankID Security Application seems to be missing on this computer, or it is too old\..*install\.bankid\.com/,
    missingPhone: /BankID app seems to be missing on this device, or it is too old\..*install\.bankid\.com/,
    rfa17b: /^The QR code was not scanned in time\..*install\.bankid\.com/,
    rfa3: 'Cancelled because another identification or signing was started. Please try again.',
    rfa4: 'An identification or signing is already in progress for you. Finish or cancel it in BankID, then try again.',
    rfa5: 'Something went wrong. Please try again.',
    rfa8: "BankID didn't respond in time. Check that BankID is running and connected to the internet. If you don't have a valid BankID, you can get one from your bank. Then try again.",
    rfa16: 'Your BankID is blocked or too old. Use another BankID or get a new one from your bank.',
    rfa22: 'An unknown error occurred. Please try again.',
    updateApp: /^The BankID Security Application needs to be updated.*install\.bankid\.com/,
    qrName: /QR/,
    helpAdvice: [
      /install the latest version from install\.bankid\.com/i,
      /support\.bankid\.com/,
      /Your version of BankID is out of date/,
      /Open or Allow/,
      /Antivirus software, a firewall or a “bank protection”/,
      /operating system is too old.*Update the operating system.*Mobile BankID/,
    ],
  },
} as const;

let clock: sinon.SinonFakeTimers;
let backend: FakeBackend;

beforeEach(() => ({ clock, backend } = installFakes()));
afterEach(() => removeFakes(clock));

// ---------------------------------------------------------------- helpers

/** Lets timers at "now", fetch answers, the locale switch and the re-render all run. */
async function settle(el: BankIdLogin): Promise<void> {
  await clock.tickAsync(0);
  await el.updateComplete;
  await el.updateComplete;
}

/** Moves time on and lets the element catch up. */
async function after(el: BankIdLogin, ms: number): Promise<void> {
  await clock.tickAsync(ms);
  await settle(el);
}

interface MountOptions {
  lang: Lang;
  flow?: 'this-device' | 'other-device';
  operation?: 'auth' | 'sign';
  platform?: Platform;
}

async function mount({ lang, flow = 'this-device', operation = 'auth', platform = computer }: MountOptions) {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login
      api=${API}
      lang=${lang}
      flow=${flow}
      operation=${operation}
      .platform=${platform}
    ></bankid-login>`,
  );
  await settle(el);
  return el;
}

/** Starts an order and lets the start answer be handled. */
async function begin(el: BankIdLogin): Promise<void> {
  await el.start();
  await settle(el);
}

/** The next collect answer, then time until it has been asked for and handled. */
async function collectAnswers(el: BankIdLogin, reply: Parameters<FakeBackend['reply']>[1]): Promise<void> {
  backend.reply('collect', reply);
  await after(el, 2000);
}

const failedWith = (hintCode: string): Reply => ({ json: { orderRef: orderRefOf(1), status: 'failed', hintCode } });
const completed: Reply = {
  json: { orderRef: orderRefOf(1), status: 'complete', completionData: { user: { name: 'Karl Karlsson' } } },
};

const root = (el: BankIdLogin) => el.shadowRoot!;
const statusRegion = (el: BankIdLogin) => root(el).querySelector<HTMLElement>('[role="status"]')!;
const statusText = (el: BankIdLogin) => (statusRegion(el).textContent ?? '').replace(/\s+/g, ' ').trim();
const qrCode = (el: BankIdLogin) => root(el).querySelector<SVGElement>('svg[role="img"]');
const helpToggle = (el: BankIdLogin, lang: Lang) => buttonNamed(el, TEXT[lang].help);
const links = (el: BankIdLogin) => [...root(el).querySelectorAll<HTMLAnchorElement>('a')];
/** The label of the focused control inside the element, or null (never compare DOM nodes in chai: a failure hangs WTR). */
const focusedLabel = (el: BankIdLogin) => root(el).activeElement?.textContent?.trim() ?? null;

/**
 * The buttons are exactly these, each a <button> whose accessible name is its visible label
 * (no aria-label or aria-labelledby that would override it).
 */
function expectButtons(el: BankIdLogin, names: string[]): void {
  expect(buttonNames(el)).to.have.members(names);
  expect(buttonNames(el)).to.have.length(names.length);
  for (const name of names) {
    const button = buttonNamed(el, name)!;
    expect(button.tagName, name).to.equal('BUTTON');
    expect(button.hasAttribute('aria-label'), `${name}: aria-label`).to.equal(false);
    expect(button.hasAttribute('aria-labelledby'), `${name}: aria-labelledby`).to.equal(false);
    expect(button.disabled, `${name}: disabled`).to.equal(false);
  }
}

/** Sets the page-wide locale to `lang` with a throwaway element, so a test of the other language cannot pass by luck. */
async function primeLocale(lang: Lang): Promise<void> {
  const other = document.createElement('bankid-login') as BankIdLogin;
  other.api = API;
  other.lang = lang;
  other.platform = computer;
  document.body.append(other);
  await settle(other);
  expect(buttonNames(other)).to.include(TEXT[lang].begin);
  other.remove();
  await clock.tickAsync(0);
}

/** Removes `lang` from <html> for the duration of `body`, then puts it back. */
async function withoutHtmlLang(body: () => Promise<void>): Promise<void> {
  const html = document.documentElement;
  const saved = html.getAttribute('lang');
  html.removeAttribute('lang');
  try {
    await body();
  } finally {
    if (saved === null) html.removeAttribute('lang');
    else html.setAttribute('lang', saved);
  }
}

// ---------------------------------------------------------------- panels

for (const lang of ['sv', 'en'] as const) {
  const t = TEXT[lang];

  describe(`panels in ${lang}`, () => {
    describe('idle', () => {
      it('offers the begin button and help, and says nothing yet', async () => {
        const el = await mount({ lang });
        expectButtons(el, [t.begin, t.help]);
        expect(statusText(el)).to.equal('');
        expect(backend.requests).to.have.length(0);
      });

      it('words the begin button for signing', async () => {
        const el = await mount({ lang, operation: 'sign' });
        expectButtons(el, [t.beginSign, t.help]);
      });

      it('begins an order when the begin button is clicked', async () => {
        const el = await mount({ lang });
        buttonNamed(el, t.begin)!.click();
        await settle(el);
        expect(backend.calls('auth')).to.have.length(1);
        expect(textOf(el)).to.include(t.rfa13Computer);
      });
    });

    describe('starting', () => {
      it('shows a moment-please line, Cancel, the switch and help while the start request is out', async () => {
        backend.reply('auth', { hang: true });
        const el = await mount({ lang });
        void el.start();
        await settle(el);
        expect(el.state).to.equal('starting');
        expect(statusText(el)).to.equal(t.starting);
        expectButtons(el, [t.cancel, t.toOtherDevice, t.help]);
      });
    });

    describe('waiting on this device', () => {
      it('says it is trying to start the program, with Cancel, the switch and help (computer)', async () => {
        const el = await mount({ lang });
        await begin(el);
        expect(el.state).to.equal('waiting');
        expect(statusText(el)).to.equal(t.rfa13Computer);
        expectButtons(el, [t.cancel, t.toOtherDevice, t.help]);
        expect(qrCode(el) === null).to.equal(true);
      });

      it('adds the launch button after the delay and rewords the line to point at it (computer)', async () => {
        const el = await mount({ lang });
        await begin(el);
        await after(el, 4999);
        expect(buttonNamed(el, t.launchComputer) === null).to.equal(true);
        await after(el, 1);
        expectButtons(el, [t.launchComputer, t.cancel, t.toOtherDevice, t.help]);
        expect(statusText(el)).to.equal(t.rfa13ButtonComputer);
      });

      it('says it is trying to start the app on a phone that launches by itself', async () => {
        const el = await mount({ lang, platform: iphoneSafari });
        await begin(el);
        expect(statusText(el)).to.equal(t.rfa13Phone);
        expectButtons(el, [t.cancel, t.toOtherDevice, t.help]);
        await after(el, 5000);
        expectButtons(el, [t.launchPhone, t.cancel, t.toOtherDevice, t.help]);
        expect(statusText(el)).to.equal(t.rfa13ButtonPhone);
      });

      it('shows the phone launch button at once where a tap is needed (Android Chrome)', async () => {
        const el = await mount({ lang, platform: androidChrome });
        await begin(el);
        expectButtons(el, [t.launchPhone, t.cancel, t.toOtherDevice, t.help]);
        expect(statusText(el)).to.equal(t.rfa13ButtonPhone);
      });
    });

    describe('waiting on another device (QR)', () => {
      it('shows the QR code with an accessible name, RFA1, the numbered steps, Cancel, the switch to this computer and help', async () => {
        const el = await mount({ lang, flow: 'other-device' });
        await begin(el);
        const qr = qrCode(el);
        expect(qr, 'QR code').to.not.equal(null);
        expect(qr!.getAttribute('aria-label')).to.match(t.qrName);
        expect(qr!.checkVisibility()).to.equal(true);
        expect(statusText(el)).to.equal(t.rfa1);
        const steps = root(el).querySelector('ol[part~="steps"]')!;
        expect([...steps.querySelectorAll('li')].map((li) => li.textContent!.trim())).to.deep.equal([...t.qrSteps]);
        expect(steps.checkVisibility()).to.equal(true);
        expectButtons(el, [t.larger, t.cancel, t.toThisComputer, t.help]);
      });

      it('offers "this device" rather than "this computer" on a phone', async () => {
        const el = await mount({ lang, flow: 'other-device', platform: iphoneSafari });
        await begin(el);
        expect(qrCode(el)).to.not.equal(null);
        expectButtons(el, [t.larger, t.cancel, t.toThisPhone, t.help]);
      });

      it('has no steps in the this-device flow', async () => {
        const el = await mount({ lang, flow: 'this-device' });
        await begin(el);
        expect(root(el).querySelector('[part~="steps"]')).to.equal(null);
      });
    });

    describe('signing', () => {
      it('asks for the security code and Identify once the app has the order (auth)', async () => {
        const el = await mount({ lang });
        await begin(el);
        await collectAnswers(el, backend.pending('userSign'));
        expect(el.state).to.equal('signing');
        expect(statusText(el)).to.equal(t.rfa9Auth);
        expectButtons(el, [t.cancel, t.help]);
      });

      it('asks for the security code and Sign for a signing order', async () => {
        const el = await mount({ lang, operation: 'sign' });
        await begin(el);
        await collectAnswers(el, backend.pending('userSign'));
        expect(statusText(el)).to.equal(t.rfa9Sign);
      });

      it('hides the QR code once the app has the order', async () => {
        const el = await mount({ lang, flow: 'other-device' });
        await begin(el);
        await collectAnswers(el, backend.pending('userSign'));
        expect(qrCode(el) === null).to.equal(true);
        expect(statusText(el)).to.equal(t.rfa9Auth);
      });
    });

    describe('done', () => {
      it('confirms the login with no buttons at all and no help', async () => {
        const el = await mount({ lang });
        await begin(el);
        await collectAnswers(el, completed);
        expect(el.state).to.equal('complete');
        expect(textOf(el)).to.equal(t.doneAuth);
        expect(buttonNames(el)).to.deep.equal([]);
        expect(root(el).querySelector('[aria-expanded]') === null).to.equal(true);
        expect(links(el).length).to.equal(0);
      });

      it('confirms the signature for a signing order', async () => {
        const el = await mount({ lang, operation: 'sign' });
        await begin(el);
        await collectAnswers(el, completed);
        expect(textOf(el)).to.equal(t.doneSign);
        expect(buttonNames(el)).to.deep.equal([]);
      });
    });

    describe('cancelled', () => {
      it('after a cancel in the app: says so, explains the alternatives, offers Try again, the switch and help', async () => {
        const el = await mount({ lang });
        await begin(el);
        await collectAnswers(el, failedWith('userCancel'));
        expect(el.state).to.equal('cancelled');
        expect(statusText(el)).to.equal(t.rfa6Auth);
        expect(textOf(el)).to.include(t.cancelledHint);
        expectButtons(el, [t.retry, t.toOtherDevice, t.help]);
      });

      it('after the Cancel button: the same panel, worded for signing', async () => {
        const el = await mount({ lang, operation: 'sign' });
        await begin(el);
        buttonNamed(el, t.cancel)!.click();
        await settle(el);
        expect(el.state).to.equal('cancelled');
        expect(statusText(el)).to.equal(t.rfa6Sign);
        expect(textOf(el)).to.include(t.cancelledHint);
        expectButtons(el, [t.retry, t.toOtherDevice, t.help]);
      });

      it('in the QR flow the switch leads to this computer', async () => {
        const el = await mount({ lang, flow: 'other-device' });
        await begin(el);
        buttonNamed(el, t.cancel)!.click();
        await settle(el);
        expectButtons(el, [t.retry, t.toThisComputer, t.help]);
      });

      it('Try again begins a new order', async () => {
        const el = await mount({ lang });
        await begin(el);
        buttonNamed(el, t.cancel)!.click();
        await settle(el);
        buttonNamed(el, t.retry)!.click();
        await settle(el);
        expect(backend.calls('auth')).to.have.length(2);
        expect(statusText(el)).to.equal(t.rfa13Computer);
      });
    });

    describe('start failed', () => {
      it('on a computer: the security program seems missing or too old, with a real install link', async () => {
        const el = await mount({ lang });
        await begin(el);
        await collectAnswers(el, failedWith('startFailed'));
        expect(el.state).to.equal('failed');
        expect(statusText(el)).to.match(t.missingComputer);
        const install = links(el).filter((a) => a.getAttribute('href') === 'https://install.bankid.com');
        expect(
          install.filter((a) => a.checkVisibility()),
          'visible install link',
        ).to.have.length(1);
        expectButtons(el, [t.retry, t.toOtherDevice, t.help]);
      });

      it('on a phone: the app seems missing or too old, with a real install link', async () => {
        const el = await mount({ lang, platform: iphoneSafari });
        await begin(el);
        await collectAnswers(el, failedWith('startFailed'));
        expect(statusText(el)).to.match(t.missingPhone);
        expect(statusRegion(el).querySelector('a[href="https://install.bankid.com"]')).to.not.equal(null);
        expectButtons(el, [t.retry, t.toOtherDevice, t.help]);
      });

      it('in the QR flow: keeps showing a fresh code for 3 minutes of misses, then says the code was not scanned in time', async () => {
        const el = await mount({ lang, flow: 'other-device' });
        await begin(el);
        // Each order: BankID's 30 s pass without a scan.
        const miss = async (n: number) => {
          await after(el, 29_000);
          backend.reply('collect', { json: { orderRef: orderRefOf(n), status: 'failed', hintCode: 'startFailed' } });
          await after(el, 1000);
        };
        for (let n = 1; n <= 4; n++) await miss(n);
        expect(statusText(el)).to.equal(t.rfa1);
        await miss(5);
        expect(backend.calls('auth')).to.have.length(6);
        // 30 s before the 3 minutes are up: told so, with "Mer tid" (not pressed here).
        expect(statusText(el)).to.equal(t.qrExpiring);
        expect(buttonNamed(el, t.moreTime)).to.not.equal(null);
        expect(qrCode(el)).to.not.equal(null);

        await miss(6);
        expect(el.state).to.equal('failed');
        expect(statusText(el)).to.match(t.rfa17b);
        expect(qrCode(el) === null).to.equal(true);
        expect(statusRegion(el).querySelector('a[href="https://install.bankid.com"]')).to.not.equal(null);
        expectButtons(el, [t.retry, t.toThisComputer, t.help]);
      });
    });

    describe('other failures', () => {
      const cases: { what: string; text: keyof typeof t; arrange: () => void; collect?: Reply }[] = [
        {
          what: 'the start request fails with a 5xx (RFA5)',
          text: 'rfa5',
          arrange: () => backend.reply('auth', { status: 500, json: { errorCode: 'internalError' } }),
        },
        {
          what: 'the start request cannot reach the server (RFA5)',
          text: 'rfa5',
          arrange: () => backend.reply('auth', { networkError: true }),
        },
        {
          what: 'an order is already in progress (RFA4)',
          text: 'rfa4',
          arrange: () => backend.reply('auth', { status: 400, json: { errorCode: 'alreadyInProgress' } }),
        },
        { what: 'the order was replaced (RFA3)', text: 'rfa3', arrange: () => {}, collect: failedWith('cancelled') },
        {
          what: 'the order expired (RFA8)',
          text: 'rfa8',
          arrange: () => {},
          collect: failedWith('expiredTransaction'),
        },
        {
          what: 'the certificate is blocked (RFA16)',
          text: 'rfa16',
          arrange: () => {},
          collect: failedWith('certificateErr'),
        },
        {
          what: 'an unknown failure (RFA22)',
          text: 'rfa22',
          arrange: () => {},
          collect: failedWith('userDeclinedCall'),
        },
        {
          what: 'the app is too old (update-app)',
          text: 'updateApp',
          arrange: () => {},
          collect: failedWith('notSupportedByUserApp'),
        },
      ];
      for (const c of cases) {
        it(`${c.what}: the message and Try again`, async () => {
          c.arrange();
          const el = await mount({ lang });
          await begin(el);
          if (c.collect) await collectAnswers(el, c.collect);
          expect(el.state).to.equal('failed');
          const expected = t[c.text];
          if (expected instanceof RegExp) expect(statusText(el)).to.match(expected);
          else expect(statusText(el)).to.equal(expected);
          expect(buttonNamed(el, t.retry)?.tagName).to.equal('BUTTON');
          expect(buttonNamed(el, t.help)?.tagName).to.equal('BUTTON');
          expect(buttonNamed(el, t.cancel) === null).to.equal(true);
        });
      }

      it('Try again begins a new order', async () => {
        backend.reply('auth', { status: 500, json: {} });
        const el = await mount({ lang });
        await begin(el);
        buttonNamed(el, t.retry)!.click();
        await settle(el);
        expect(backend.calls('auth')).to.have.length(2);
        expect(el.state).to.equal('waiting');
      });
    });
  });
}

// ---------------------------------------------------------------- help

describe('help', () => {
  for (const lang of ['sv', 'en'] as const) {
    const t = TEXT[lang];

    it(`(${lang}) is a closed disclosure that opens and closes with its toggle`, async () => {
      const el = await mount({ lang });
      const toggle = helpToggle(el, lang)!;
      expect(toggle.tagName).to.equal('BUTTON');
      expect(toggle.getAttribute('aria-expanded')).to.equal('false');
      const id = toggle.getAttribute('aria-controls');
      expect(id, 'aria-controls').to.be.a('string').and.not.equal('');
      const section = root(el).getElementById(id!)!;
      expect(section, 'the controlled section').to.not.equal(null);
      expect(section.checkVisibility()).to.equal(false);
      expect(textOf(el)).to.not.include('support.bankid.com');

      toggle.click();
      await settle(el);
      expect(toggle.getAttribute('aria-expanded')).to.equal('true');
      expect(section.checkVisibility()).to.equal(true);

      toggle.click();
      await settle(el);
      expect(toggle.getAttribute('aria-expanded')).to.equal('false');
      expect(section.checkVisibility()).to.equal(false);
    });

    it(`(${lang}) gives real links and advice for each common cause`, async () => {
      const el = await mount({ lang });
      helpToggle(el, lang)!.click();
      await settle(el);
      const section = root(el).getElementById(helpToggle(el, lang)!.getAttribute('aria-controls')!)!;
      for (const href of ['https://install.bankid.com', 'https://support.bankid.com']) {
        const link = section.querySelector<HTMLAnchorElement>(`a[href="${href}"]`);
        expect(link, href).to.not.equal(null);
        expect(link!.checkVisibility(), `${href} visible`).to.equal(true);
      }
      const text = section.innerText.replace(/\s+/g, ' ');
      for (const advice of t.helpAdvice) expect(text).to.match(advice);
    });
  }

  it('is reachable from every panel but Done', async () => {
    const t = TEXT.sv;
    backend.reply('auth', { hang: true });
    const el = await mount({ lang: 'sv' });
    expect(helpToggle(el, 'sv'), 'idle').to.not.equal(null);
    void el.start();
    await settle(el);
    expect(helpToggle(el, 'sv'), 'starting').to.not.equal(null);
    el.cancel();
    await settle(el);
    expect(helpToggle(el, 'sv'), 'cancelled').to.not.equal(null);
    await after(el, 10_000); // the abandoned start request reaches its deadline
    await begin(el);
    expect(helpToggle(el, 'sv'), 'waiting').to.not.equal(null);
    await collectAnswers(el, backend.pending('userSign'));
    expect(helpToggle(el, 'sv'), 'signing').to.not.equal(null);
    await collectAnswers(el, completed);
    expect(el.state).to.equal('complete');
    expect(helpToggle(el, 'sv') === null, 'no help when done').to.equal(true);
    expect(textOf(el)).to.equal(t.doneAuth);
  });
});

// ---------------------------------------------------------------- live region

describe('live region', () => {
  it('is a single status element that follows the status through the flow', async () => {
    const t = TEXT.sv;
    backend.reply('auth', { hang: true });
    const el = await mount({ lang: 'sv', flow: 'other-device' });
    const region = statusRegion(el);
    const seen: string[] = [];
    const check = (label: string) => {
      expect(root(el).querySelectorAll('[role="status"]'), label).to.have.length(1);
      expect(statusRegion(el) === region, `${label}: the same node`).to.equal(true);
      seen.push(statusText(el));
    };
    check('idle');

    void el.start();
    await settle(el);
    check('starting');
    el.cancel();
    await settle(el);
    check('cancelled');
    await after(el, 10_000); // the abandoned start request reaches its deadline

    await begin(el);
    check('waiting');
    await collectAnswers(el, backend.pending('started'));
    check('started');
    await collectAnswers(el, backend.pending('userSign'));
    check('signing');
    await collectAnswers(el, completed);
    check('done');

    expect(seen).to.deep.equal([
      '',
      t.starting,
      t.rfa6Auth,
      t.rfa1,
      'Söker efter BankID… Kontrollera att det finns ett giltigt BankID på enheten.',
      t.rfa9Auth,
      t.doneAuth,
    ]);
  });

  it('announces reconnecting calmly while collect fails, and the failure when it gives up', async () => {
    const el = await mount({ lang: 'en' });
    await begin(el);
    backend.defaults.collect = { networkError: true };
    await after(el, 2000);
    expect(statusText(el)).to.equal('Connection lost for a moment. Reconnecting…');
    expect(el.state).to.equal('waiting');
    await after(el, 20_000);
    expect(el.state).to.equal('failed');
    expect(statusText(el)).to.equal(TEXT.en.rfa5);
    expect(root(el).querySelectorAll('[role="status"]')).to.have.length(1);
  });
});

// ---------------------------------------------------------------- focus

describe('focus', () => {
  it('moves to Try again when the order fails', async () => {
    const el = await mount({ lang: 'sv' });
    await begin(el);
    await collectAnswers(el, failedWith('expiredTransaction'));
    expect(focusedLabel(el)).to.equal(TEXT.sv.retry);
  });

  it('moves to Try again when the start fails', async () => {
    backend.reply('auth', { status: 503, json: {} });
    const el = await mount({ lang: 'en' });
    await begin(el);
    expect(focusedLabel(el)).to.equal(TEXT.en.retry);
  });

  it('moves to Try again when the user cancels in the app', async () => {
    const el = await mount({ lang: 'sv' });
    await begin(el);
    await collectAnswers(el, failedWith('userCancel'));
    expect(focusedLabel(el)).to.equal(TEXT.sv.retry);
  });

  it('moves to Try again after the Cancel button', async () => {
    const el = await mount({ lang: 'en', flow: 'other-device' });
    await begin(el);
    const cancel = buttonNamed(el, TEXT.en.cancel)!;
    cancel.focus();
    cancel.click();
    await settle(el);
    expect(focusedLabel(el)).to.equal(TEXT.en.retry);
  });

  it('is left where the page has it while waiting and signing', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div>
        <input aria-label="name" />
        <bankid-login api=${API} lang="sv" flow="this-device" .platform=${computer}></bankid-login>
      </div>`,
    );
    const input = wrapper.querySelector('input')!;
    const el = wrapper.querySelector('bankid-login')!;
    input.focus();
    await begin(el);
    expect(document.activeElement === input, 'focus stays while waiting').to.equal(true);
    await after(el, 5000);
    expect(buttonNamed(el, TEXT.sv.launchComputer)).to.not.equal(null);
    expect(document.activeElement === input, 'focus stays when the launch button shows').to.equal(true);
    await collectAnswers(el, backend.pending('userSign'));
    expect(el.state).to.equal('signing');
    expect(document.activeElement === input, 'focus stays while signing').to.equal(true);
    expect(root(el).activeElement === null, 'nothing focused inside').to.equal(true);
  });
});

// ---------------------------------------------------------------- language

describe('language', () => {
  const beginLabel = (el: BankIdLogin) => buttonNames(el)[0];

  it('lang="en" shows English', async () => {
    await primeLocale('sv');
    const el = await mount({ lang: 'en' });
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
    expect(helpToggle(el, 'en')).to.not.equal(null);
  });

  it('lang="sv-SE" shows Swedish', async () => {
    await primeLocale('en');
    const el = await fixture<BankIdLogin>(
      html`<bankid-login api=${API} lang="sv-SE" .platform=${computer}></bankid-login>`,
    );
    await settle(el);
    expect(beginLabel(el)).to.equal(TEXT.sv.begin);
  });

  it('any other language (lang="de") shows English', async () => {
    await primeLocale('sv');
    const el = await fixture<BankIdLogin>(
      html`<bankid-login api=${API} lang="de" .platform=${computer}></bankid-login>`,
    );
    await settle(el);
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
  });

  it('marks its content with the language it is shown in, so screen readers pronounce it right', async () => {
    await primeLocale('sv');
    const el = await fixture<BankIdLogin>(
      html`<bankid-login api=${API} lang="de" .platform=${computer}></bankid-login>`,
    );
    await settle(el);
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
    expect(root(el).querySelector('.card')!.closest('[lang]')!.getAttribute('lang')).to.equal('en');
    el.lang = 'sv-SE';
    await settle(el);
    expect(beginLabel(el)).to.equal(TEXT.sv.begin);
    expect(root(el).querySelector('.card')!.closest('[lang]')!.getAttribute('lang')).to.equal('sv');
  });

  it('without its own lang it takes the nearest ancestor lang', async () => {
    await primeLocale('sv');
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="en">
        <section><bankid-login api=${API} .platform=${computer}></bankid-login></section>
      </div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    await settle(el);
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
  });

  it('lang set as a property is written to the attribute, as on any element, and goes with it', async () => {
    await primeLocale('sv');
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="en"><bankid-login api=${API} .platform=${computer}></bankid-login></div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    await settle(el);
    expect(el.hasAttribute('lang'), 'no lang attribute of its own to begin with').to.equal(false);
    expect(el.lang, 'unset reads as on any element').to.equal('');
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
    el.lang = 'sv';
    await settle(el);
    expect(el.getAttribute('lang')).to.equal('sv');
    expect(beginLabel(el)).to.equal(TEXT.sv.begin);
    el.removeAttribute('lang');
    await settle(el);
    expect(el.lang).to.equal('');
    expect(beginLabel(el)).to.equal(TEXT.en.begin);
  });

  it('with no lang anywhere it shows Swedish', async () => {
    await withoutHtmlLang(async () => {
      await primeLocale('en');
      const el = await fixture<BankIdLogin>(html`<bankid-login api=${API} .platform=${computer}></bankid-login>`);
      await settle(el);
      expect(beginLabel(el)).to.equal(TEXT.sv.begin);
    });
  });

  it("inside another element's shadow root it inherits the host's lang", async () => {
    await withoutHtmlLang(async () => {
      await primeLocale('sv');
      const host = await fixture<HTMLDivElement>(html`<div lang="en"></div>`);
      const shadow = host.attachShadow({ mode: 'open' });
      const el = document.createElement('bankid-login') as BankIdLogin;
      el.api = API;
      el.platform = computer;
      shadow.append(el);
      await settle(el);
      expect(beginLabel(el)).to.equal(TEXT.en.begin);
    });
  });

  it("re-renders every text when the element's lang changes at runtime", async () => {
    const el = await mount({ lang: 'sv', flow: 'other-device' });
    await begin(el);
    expect(statusText(el)).to.equal(TEXT.sv.rfa1);

    el.lang = 'en';
    await settle(el);
    expect(statusText(el)).to.equal(TEXT.en.rfa1);
    expectButtons(el, [TEXT.en.larger, TEXT.en.cancel, TEXT.en.toThisComputer, TEXT.en.help]);

    el.setAttribute('lang', 'sv');
    await settle(el);
    expect(statusText(el)).to.equal(TEXT.sv.rfa1);
    expectButtons(el, [TEXT.sv.larger, TEXT.sv.cancel, TEXT.sv.toThisComputer, TEXT.sv.help]);
  });

  it('the QR code is named in the current language', async () => {
    const el = await mount({ lang: 'sv', flow: 'other-device' });
    await begin(el);
    const sv = qrCode(el)!.getAttribute('aria-label');
    el.lang = 'en';
    await settle(el);
    const en = qrCode(el)!.getAttribute('aria-label');
    expect(sv).to.match(/QR/);
    expect(en).to.match(/QR/);
    expect(en).to.not.equal(sv);
  });

  it('two elements that disagree on the language settle instead of re-rendering each other forever', async () => {
    // Not supported (CONTRACT §2), but it must not lock up the page. A guard stops a runaway loop
    // after a few hundred updates so that this test fails instead of hanging the browser.
    const proto = BankIdLogin.prototype as unknown as { willUpdate(changed: unknown): void };
    const willUpdate = proto.willUpdate;
    let updates = 0;
    proto.willUpdate = function (this: unknown, changed: unknown) {
      updates++;
      if (updates <= 300) willUpdate.call(this, changed);
    };
    try {
      const wrapper = await fixture<HTMLDivElement>(
        html`<div>
          <bankid-login api=${API} lang="sv" .platform=${computer}></bankid-login>
          <bankid-login api=${API} lang="en" .platform=${computer}></bankid-login>
        </div>`,
      );
      for (let i = 0; i < 20; i++) await clock.tickAsync(10);
      expect(updates, 'updates in 200 ms').to.be.lessThan(30);
      const settledAt = updates;
      for (let i = 0; i < 20; i++) await clock.tickAsync(10);
      expect(updates, 'updates after the page settled').to.equal(settledAt);
      wrapper.remove();
      await clock.tickAsync(0);
    } finally {
      proto.willUpdate = willUpdate;
    }
  });

  it('re-renders when <html lang> changes and the element has no lang of its own', async () => {
    await withoutHtmlLang(async () => {
      await primeLocale('sv');
      const el = await fixture<BankIdLogin>(html`<bankid-login api=${API} .platform=${computer}></bankid-login>`);
      await settle(el);
      expect(beginLabel(el)).to.equal(TEXT.sv.begin);

      document.documentElement.setAttribute('lang', 'en');
      await settle(el);
      expect(beginLabel(el)).to.equal(TEXT.en.begin);

      document.documentElement.setAttribute('lang', 'sv');
      await settle(el);
      expect(beginLabel(el)).to.equal(TEXT.sv.begin);
    });
  });
});

// ---------------------------------------------------------------- links and CSP

describe('links and inline styles', () => {
  /** Visits each state that has links or could render styles, checking every one. */
  async function eachState(check: (el: BankIdLogin, label: string) => void): Promise<void> {
    const el = await mount({ lang: 'sv' });
    helpToggle(el, 'sv')!.click();
    await settle(el);
    check(el, 'idle, help open');
    await begin(el);
    check(el, 'waiting');
    await after(el, 5000);
    check(el, 'waiting with launch button');
    await collectAnswers(el, failedWith('startFailed'));
    check(el, 'start failed');
    buttonNamed(el, TEXT.sv.toOtherDevice)!.click();
    await settle(el);
    check(el, 'waiting with QR');
    await after(el, 1000); // a new QR frame
    await collectAnswers(el, failedWith('notSupportedByUserApp'));
    check(el, 'update-app');
    buttonNamed(el, TEXT.sv.retry)!.click();
    await settle(el);
    await collectAnswers(el, backend.pending('userSign'));
    check(el, 'signing');
    await collectAnswers(el, completed);
    check(el, 'done');
  }

  it('every link goes to an https:// address', async () => {
    let seen = 0;
    await eachState((el, label) => {
      for (const a of links(el)) {
        seen++;
        expect(a.getAttribute('href'), label).to.match(/^https:\/\//);
      }
    });
    expect(seen, 'links checked').to.be.greaterThan(3);
  });

  it('no element in the shadow root has a style attribute (CSP)', async () => {
    await eachState((el, label) => {
      expect(root(el).querySelectorAll('[style]'), label).to.have.length(0);
    });
  });
});

// ---------------------------------------------------------------- styling

describe('styling: each documented custom property reaches what it styles', () => {
  it('accent and on-accent (the main button), background, border and radius (the card), focus (the ring)', async () => {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div>
        <button id="before">before</button>
        <bankid-login api=${API} lang="sv" .platform=${computer}></bankid-login>
      </div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    const set = {
      '--bankid-login-accent': 'rgb(1, 2, 3)',
      '--bankid-login-on-accent': 'rgb(4, 5, 6)',
      '--bankid-login-background': 'rgb(7, 8, 9)',
      '--bankid-login-border': '3px dashed rgb(10, 11, 12)',
      '--bankid-login-radius': '7px',
      '--bankid-login-focus': 'rgb(13, 14, 15)',
    };
    for (const [name, value] of Object.entries(set)) el.style.setProperty(name, value);
    await settle(el);
    const card = getComputedStyle(root(el).querySelector('.card')!);
    const beginButton = root(el).querySelector<HTMLButtonElement>('[data-action="begin"]')!;
    const main = getComputedStyle(beginButton);
    expect(main.backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(main.color).to.equal('rgb(4, 5, 6)');
    expect(card.backgroundColor).to.equal('rgb(7, 8, 9)');
    expect([card.borderTopWidth, card.borderTopStyle, card.borderTopColor]).to.deep.equal([
      '3px',
      'dashed',
      'rgb(10, 11, 12)',
    ]);
    expect(card.borderTopLeftRadius).to.equal('7px');
    // The ring shows for keyboard focus.
    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    expect(root(el).activeElement).to.equal(beginButton);
    expect(getComputedStyle(beginButton).outlineColor).to.equal('rgb(13, 14, 15)');
  });
});
