/**
 * Zoom, reflow and the keyboard against the real stack (real timers, real layout): the script-tag
 * bundle in a frame of 320 × 256 CSS px, which is what a 1280 × 1024 window shows at 400 % zoom
 * (WCAG 1.4.4, 1.4.10); the note when part of the code is off the screen; a larger code; the help
 * at 400 %; and a whole login with the keyboard alone, in a logical order and with no trap (2.1.1,
 * 2.1.2, 2.4.3). Same in Chromium, Firefox and WebKit.
 */
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { launcher } from '../src/launcher.js';
import { detectPlatform } from '../src/platform.js';
import { connectStack, decodeFreshQr, phone, until } from './stack.js';
import { bundlePage } from './support.js';

const frames: HTMLIFrameElement[] = [];

/** A page of the site with the bundle and the element, in a frame of the given size, pinned in view. */
async function page(width: number, height: number, lang: 'sv' | 'en'): Promise<{ el: BankIdLogin; win: Window }> {
  const { frame, win } = await bundlePage(lang, {
    style: `position:fixed;top:0;left:0;width:${width}px;height:${height}px;border:0;z-index:10;background:#fff`,
    body: '<h1>Logga in</h1><bankid-login api="/api/bankid" flow="other-device"></bankid-login>',
  });
  frames.push(frame);
  const el = win.document.querySelector('bankid-login') as BankIdLogin;
  await el.updateComplete;
  return { el, win };
}

