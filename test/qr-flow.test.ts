/**
 * The other-device flow (animated QR), flow="auto" and switching between the flows.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import { decodeQr } from './decode-qr.js';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { detectPlatform, type Platform } from '../src/platform.js';
import {
  API,
  FakeBackend,
  androidChrome,
  buttonNamed,
  buttonNames,
  computer,
  iphoneSafari,
  orderRefOf,
  qrOf,
  recordEvents,
  textOf,
  tokenOf,
  type Endpoint,
  installFakes,
  removeFakes,
} from './support.js';

const PX = 8;
const MAC_SAFARI_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const ipadAsMac = detectPlatform({ userAgent: MAC_SAFARI_UA, maxTouchPoints: 5 });
const realMac = detectPlatform({ userAgent: MAC_SAFARI_UA, maxTouchPoints: 0 });

const sv = {
  rfa1: 'Öppna BankID-appen i din mobil eller surfplatta och skanna QR-koden.',
  rfa9: 'Skriv in din säkerhetskod i BankID och välj Identifiera.',
  rfa23: 'Läs av ditt pass eller id-kort med BankID-appen.',
  rfa17b: 'QR-koden skannades inte i tid.',
  rfa6: 'Inloggningen avbröts.',
  toThisComputer: 'BankID på den här datorn',
  toOtherDevice: 'BankID på annan enhet',
  retry: 'Försök igen',
  cancel: 'Avbryt',
  help: 'Problem med BankID?',
};

let clock: sinon.SinonFakeTimers, backend: FakeBackend, open: sinon.SinonStub;
beforeEach(() => ({ clock, backend, open } = installFakes()));
afterEach(() => removeFakes(clock));

async function mount(flow: string, platform: Platform = computer) {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login api=${API} lang="sv" flow=${flow} .platform=${platform}></bankid-login>`,
  );
  const log = recordEvents(el);
  await clock.tickAsync(0);
  await el.updateComplete;
  return { el, log };
}

const shownQr = (el: BankIdLogin) => el.shadowRoot!.querySelector<SVGSVGElement>('svg[role=img]');
/** A boolean, not the element: a failed assertion on a DOM node stalls the test runner's report. */
const qrShown = (el: BankIdLogin) => shownQr(el) !== null;
const events = (log: ReturnType<typeof recordEvents>, type: string) =>
  log.filter((e) => e.type === type).map((e) => e.detail);
const bodies = (endpoint: Endpoint) => backend.calls(endpoint).map((r) => r.body);
const collectedRefs = () => backend.calls('collect').map((r) => r.body.orderRef);

async function settle(el: BankIdLogin, ms = 0) {
  await clock.tickAsync(ms);
  await el.updateComplete;
}

async function click(el: BankIdLogin, name: string) {
  const button = buttonNamed(el, name);
  expect(button !== null, `button "${name}" in [${buttonNames(el).join(', ')}]`).to.equal(true);
  button!.click();
  await settle(el);
}

/** Draws the QR the element shows, as an image, at PX pixels per module. */
async function pixelsOfShownQr(el: BankIdLogin): Promise<{ image: ImageData; modules: number }> {
  const svg = shownQr(el);
  expect(svg !== null, 'a QR code is shown').to.equal(true);
  const modules = svg!.viewBox.baseVal.width;
  expect(modules).to.be.greaterThan(20);
  const side = modules * PX;
  const markup = new XMLSerializer().serializeToString(svg!);
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(img, 0, 0, side, side);
    return { image: ctx.getImageData(0, 0, side, side), modules };
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function decodeShownQr(el: BankIdLogin): Promise<string> {
  const { image } = await pixelsOfShownQr(el);
  return decodeQr(image);
}

/** Lets the next request to `endpoint` arrive (it is recorded) but holds its answer until released. */
function holdNextAnswer(endpoint: Endpoint): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const answer = (backend as unknown as { answer(url: string, init: RequestInit): Promise<Response> }).answer.bind(
    backend,
  );
  let held = false;
  backend.stub.callsFake(async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = answer(String(input), init ?? {});
    if (!held && String(input).endsWith(`/${endpoint}`)) {
      held = true;
      await gate;
    }
    return response;
  });
  return release;
}

const failedStartFailed = { json: { status: 'failed', hintCode: 'startFailed' } };

