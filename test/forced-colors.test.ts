/**
 * Forced colours (Windows contrast themes; WCAG 1.4.11, 2.4.7, 2.4.11): the QR code keeps black on
 * white with its white quiet zone, so a phone reads it from what the screen really shows (a
 * screenshot); every button keeps a visible border; focus stays visible. Chromium switches the mode
 * per page (through CDP); Firefox runs this file once more started in a dark contrast theme
 * (WTR_BROWSER=firefox-forced-colors); WebKit has no forced-colours mode, so there it is skipped.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import type sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { wcagViolations } from './axe.js';
import { decodeQr } from './decode-qr.js';
import { API, FakeBackend, computer, installFakes, orderRefOf, qrOf, removeFakes } from './support.js';

let clock: sinon.SinonFakeTimers;
let backend: FakeBackend;

describe('forced colours', function () {
  before(async function () {
    const mode = await executeServerCommand<string, { active: boolean }>('forced-colors', { active: true });
    if (mode === 'unsupported') this.skip();
    // Where the mode was switched on, it must really be on: a broken setup fails, it does not skip.
    expect(matchMedia('(forced-colors: active)').matches, `forced colours ${mode}`).to.equal(true);
  });
  after(async () => {
    await executeServerCommand('forced-colors', { active: false });
  });
  beforeEach(() => ({ clock, backend } = installFakes()));
  afterEach(() => removeFakes(clock));

  async function settle(el: BankIdLogin, ms = 0): Promise<void> {
    await clock.tickAsync(ms);
    await el.updateComplete;
  }

  async function mount(flow: 'this-device' | 'other-device', lang = 'sv'): Promise<BankIdLogin> {
    const wrapper = await fixture<HTMLDivElement>(
      html`<div>
        <button id="before">before</button>
        <bankid-login api=${API} lang=${lang} flow=${flow} .platform=${computer}></bankid-login>
      </div>`,
    );
    const el = wrapper.querySelector('bankid-login')!;
    await settle(el);
    return el;
  }

  /** What the screen shows of `element`, as pixels. */
  async function screenshotOf(element: Element): Promise<ImageData> {
    const rect = element.getBoundingClientRect();
    const png = await executeServerCommand<string | null, Record<string, number>>('screenshot', {
      x: Math.floor(rect.left + scrollX),
      y: Math.floor(rect.top + scrollY),
      width: Math.ceil(rect.width),
      height: Math.ceil(rect.height),
    });
    if (!png) throw new Error('no screenshot from this launcher');
    const image = new Image();
    image.src = `data:image/png;base64,${png}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  const brightness = (image: ImageData, x: number, y: number) => {
    const i = (y * image.width + x) * 4;
    return (image.data[i]! + image.data[i + 1]! + image.data[i + 2]!) / 3;
  };

  it('the page really is in a dark forced-colours theme', async () => {
    const el = await mount('this-device');
    const canvas = getComputedStyle(el.shadowRoot!.querySelector('.card')!).color;
    // The theme's text colour is light: the test below is about a dark screen, not a white one.
    const [r, g, b] = canvas.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).to.be.greaterThan(600);
  });

  it('the QR code stays dark on light with its white quiet zone, and reads from a screenshot', async () => {
    const el = await mount('other-device');
    await el.start();
    await settle(el);
    const svg = el.shadowRoot!.querySelector('svg.qr')!;
    const image = await screenshotOf(svg);
    expect(decodeQr(image)).to.equal(qrOf(1, 0));
    // The quiet zone: 4 modules of white all round (sampled 2 px inside each edge).
    const { width, height } = image;
    for (const [x, y] of [
      [width >> 1, 2],
      [width >> 1, height - 3],
      [2, height >> 1],
      [width - 3, height >> 1],
    ] as const) {
      expect(brightness(image, x, y), `quiet zone at ${x},${y}`).to.be.greaterThan(230);
    }
  });

  it('every button keeps a visible border, in every panel', async () => {
    const el = await mount('other-device', 'en');
    const check = (where: string) => {
      for (const button of el.shadowRoot!.querySelectorAll('button')) {
        if (!button.checkVisibility() || getComputedStyle(button).visibility === 'hidden') continue;
        const style = getComputedStyle(button);
        expect(style.borderTopStyle, `${where}: ${button.textContent!.trim()}`).to.not.equal('none');
        expect(parseFloat(style.borderTopWidth), `${where}: ${button.textContent!.trim()}`).to.be.at.least(1);
      }
    };
    check('idle');
    await el.start();
    await settle(el);
    check('QR');
    backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'failed', hintCode: 'certificateErr' } });
    await settle(el, 1000);
    expect(el.state).to.equal('failed');
    check('failed');
  });

  it('focus stays visible: a solid outline of at least 2 px on the focused button', async () => {
    const el = await mount('this-device', 'en');
    (el.parentElement!.querySelector('#before') as HTMLButtonElement).focus();
    await sendKeys({ press: 'Tab' });
    const focused = el.shadowRoot!.activeElement as HTMLElement;
    expect(focused?.textContent?.trim()).to.equal('Log in with BankID');
    const style = getComputedStyle(focused);
    expect(style.outlineStyle).to.equal('solid');
    expect(parseFloat(style.outlineWidth)).to.be.at.least(2);
  });

  const arrangements: Record<string, (el: BankIdLogin) => Promise<void>> = {
    'idle, help open': async (el) => {
      el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="help"]')!.click();
      await settle(el);
    },
    'the QR code': async (el) => {
      await el.start();
      await settle(el);
    },
    failed: async (el) => {
      backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'failed', hintCode: 'expiredTransaction' } });
      await el.start();
      await settle(el, 1000);
      expect(el.state).to.equal('failed');
    },
  };
  for (const [name, arrange] of Object.entries(arrangements)) {
    it(`axe, WCAG 2.2 A and AA, in forced colours: ${name}`, async () => {
      const el = await mount('other-device');
      await arrange(el);
      clock.restore();
      const report = await wcagViolations(el);
      expect(report, report.join('\n')).to.deep.equal([]);
    });
  }
});