const statusLine = (el: BankIdLogin) =>
  (el.shadowRoot!.querySelector('[role="status"]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
const qr = (el: BankIdLogin) => el.shadowRoot!.querySelector<SVGSVGElement>('svg[role="img"]');
/** What a wait for the code says when it times out: where the element stood. */
const codeFor = (el: BankIdLogin) => () =>
  `the QR code (state ${el.state}, hint ${el.hintCode}, status line "${statusLine(el)}")`;

const NOT_VISIBLE = {
  sv: 'En del av QR-koden syns inte på skärmen. Skrolla tills du ser hela koden.',
  en: 'Part of the QR code is off the screen. Scroll until you see all of it.',
};

describe('400 % zoom: a 320 × 256 px window (WCAG 1.4.4, 1.4.10)', function () {
  this.timeout(20_000);
  before(async function () {
    this.timeout(30_000);
    await connectStack();
  });
  beforeEach(() => localStorage.clear());
  afterEach(() => {
    for (const frame of frames.splice(0)) frame.remove(); // the element's removal cancels its order
    localStorage.clear();
  });

  for (const lang of ['sv', 'en'] as const) {
    it(`the whole code fits, at 160 px or more, with no sideways scrolling (${lang})`, async () => {
      const { el, win } = await page(320, 256, lang);
      await el.start();
      const svg = await until(() => qr(el), 10_000, codeFor(el));
      const box = svg.getBoundingClientRect();
      expect(box.width, 'never smaller than 160 px').to.be.at.least(160);
      expect(box.height).to.be.closeTo(box.width, 1);
      expect(box.left, 'not cut on the left').to.be.at.least(0);
      expect(box.right, 'not cut on the right').to.be.at.most(320);
      expect(win.document.documentElement.scrollWidth, 'no horizontal scrolling').to.be.at.most(320);
      // Every button fits the width too.
      for (const button of el.shadowRoot!.querySelectorAll('button')) {
        const { left, right } = button.getBoundingClientRect();
        expect(left, button.textContent!.trim()).to.be.at.least(0);
        expect(right, button.textContent!.trim()).to.be.at.most(320);
      }
    });

    it(`says when part of the code is off the screen, and stops when it is all there (${lang})`, async () => {
      const { el, win } = await page(320, 256, lang);
      await el.start();
      const svg = await until(() => qr(el), 10_000, codeFor(el));
      win.scrollTo(0, 0);
      // The heading and the status line push the code's lower part below the 256 px.
      expect(svg.getBoundingClientRect().bottom).to.be.greaterThan(256);
      await until(() => statusLine(el) === NOT_VISIBLE[lang], 4000, 'the off-screen note');
      // The one live region says it (nothing else is announced).
      expect(el.shadowRoot!.querySelectorAll('[role="status"], [aria-live]')).to.have.length(1);

      // Scrolled so that all of it shows (scrollIntoView stops short in WebKit's frames).
      win.scrollBy(0, svg.getBoundingClientRect().top - 28);
      await until(() => statusLine(el) !== NOT_VISIBLE[lang], 3000, 'the note to go');
      const box = svg.getBoundingClientRect();
      expect(box.top).to.be.at.least(0);
      expect(box.bottom).to.be.at.most(256);
      expect(statusLine(el)).to.match(lang === 'sv' ? /^Öppna BankID-appen/ : /^Open the BankID app/);
    });

    it(`says nothing when the user has scrolled the whole code away, to read the help (${lang})`, async () => {
      const { el, win } = await page(320, 256, lang);
      await el.start();
      const svg = await until(() => qr(el), 10_000, codeFor(el));
      el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
      await el.updateComplete;
      win.scrollTo(0, win.document.documentElement.scrollHeight);
      expect(svg.getBoundingClientRect().bottom, 'the code is above the window').to.be.below(0);
      await new Promise((resolve) => setTimeout(resolve, 1800)); // past QR_VISIBILITY_DELAY
      expect(statusLine(el)).to.match(lang === 'sv' ? /^Öppna BankID-appen/ : /^Open the BankID app/);
    });
  }

  it('the help reads at 400 %: no sideways scrolling, every link inside the width', async () => {
    const { el, win } = await page(320, 256, 'sv');
    el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
    await el.updateComplete;
    const links = [...el.shadowRoot!.querySelectorAll('#help a')];
    expect(links.length).to.be.at.least(2);
    for (const link of links) expect(link.getBoundingClientRect().right, link.textContent!).to.be.at.most(320);
    expect(win.document.documentElement.scrollWidth).to.be.at.most(320);
  });

  it('"Larger QR code" shows it larger where there is room, and never wider than the window', async () => {
    const wide = await page(640, 480, 'en');
    await wide.el.start();
    const svg = await until(() => qr(wide.el), 10_000, codeFor(wide.el));
    const normal = svg.getBoundingClientRect().width;
    const toggle = wide.el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="larger-qr"]')!;
    expect(toggle.textContent!.trim()).to.equal('Larger QR code');
    toggle.click();
    await wide.el.updateComplete;
    expect(toggle.textContent!.trim(), 'the toggle says what it does next').to.equal('Smaller QR code');
    expect(qr(wide.el)!.getBoundingClientRect().width).to.be.at.least(normal * 1.5);
    toggle.click();
    await wide.el.updateComplete;
    expect(qr(wide.el)!.getBoundingClientRect().width).to.be.closeTo(normal, 1);

    // Two live elements on one origin share one order as two tabs do, and the later start can
    // leave one of them following the other's: the wide one goes before the narrow one starts.
    for (const frame of frames.splice(0)) frame.remove();
    localStorage.clear();
    const narrow = await page(320, 256, 'en');
    await narrow.el.start();
    await until(() => qr(narrow.el), 10_000, codeFor(narrow.el));
    narrow.el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="larger-qr"]')!.click();
    await narrow.el.updateComplete;
    const large = qr(narrow.el)!.getBoundingClientRect();
    expect(large.right).to.be.at.most(320);
    // Never taller than the window: all of it can still be brought on screen.
    expect(large.height).to.be.at.most(256);
    expect(narrow.win.document.documentElement.scrollWidth).to.be.at.most(320);
  });
});