describe('QR flow: the code shown', () => {
  it('starts an other-device order and shows an accessible QR code that decodes to the payload', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await el.updateComplete;

    expect(bodies('auth')).to.deep.equal([{ flow: 'other-device' }]);
    expect(open.called, 'nothing launched in the QR flow').to.equal(false);
    expect(qrShown(el)).to.equal(true);
    const svg = shownQr(el)!;
    expect(svg.getAttribute('aria-label')).to.contain('QR');
    expect(await decodeShownQr(el)).to.equal(qrOf(1, 0));
    expect(textOf(el)).to.contain(sv.rfa1);
    expect(buttonNames(el)).to.include.members([sv.cancel, sv.toThisComputer]);
  });

  it('renders the code at least 160 CSS px wide', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await el.updateComplete;
    expect(shownQr(el)!.getBoundingClientRect().width).to.be.at.least(160);
  });

  it('keeps a white quiet zone of 4 modules around the code', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await el.updateComplete;
    const { image, modules } = await pixelsOfShownQr(el);
    const side = modules * PX;
    const edge = 4 * PX;
    let notWhite = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if (x >= edge && y >= edge && x < side - edge && y < side - edge) continue;
        const i = (y * side + x) * 4;
        const [r, g, b, a] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
        if (r < 240 || g < 240 || b < 240 || a < 240) notWhite++;
      }
    }
    expect(notWhite).to.equal(0);
    // The finder pattern starts right inside the quiet zone.
    expect(image.data[(edge * side + edge) * 4]).to.be.below(64);
  });
});

describe('QR flow: polling and new frames', () => {
  it('collects every 1000 ms while the code shows', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await settle(el, 999);
    expect(backend.calls('collect')).to.have.length(0);
    await settle(el, 1);
    expect(collectedRefs()).to.deep.equal(['order-1']);
    await settle(el, 999);
    expect(backend.calls('collect')).to.have.length(1);
    await settle(el, 1);
    expect(collectedRefs()).to.deep.equal(['order-1', 'order-1']);
  });

  it('shows a new frame for each new qr from collect, decoding to the new payload', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await el.updateComplete;
    expect(await decodeShownQr(el)).to.equal(qrOf(1, 0));
    for (let frame = 1; frame <= 3; frame++) {
      await settle(el, 1000);
      expect(backend.calls('collect')).to.have.length(frame);
      expect(await decodeShownQr(el), `frame ${frame}`).to.equal(qrOf(1, frame));
    }
  });

  it('a new frame changes the path\'s "d" and nothing else in the element', async () => {
    const { el } = await mount('other-device');
    await el.start();
    await settle(el, 1000); // the first collect's frame; the panel is settled from here on
    const root = el.shadowRoot!;
    const path = shownQr(el)!.querySelector('path')!;
    const changes: string[] = [];
    const note = (records: MutationRecord[]) => {
      for (const r of records) {
        const where = r.target === path ? 'the path' : ((r.target as Element).localName ?? r.target.nodeName);
        changes.push(`${r.type} ${r.attributeName ?? ''} on ${where}`);
      }
    };
    const observer = new MutationObserver(note);
    observer.observe(root, { attributes: true, childList: true, characterData: true, subtree: true });
    for (let frame = 2; frame <= 4; frame++) {
      const before = path.getAttribute('d');
      await settle(el, 1000);
      expect(path.getAttribute('d'), `frame ${frame} is drawn`).to.not.equal(before);
    }
    note(observer.takeRecords());
    observer.disconnect();
    expect(shownQr(el)!.querySelector('path') === path, 'the same path node').to.equal(true);
    expect(changes).to.deep.equal(Array(3).fill('attributes d on the path'));
  });
});

describe('QR flow: while reconnecting', () => {
  it('fades the code that no longer changes, and brings it back with the next good frame', async () => {
    const { el } = await mount('other-device');
    await el.start();
    backend.reply('collect', { status: 503, json: { errorCode: 'maintenance' } });
    await settle(el, 1000);
    const stale = () => shownQr(el)?.classList.contains('stale') === true;
    expect(qrShown(el)).to.equal(true);
    expect(stale()).to.equal(true);
    expect(getComputedStyle(shownQr(el)!).opacity).to.equal('0.15');
    await settle(el, 1000);
    expect(stale()).to.equal(false);
    expect(await decodeShownQr(el)).to.equal(qrOf(1, 1));
  });
});

describe('QR flow: hidden once the app has the order', () => {
  it('userSign: no code, RFA9, state signing, polling slows to 2000 ms', async () => {
    backend.reply('collect', backend.pending('userSign'));
    const { el } = await mount('other-device');
    await el.start();
    await settle(el, 1000);
    expect(backend.calls('collect')).to.have.length(1);
    expect(qrShown(el)).to.equal(false);
    expect(el.shadowRoot!.querySelector('svg') === null, 'no svg at all').to.equal(true);
    expect(textOf(el)).to.contain(sv.rfa9);
    expect(el.state).to.equal('signing');

    await settle(el, 1999);
    expect(backend.calls('collect')).to.have.length(1);
    await settle(el, 1);
    expect(backend.calls('collect')).to.have.length(2);
  });

  it('userMrtd: no code, RFA23, polling slows to 2000 ms', async () => {
    backend.reply('collect', backend.pending('userMrtd'));
    const { el } = await mount('other-device');
    await el.start();
    await settle(el, 1000);
    expect(qrShown(el)).to.equal(false);
    expect(textOf(el)).to.contain(sv.rfa23);
    expect(el.state).to.equal('signing');

    await settle(el, 1999);
    expect(backend.calls('collect')).to.have.length(1);
    await settle(el, 1);
    expect(backend.calls('collect')).to.have.length(2);
  });
});

describe('QR flow: startFailed', () => {
  /** Nobody scans: the order's collects say pending for 29 s, then startFailed (BankID's 30 s). */
  async function nobodyScans(el: BankIdLogin) {
    await settle(el, 29_000);
    backend.reply('collect', failedStartFailed);
    await settle(el, 1000);
  }

  it('starts new orders silently while the QR path is younger than 3 minutes; then fails with RFA17B', async () => {
    const { el, log } = await mount('other-device');
    await el.start();
    await el.updateComplete;
    for (let i = 1; i <= 5; i++) {
      await nobodyScans(el);
      const order = 1 + i;
      expect(backend.calls('auth'), `restart ${i}`).to.have.length(order);
      expect(backend.calls('auth').at(-1)!.body).to.deep.equal({ flow: 'other-device' });
      expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: orderRefOf(order), flow: 'other-device' });
      expect(el.state).to.equal('waiting');
      expect(qrShown(el), `restart ${i} shows a code`).to.equal(true);
      expect(events(log, 'bankid-failed')).to.have.length(0);
    }
    // Each new order is the one polled, with its own code.
    await settle(el, 1000);
    expect(collectedRefs().at(-1)).to.equal('order-6');
    expect(await decodeShownQr(el)).to.equal(qrOf(6, 1));
    // The silent restarts show nothing new: every status of the path is RFA1, but for the one
    // warning 30 s before its 3 minutes are up.
    const told = events(log, 'bankid-status').map((d) => d.message);
    expect(told.indexOf('qr-expiring')).to.be.greaterThan(0);
    expect(told.slice(0, told.indexOf('qr-expiring')).every((m) => m === 'RFA1')).to.equal(true);
    expect(told.slice(told.indexOf('qr-expiring')).every((m) => m === 'qr-expiring')).to.equal(true);

    await nobodyScans(el); // 3 minutes after the first order
    expect(backend.calls('auth')).to.have.length(6);
    expect(events(log, 'bankid-failed')).to.deep.equal([{ code: 'startFailed', message: 'RFA17B', retryable: true }]);
    expect(el.state).to.equal('failed');
    expect(qrShown(el)).to.equal(false);
    expect(textOf(el)).to.contain(sv.rfa17b);
    expect(buttonNames(el)).to.include.members([sv.retry, sv.toThisComputer, sv.help]);
    const links = [...el.shadowRoot!.querySelectorAll('a')].map((a) => a.href);
    expect(links).to.include('https://install.bankid.com/');

    const polled = backend.calls('collect').length;
    await settle(el, 10_000);
    expect(backend.calls('collect')).to.have.length(polled);
    expect(backend.calls('auth')).to.have.length(6);
  });

  it('"Försök igen" starts a new order and a new 3-minute path', async () => {
    const { el, log } = await mount('other-device');
    await el.start();
    for (let i = 0; i < 6; i++) await nobodyScans(el);
    expect(events(log, 'bankid-failed')).to.have.length(1);

    await click(el, sv.retry);
    expect(backend.calls('auth')).to.have.length(7);
    expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: 'order-7', flow: 'other-device' });
    expect(qrShown(el)).to.equal(true);
    for (let i = 0; i < 5; i++) await nobodyScans(el);
    expect(el.state).to.equal('waiting');
    expect(events(log, 'bankid-failed')).to.have.length(1);
    await nobodyScans(el);
    expect(backend.calls('auth')).to.have.length(12);
    expect(events(log, 'bankid-failed')).to.have.length(2);
  });
});