describe('the keyboard alone (WCAG 2.1.1, 2.1.2, 2.4.3)', function () {
  this.timeout(20_000);
  let wrapper: HTMLDivElement | null = null;
  before(async function () {
    this.timeout(30_000);
    await connectStack();
  });
  beforeEach(() => {
    localStorage.clear();
    sinon.stub(launcher, 'open');
  });
  afterEach(() => {
    wrapper?.remove();
    wrapper = null;
    sinon.restore();
    localStorage.clear();
  });

  /** The name of what has focus: a control inside the element, else the page's. */
  const focused = (el: BankIdLogin) => {
    const inside = el.shadowRoot!.activeElement as HTMLElement | null;
    return inside ? inside.textContent!.trim() : `page: ${(document.activeElement as HTMLElement).id}`;
  };

  it('a whole login: Tab to the begin button, Enter, Tab through the panel in order and out, the phone identifies', async () => {
    wrapper = document.createElement('div');
    wrapper.innerHTML =
      '<button id="before">before</button><bankid-login api="/api/bankid" lang="sv" flow="other-device"></bankid-login><button id="after">after</button>';
    document.body.append(wrapper);
    const el = wrapper.querySelector('bankid-login') as BankIdLogin;
    el.platform = detectPlatform({
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    });
    await el.updateComplete;
    let completed = false;
    el.addEventListener('bankid-complete', () => (completed = true));
    let orderRef = '';
    el.addEventListener('bankid-start', (event) => (orderRef = (event as CustomEvent).detail.orderRef));

    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    expect(focused(el)).to.equal('Logga in med BankID');
    // Focus is visible (2.4.7): a solid ring of 3 px around the button.
    const ring = getComputedStyle(el.shadowRoot!.activeElement!);
    expect(ring.outlineStyle).to.equal('solid');
    expect(parseFloat(ring.outlineWidth)).to.be.at.least(2);
    await sendKeys({ press: 'Enter' });
    await until(() => qr(el), 10_000, codeFor(el));

    // The begin button went away with its panel: focus stays in the element, on Cancel (the
    // larger-code toggle waits for a code to enlarge).
    const order: string[] = [focused(el)];
    for (let i = 0; i < 3; i++) {
      await sendKeys({ press: 'Tab' });
      order.push(focused(el));
    }
    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    order.push(focused(el));
    expect(order).to.deep.equal([
      'Avbryt',
      'BankID på den här datorn',
      'Problem med BankID?',
      // No trap: the next Tab leaves the element.
      'page: after',
      // From the page before it, the toggle comes first.
      'Större QR-kod',
    ]);

    // The help opens from the keyboard and its links come next.
    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    for (let i = 0; i < 4; i++) await sendKeys({ press: 'Tab' });
    expect(focused(el)).to.equal('Problem med BankID?');
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-action="help"]')!.getAttribute('aria-expanded')).to.equal('true');
    await sendKeys({ press: 'Tab' });
    expect(focused(el)).to.equal('install.bankid.com');

    // The phone does its part; the page needs nothing more from the keyboard.
    const payload = await decodeFreshQr(el);
    expect((await phone('scan', { payload })).status).to.equal(200);
    expect((await phone('identify', { orderRef })).json.status).to.equal('complete');
    await until(() => completed, 8000, 'bankid-complete');
    expect(el.state).to.equal('complete');
  });

  it('Cancel and Try again from the keyboard: focus lands on Try again', async () => {
    wrapper = document.createElement('div');
    wrapper.innerHTML =
      '<button id="before">before</button><bankid-login api="/api/bankid" lang="en" flow="other-device"></bankid-login>';
    document.body.append(wrapper);
    const el = wrapper.querySelector('bankid-login') as BankIdLogin;
    await el.updateComplete;
    wrapper.querySelector<HTMLButtonElement>('#before')!.focus();
    await sendKeys({ press: 'Tab' });
    await sendKeys({ press: 'Enter' });
    await until(() => qr(el), 10_000, codeFor(el));
    expect(focused(el)).to.equal('Cancel');
    await sendKeys({ press: 'Enter' });
    await until(() => el.state === 'cancelled', 3000, 'cancelled');
    await el.updateComplete;
    expect(focused(el)).to.equal('Try again');
    await sendKeys({ press: 'Enter' });
    await until(() => qr(el), 5000, 'a new QR code');
    expect(el.state).to.equal('waiting');
  });
});