describe('flow="auto"', () => {
  it('computer: QR flow with the switch to this computer', async () => {
    const { el } = await mount('auto');
    await click(el, 'Logga in med BankID');
    expect(bodies('auth')).to.deep.equal([{ flow: 'other-device' }]);
    expect(qrShown(el)).to.equal(true);
    expect(buttonNames(el)).to.include(sv.toThisComputer);
    expect(open.called).to.equal(false);
  });

  it('is the default when no flow is given', async () => {
    const el = await fixture<BankIdLogin>(
      html`<bankid-login api=${API} lang="sv" .platform=${computer}></bankid-login>`,
    );
    await el.start();
    expect(bodies('auth')).to.deep.equal([{ flow: 'other-device' }]);
  });

  it('Android Chrome: this device, with the switch to another device', async () => {
    const { el } = await mount('auto', androidChrome);
    await click(el, 'Logga in med BankID');
    expect(bodies('auth')).to.deep.equal([{ flow: 'this-device' }]);
    expect(qrShown(el)).to.equal(false);
    expect(buttonNames(el)).to.include.members(['Starta BankID-appen', sv.toOtherDevice]);
  });

  it('iPhone Safari: this device, opens the app, with the switch to another device', async () => {
    const { el } = await mount('auto', iphoneSafari);
    await click(el, 'Logga in med BankID');
    expect(bodies('auth')).to.deep.equal([{ flow: 'this-device', returnUrl: location.href }]);
    expect(qrShown(el)).to.equal(false);
    expect(open.firstCall.args[0]).to.equal(
      `https://app.bankid.com/?autostarttoken=${tokenOf(1)}&redirect=${encodeURIComponent(location.href)}`,
    );
    expect(buttonNames(el)).to.include(sv.toOtherDevice);
  });

  it('an iPad that reports a Mac is a tablet: this device', async () => {
    const { el } = await mount('auto', ipadAsMac);
    await click(el, 'Logga in med BankID');
    expect(bodies('auth')[0]!.flow).to.equal('this-device');
    expect(qrShown(el)).to.equal(false);
    expect(open.firstCall.args[0]).to.match(/^https:\/\/app\.bankid\.com\/\?autostarttoken=/);
    expect(buttonNames(el)).to.include(sv.toOtherDevice);
  });

  it('a real Mac (no touch) is a computer: QR flow', async () => {
    const { el } = await mount('auto', realMac);
    await click(el, 'Logga in med BankID');
    expect(bodies('auth')).to.deep.equal([{ flow: 'other-device' }]);
    expect(qrShown(el)).to.equal(true);
  });
});

describe('switching flow', () => {
  async function qrShowing() {
    const { el, log } = await mount('other-device');
    await el.start();
    await settle(el, 1000); // one collect, so the old order is really being polled
    expect(qrShown(el)).to.equal(true);
    return { el, log };
  }

  it('QR → this computer: cancels the old order first, then starts a this-device order that launches', async () => {
    const { el, log } = await qrShowing();
    const before = backend.requests.length;
    await click(el, sv.toThisComputer);

    const after = backend.requests.slice(before);
    expect(after.map((r) => r.endpoint)).to.deep.equal(['cancel', 'auth']);
    expect(after[0]!.body).to.deep.equal({ orderRef: 'order-1' });
    expect(after[1]!.body).to.deep.equal({ flow: 'this-device' });
    expect(events(log, 'bankid-start')).to.deep.equal([
      { orderRef: 'order-1', flow: 'other-device' },
      { orderRef: 'order-2', flow: 'this-device' },
    ]);
    expect(events(log, 'bankid-cancel')).to.deep.equal([]);
    expect(events(log, 'bankid-failed')).to.deep.equal([]);
    expect(open.callCount).to.equal(1);
    expect(open.firstCall.args[0]).to.equal(`bankid:///?autostarttoken=${tokenOf(2)}&redirect=null`);
    expect(qrShown(el)).to.equal(false);
    expect(buttonNames(el)).to.include(sv.toOtherDevice);

    // Only the new order is polled from now on.
    await settle(el, 6000);
    expect(collectedRefs().slice(1)).to.not.be.empty;
    expect(
      collectedRefs()
        .slice(1)
        .every((ref) => ref === 'order-2'),
    ).to.equal(true);
  });

  it('this device → QR: cancels the old order, then shows the code of a new other-device order', async () => {
    const { el, log } = await mount('this-device');
    await el.start();
    await settle(el);
    await click(el, sv.toOtherDevice);
    expect(backend.requests.map((r) => r.endpoint)).to.deep.equal(['auth', 'cancel', 'auth']);
    expect(bodies('cancel')).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(bodies('auth')[1]).to.deep.equal({ flow: 'other-device' });
    expect(events(log, 'bankid-start').map((d) => d.orderRef)).to.deep.equal(['order-1', 'order-2']);
    expect(events(log, 'bankid-cancel')).to.deep.equal([]);
    expect(await decodeShownQr(el)).to.equal(qrOf(2, 0));
  });

  it('waits at most 2 s for a cancel answer that hangs', async () => {
    const { el, log } = await qrShowing();
    backend.reply('cancel', { hang: true });
    await click(el, sv.toThisComputer);
    expect(backend.calls('cancel')).to.have.length(1);
    await settle(el, 1999);
    expect(backend.calls('auth'), 'not yet at 1999 ms').to.have.length(1);
    await settle(el, 1);
    expect(backend.calls('auth')).to.have.length(2);
    expect(bodies('auth')[1]).to.deep.equal({ flow: 'this-device' });
    expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: 'order-2', flow: 'this-device' });
    expect(open.firstCall.args[0]).to.equal(`bankid:///?autostarttoken=${tokenOf(2)}&redirect=null`);
  });

  it('a failed cancel changes nothing: the new order starts at once', async () => {
    const { el, log } = await qrShowing();
    backend.reply('cancel', { networkError: true });
    await click(el, sv.toThisComputer);
    expect(bodies('auth')[1]).to.deep.equal({ flow: 'this-device' });
    expect(events(log, 'bankid-failed')).to.deep.equal([]);
    expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: 'order-2', flow: 'this-device' });
  });

  it('during starting: the old order is cancelled when its start answers, then one start in the new flow', async () => {
    const release = holdNextAnswer('auth');
    const { el, log } = await mount('other-device');
    void el.start();
    await settle(el);
    expect(el.state).to.equal('starting');

    await click(el, sv.toThisComputer);
    expect(backend.calls('auth')).to.have.length(1);
    expect(backend.calls('cancel')).to.have.length(0);

    release();
    await settle(el);
    expect(backend.requests.map((r) => r.endpoint)).to.deep.equal(['auth', 'cancel', 'auth']);
    expect(bodies('cancel')).to.deep.equal([{ orderRef: 'order-1' }]);
    expect(bodies('auth')[1]).to.deep.equal({ flow: 'this-device' });
    expect(events(log, 'bankid-start')).to.deep.equal([{ orderRef: 'order-2', flow: 'this-device' }]);
    expect(events(log, 'bankid-cancel')).to.deep.equal([]);
    expect(open.firstCall.args[0]).to.equal(`bankid:///?autostarttoken=${tokenOf(2)}&redirect=null`);

    await settle(el, 10_000);
    expect(backend.calls('auth')).to.have.length(2);
    expect(collectedRefs()).to.not.include('order-1');
    expect(collectedRefs()).to.include('order-2');
  });

  it('from the cancelled panel: starts an order in the other flow, no cancel request', async () => {
    const { el, log } = await mount('other-device');
    await el.start();
    await settle(el);
    await click(el, sv.cancel);
    expect(el.state).to.equal('cancelled');
    expect(textOf(el)).to.contain(sv.rfa6);
    expect(backend.calls('cancel')).to.have.length(1);

    await click(el, sv.toThisComputer);
    expect(backend.calls('cancel')).to.have.length(1);
    expect(bodies('auth')).to.deep.equal([{ flow: 'other-device' }, { flow: 'this-device' }]);
    expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: 'order-2', flow: 'this-device' });
    expect(open.firstCall.args[0]).to.equal(`bankid:///?autostarttoken=${tokenOf(2)}&redirect=null`);
  });

  it('from a failed panel: starts an order in the other flow, no cancel request', async () => {
    backend.reply('collect', { json: { status: 'failed', hintCode: 'expiredTransaction' } });
    const { el, log } = await mount('this-device');
    await el.start();
    await settle(el, 2000);
    expect(el.state).to.equal('failed');

    await click(el, sv.toOtherDevice);
    expect(backend.calls('cancel')).to.have.length(0);
    expect(bodies('auth')).to.deep.equal([{ flow: 'this-device' }, { flow: 'other-device' }]);
    expect(events(log, 'bankid-start').at(-1)).to.deep.equal({ orderRef: 'order-2', flow: 'other-device' });
    expect(await decodeShownQr(el)).to.equal(qrOf(2, 0));
  });
});
