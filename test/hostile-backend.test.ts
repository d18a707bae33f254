/**
 * Property tests: a hostile host backend. Start and collect answers of any shape, status, header and
 * timing, against CONTRACT §2–§5 ("Nothing the backend sends can crash the element or be rendered as
 * HTML"). Fixed seed: every run is the same; a failure prints a shrunk counterexample.
 */
import { fixture, html, expect } from '@open-wc/testing';
import * as fc from 'fast-check';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import { REQUEST_TIMEOUT_MS, _resetSecretWarningForTests } from '../src/backend.js';
import type { Flow, MessageId } from '../src/events.js';
import type { Platform } from '../src/platform.js';
import {
  API,
  androidChrome,
  androidFirefox,
  computer,
  iphoneSafari,
  installFakes,
  recordEvents,
  removeFakes,
  textOf,
  type Fakes,
  type Reply,
} from './support.js';

const SEED = 20261128;

// ---------------------------------------------------------------------------------------------
// What the contract allows

/** In every string the backend makes up: none may ever reach the element's markup or text. */
const MARK = 'ZQX';
const SECRET = `${MARK}qrStartSecret-`;

const MESSAGE_IDS: ReadonlySet<string> = new Set(
  Object.keys({
    RFA1: 1,
    RFA3: 1,
    RFA4: 1,
    RFA5: 1,
    RFA6: 1,
    RFA8: 1,
    RFA9: 1,
    RFA13: 1,
    RFA15A: 1,
    RFA15B: 1,
    RFA16: 1,
    RFA17A: 1,
    RFA17B: 1,
    RFA21: 1,
    RFA22: 1,
    RFA23: 1,
    reconnecting: 1,
    'update-app': 1,
    'user-face': 1,
    'user-step-up': 1,
    processing: 1,
    'mrtd-failed': 1,
    'face-failed': 1,
    'no-nfc': 1,
    'several-bankids': 1,
    'step-up-failed': 1,
    'other-tab': 1,
    'qr-expiring': 1,
  } satisfies Record<MessageId, 1>),
);
const STATES: ReadonlySet<string> = new Set('idle starting waiting signing complete failed cancelled'.split(' '));
const END_EVENTS: ReadonlySet<string> = new Set(['bankid-complete', 'bankid-failed', 'bankid-cancel']);
/** Every element the element renders itself (help included), and its only links. */
const RENDERED: ReadonlySet<string> = new Set(
  'style div p button svg rect path ol ul li section h3 strong a'.split(' '),
);
const LINKS: ReadonlySet<string | null> = new Set(['https://install.bankid.com', 'https://support.bankid.com']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LAUNCH = /^(?:bankid:\/\/\/|https:\/\/app\.bankid\.com\/)\?autostarttoken=([^&]*)&redirect=[^&]*$/;
// §4: `qr` is bankid.<qrStartToken>.<qrTime>.<qrAuthCode>. The real thing must be accepted, anything
// not of that form refused; in between (odd lengths, a token that is no UUID) either is fine.
const QR_REAL = /^bankid\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.\d{1,5}\.[0-9a-f]{64}$/;
const QR_FORM = /^bankid\.[A-Za-z0-9-]+\.\d+\.[0-9a-fA-F]+$/;
const ORDER_REF_PLAIN = /^[\x21-\x7E]{1,128}$/;
// The element's own rules for codes it passes on as `code`/`hintCode` (src/backend.ts); the contract
// only asks that no other backend text gets through.
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const HINT_CODE = /^[A-Za-z0-9_.-]{1,100}$/;
const MAX_ANSWER_BYTES = 1 << 20;
const GIVE_UP_MS = 20_000;
const WAKE_WINDOW_MS = 3000;

const PLATFORMS: Record<string, Platform> = { computer, iphoneSafari, androidChrome, androidFirefox };
const APP_HAS_ORDER = new Set(['started', 'userSign', 'userMrtd', 'userFace', 'userStepUp', 'processing']);
// A Map: a plain object would answer '__proto__' and 'constructor' itself.
const FAILED_MESSAGE = new Map<string, MessageId>([
  ['cancelled', 'RFA3'],
  ['expiredTransaction', 'RFA8'],
  ['certificateErr', 'RFA16'],
  ['notSupportedByUserApp', 'update-app'],
]);

// ---------------------------------------------------------------------------------------------
// Answers, as printable specs

/** A long string that prints short in a counterexample. */
class Huge {
  constructor(readonly length: number) {}
  toJSON(): string {
    return MARK + 'x'.repeat(this.length);
  }
  [fc.toStringMethod](): string {
    return `Huge(${this.length})`;
  }
}

type Body = { entries: [string, unknown][] } | { value: unknown } | { text: string | Huge };
type ReplySpec =
  | { status: number; body: Body; contentType: string; retryAfter: string | null; contentLength: boolean }
  | { network: true }
  | { hang: true };

/** Entries, not an object: keys such as `__proto__` and repeated keys reach the wire as written. */
function bodyText(body: Body): string {
  if ('entries' in body)
    return `{${body.entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  if ('value' in body) return JSON.stringify(body.value);
  return typeof body.text === 'string' ? body.text : body.text.toJSON();
}

function toReply(spec: ReplySpec): Reply {
  if ('network' in spec) return { networkError: true };
  if ('hang' in spec) return { hang: true };
  const text = bodyText(spec.body);
  const headers: Record<string, string> = { 'Content-Type': spec.contentType };
  if (spec.retryAfter !== null) headers['Retry-After'] = spec.retryAfter;
  if (spec.contentLength) headers['Content-Length'] = String(new TextEncoder().encode(text).length);
  return { status: spec.status, text, headers };
}

/** The body as JSON the way a reader capped at 1 MiB sees it; undefined when it is none. */
function parsed(spec: ReplySpec & { body: Body }): unknown {
  const text = bodyText(spec.body);
  if (new TextEncoder().encode(text).length > MAX_ANSWER_BYTES) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const is2xx = (status: number) => status >= 200 && status <= 299;
const own = (o: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function errorCodeOf(spec: ReplySpec & { body: Body }): string | null {
  const body = parsed(spec);
  const code = isObject(body) ? body['errorCode'] : undefined;
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : null;
}

/** One field of a body, left out `absent` times in 100. */
const entry = (name: string, value: fc.Arbitrary<unknown>, absent = 20) =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: absent, arbitrary: fc.constant<[string, unknown][]>([]) },
    { weight: 100 - absent, arbitrary: value.map((v): [string, unknown][] => [[name, v]]) },
  );
const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof({ withCrossShrink: true }, ...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty');
const markup = fc.constantFrom(
  `<img src=x onerror="window.__pwned=1">${MARK}`,
  `<script>window.__pwned=1</script>${MARK}`,
  `<a href="javascript:window.__pwned=1">${MARK}</a>`,
  `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>${MARK}`,
  `"><svg onload="window.__pwned=1">${MARK}`,
  `</p><b>${MARK}</b><p>`,
  `javascript:window.__pwned=1//${MARK}`,
  `\${window.__pwned=1}${MARK}`,
  `{{constructor.constructor('window.__pwned=1')()}}${MARK}`,
  `<!--${MARK}-->`,
  `&lt;b&gt;${MARK}&amp;`,
  `${MARK}\u202e\u0000\ud800`,
);
const hostile: fc.Arbitrary<string | Huge> = weighted<string | Huge>(
  [3, markup],
  [2, fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => MARK + s)],
  [1, fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s + MARK)],
  [1, fc.integer({ min: 1000, max: 200_000 }).map((n) => new Huge(n))],
);
/** Passes as a hint or error code, marked so the test sees it is not shown. */
const markedWord = fc.stringMatching(/^[A-Za-z0-9_]{0,16}$/).map((s) => MARK + s);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const secret = fc.uuid().map((u) => SECRET + u);
const extras = fc.array(
  fc.tuple(
    fc.oneof(protoKey, markedWord, markup, fc.constantFrom('orderRef', 'status', 'hintCode', 'errorCode')),
    fc.oneof(hostile, anyJson),
  ),
  { maxLength: 3 },
);

const uuid = fc.uuid();
const anyCaseUuid = fc.oneof(
  uuid,
  uuid.map((u) => u.toUpperCase()),
);
const ALMOST_UUID: Record<string, (u: string) => string> = {
  short: (u) => u.slice(1),
  long: (u) => `${u}0`,
  nonHex: (u) => `g${u.slice(1)}`,
  noDashes: (u) => u.replace(/-/g, ''),
  braces: (u) => `{${u}}`,
  urn: (u) => `urn:uuid:${u}`,
  space: (u) => ` ${u}`,
  newline: (u) => `${u}\n`,
  query: (u) => `${u}&redirect=https://evil.example/${MARK}`,
  fullwidth: (u) => u.replace(/\d/, (d) => String.fromCharCode(0xff10 + Number(d))),
  zeroWidth: (u) => `${u.slice(0, 8)}\u200b${u.slice(8)}`,
  markup: (u) => `${u}"><img src=x onerror=window.__pwned=1>${MARK}`,
};
const almostUuid = fc.tuple(uuid, fc.constantFrom(...Object.keys(ALMOST_UUID))).map(([u, how]) => ALMOST_UUID[how]!(u));
const tokenValue = weighted<unknown>(
  [4, anyCaseUuid],
  [3, almostUuid],
  [1, hostile],
  [1, anyJson],
  [1, fc.constant(null)],
);

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const realQr = fc.tuple(uuid, fc.nat(99_999), hex(64)).map(([t, n, h]) => `bankid.${t}.${n}.${h}`);
const oddQr = fc.oneof(
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), hex(64)).map(([t, h]) => `bankid.${t}.1.${h}`),
  fc.tuple(uuid, hex(32)).map(([t, h]) => `bankid.${t}.1.${h}`),
  fc.tuple(uuid, fc.integer({ min: 100_000_000, max: 2 ** 31 }), hex(64)).map(([t, n, h]) => `bankid.${t}.${n}.${h}`),
  // As long as a QR code of the form can get: the encoder must cope.
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{64}$/), hex(128)).map(([t, h]) => `bankid.${t}.99999999.${h}`),
);
/** Never of the form bankid.<token>.<digits>.<hex>. */
const wrongQr = weighted<unknown>(
  [
    2,
    fc.tuple(realQr, fc.nat(200), fc.constantFrom('<', '"', ' ', '/', '_', ':', '\n', 'é')).map(([q, i, c]) => {
      const at = i % q.length;
      return q.slice(0, at) + c + q.slice(at);
    }),
  ],
  [1, realQr.map((q) => q.replace('bankid.', 'BankID.'))],
  [1, fc.constantFrom('', 'bankid.', 'bankid...', `bankid.${MARK}.1.`)],
  [1, hostile],
  [1, anyJson.filter((v) => typeof v !== 'string' && v !== null)],
);

const okStatus: fc.Arbitrary<number> = fc.constantFrom(200, 200, 200, 201, 202, 204);
const errorStatus = fc.oneof(
  fc.constantFrom(400, 401, 403, 404, 408, 409, 410, 413, 422, 429, 429, 500, 502, 503, 504),
  fc.integer({ min: 400, max: 599 }),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/html',
  'text/plain',
  'application/problem+json',
  'application/octet-stream',
  '',
);
const retryAfter = fc.option(
  fc.oneof(
    fc.nat(100_000).map(String),
    fc.constantFrom('Wed, 21 Oct 2015 07:28:00 GMT', 'Thu, 01 Jan 1970 00:00:30 GMT', '-1', '1.5', '9'.repeat(25)),
    fc.stringMatching(/^[\x21-\x7E]{0,20}$/),
  ),
  { nil: null },
);
const garbled = fc.oneof(
  fc.constantFrom(
    `<!doctype html><html><body><h1>502 Bad Gateway</h1><img src=x onerror="window.__pwned=1">${MARK}</body></html>`,
    '{"orderRef":"order-1"',
    '{"status":"pending",}',
    '',
    'null',
    'undefined',
    'NaN',
    `${MARK}\u0000\u0001`,
  ),
  hostile,
  fc.constant(new Huge(MAX_ANSWER_BYTES + 1000)),
);
const errorBody: fc.Arbitrary<Body> = fc.oneof(
  fc
    .tuple(
      entry(
        'errorCode',
        fc.oneof(
          fc.constantFrom('alreadyInProgress', 'invalidParameters', 'forbidden', 'maintenance', 'internalError'),
          markedWord,
          hostile,
          protoKey,
          anyJson,
        ),
      ),
      entry('details', hostile),
      extras,
    )
    .map((parts) => ({ entries: parts.flat() })),
  garbled.map((text) => ({ text })),
);

const answer = (body: fc.Arbitrary<Body>, status = okStatus): fc.Arbitrary<ReplySpec> =>
  fc.record({ status, body, contentType, retryAfter, contentLength: fc.boolean() });
const trouble: [number, fc.Arbitrary<ReplySpec>][] = [
  [2, answer(errorBody, errorStatus)],
  [1, fc.constant({ network: true as const })],
  [1, fc.constant({ hang: true as const })],
  [
    1,
    answer(
      fc.oneof(
        anyJson.map((value) => ({ value })),
        garbled.map((text) => ({ text })),
      ),
    ),
  ],
];

// ---------------------------------------------------------------------------------------------
// The harness

interface Run extends Fakes {
  warn: sinon.SinonStub;
}

const realTask = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

/**
 * One run on fresh fakes: afterwards no uncaught error or unhandled rejection (given real tasks to
 * surface), no swallowed exception (the element logs those with console.error), only the warnings
 * the element means to give, and no window.open.
 */
async function hostileRun(body: (run: Run) => Promise<void>): Promise<void> {
  const fakes = installFakes();
  const warn = sinon.stub(console, 'warn');
  const error = sinon.stub(console, 'error');
  const windowOpen = sinon.stub(window, 'open').returns(null);
  _resetSecretWarningForTests();
  const uncaught: string[] = [];
  const onError = (event: ErrorEvent) => {
    uncaught.push(String(event.error ?? event.message));
    event.preventDefault();
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    uncaught.push(String(event.reason));
    event.preventDefault();
  };
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  try {
    await body({ ...fakes, warn });
    expect(windowOpen.called, 'window.open').to.equal(false);
    expect(error.args.map(String), 'console.error (a swallowed exception)').to.deep.equal([]);
    const warnings = warn.args.map((args) => String(args[0])).filter((w) => !/qrStartSecret|403 forbidden/.test(w));
    expect(warnings, 'console warnings').to.deep.equal([]);
  } finally {
    await removeFakes(fakes.clock);
    await realTask();
    await realTask();
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    delete (window as any).__pwned;
  }
  expect(uncaught, 'uncaught errors and unhandled rejections').to.deep.equal([]);
}

async function mount(run: Run, platform: string, flow: Flow, operation = 'auth'): Promise<BankIdLogin> {
  const el = await fixture<BankIdLogin>(
    html`<bankid-login
      api=${API}
      lang="sv"
      flow=${flow}
      operation=${operation}
      .platform=${PLATFORMS[platform]}
    ></bankid-login>`,
  );
  await run.clock.tickAsync(0);
  return el;
}

/** Only what the element renders itself: no backend string as markup, attribute or text. */
function checkMarkup(el: BankIdLogin): void {
  const root = el.shadowRoot!;
  const nodes = [...root.querySelectorAll('*')];
  expect(el.children.length, 'elements in the light DOM').to.equal(0);
  expect(
    nodes.map((n) => n.localName).filter((t) => !RENDERED.has(t)),
    'elements the element does not render',
  ).to.deep.equal([]);
  expect(
    nodes.flatMap((n) => [...n.attributes].map((a) => a.name)).filter((name) => name.startsWith('on')),
    'event handler attributes',
  ).to.deep.equal([]);
  expect(
    [...root.querySelectorAll('a')].map((a) => a.getAttribute('href')).filter((href) => !LINKS.has(href)),
    'links',
  ).to.deep.equal([]);
  expect(root.innerHTML.includes(MARK), 'backend text in the markup').to.equal(false);
  expect(textOf(el).includes(MARK), 'backend text shown').to.equal(false);
  expect((window as any).__pwned, 'a script from the backend ran').to.equal(undefined);
}

/** §3's detail shapes; message an id, a launch only with a UUID token. */
function checkEvent({ type, detail, event }: { type: string; detail: any; event: Event }): void {
  expect(event.bubbles && event.composed, `${type}: bubbles, composed`).to.equal(true);
  const keys = Object.keys(detail).sort();
  switch (type) {
    case 'bankid-start':
      expect(keys, type).to.deep.equal(['flow', 'orderRef']);
      expect(typeof detail.orderRef, `${type} orderRef`).to.equal('string');
      expect(['this-device', 'other-device'], `${type} flow`).to.include(detail.flow);
      return;
    case 'bankid-launch': {
      expect(keys, type).to.deep.equal(['trigger', 'url']);
      expect(['auto', 'button'], `${type} trigger`).to.include(detail.trigger);
      const token = LAUNCH.exec(detail.url)?.[1] ?? null;
      expect(token !== null && UUID.test(token), `launch URL with a UUID token: ${detail.url}`).to.equal(true);
      expect(event.cancelable, `${type} cancelable`).to.equal(true);
      return;
    }
    case 'bankid-status':
      expect(keys, type).to.deep.equal(['hintCode', 'message', 'status']);
      expect(['pending', 'reconnecting'], `${type} status`).to.include(detail.status);
      expect(detail.hintCode === null || HINT_CODE.test(detail.hintCode), `${type} hintCode`).to.equal(true);
      expect(MESSAGE_IDS.has(detail.message), `${type} message id: ${detail.message}`).to.equal(true);
      return;
    case 'bankid-complete':
      expect(keys, type).to.deep.equal(['orderRef', 'response']);
      expect(typeof detail.orderRef, `${type} orderRef`).to.equal('string');
      expect(isObject(detail.response) && !own(detail.response, 'qrStartSecret'), `${type} response`).to.equal(true);
      return;
    case 'bankid-cancel':
      expect(keys, type).to.deep.equal(['orderRef', 'source']);
      expect(detail.orderRef === null || typeof detail.orderRef === 'string', `${type} orderRef`).to.equal(true);
      expect(['page', 'app'], `${type} source`).to.include(detail.source);
      return;
    case 'bankid-failed':
      expect(keys, type).to.deep.equal(['code', 'message', 'retryable']);
      expect(HINT_CODE.test(detail.code), `${type} code: ${detail.code}`).to.equal(true);
      expect(MESSAGE_IDS.has(detail.message), `${type} message id: ${detail.message}`).to.equal(true);
      expect(detail.retryable, `${type} retryable`).to.equal(true);
      return;
    default:
      expect.fail(`unexpected event ${type}`);
  }
}

/** qrStartSecret is kept nowhere: not in the element's state, storage, events or markup. */
function checkNoSecret(el: BankIdLogin, log: ReturnType<typeof recordEvents>): void {
  const snapshot = (el as unknown as { order: { snapshot: unknown } }).order.snapshot;
  const kept = [
    JSON.stringify(snapshot),
    JSON.stringify(log.map((e) => e.detail)),
    JSON.stringify({ ...localStorage }),
    el.shadowRoot!.innerHTML,
  ];
  expect(
    kept.some((s) => s.includes(SECRET)),
    'qrStartSecret kept',
  ).to.equal(false);
}

function secretWarnings(warn: sinon.SinonStub): number {
  return warn.args.filter((args) => String(args[0]).includes('qrStartSecret')).length;
}

const platformName = fc.constantFrom(...Object.keys(PLATFORMS));
const flowArb = fc.constantFrom<Flow>('this-device', 'other-device');

// ---------------------------------------------------------------------------------------------
// Start answers

type StartOutcome = { kind: 'order' | 'either' } | { kind: 'fail'; code: string; message: MessageId };

/** CONTRACT §4's start rows and §5's token rule. */
function expectedStart(spec: ReplySpec, flow: Flow): StartOutcome {
  const fail = (code: string, message: MessageId): StartOutcome => ({ kind: 'fail', code, message });
  if (!('body' in spec)) return fail('network', 'RFA5');
  if (!is2xx(spec.status)) {
    const code = errorCodeOf(spec);
    const passes = spec.status >= 500 || spec.status === 429;
    if (passes) return fail(code ?? 'network', 'RFA5');
    return fail(code ?? `http-${spec.status}`, code === 'alreadyInProgress' ? 'RFA4' : 'RFA22');
  }
  const invalid = fail('invalid-response', 'RFA22');
  const body = parsed(spec);
  if (!isObject(body)) return invalid;
  const { orderRef, autoStartToken: token, qr } = body;
  if (typeof orderRef !== 'string') return invalid;
  let plain = ORDER_REF_PLAIN.test(orderRef);
  if (token != null && !(typeof token === 'string' && UUID.test(token))) return invalid;
  if (qr != null) {
    if (typeof qr !== 'string' || !QR_FORM.test(qr)) return invalid;
    plain &&= QR_REAL.test(qr);
  }
  if (flow === 'this-device' ? token == null : qr == null) return invalid;
  return { kind: plain ? 'order' : 'either' };
}

const plainOrderRef = fc.stringMatching(/^[\x21-\x7E]{1,40}$/).map((s) => MARK + s);
const startAnswer: fc.Arbitrary<ReplySpec> = weighted<ReplySpec>(
  // Good enough for an order (though with secrets, extra and repeated fields) …
  [
    4,
    answer(
      fc
        .tuple(
          plainOrderRef.map((v): [string, unknown][] => [['orderRef', v]]),
          entry('autoStartToken', anyCaseUuid, 7),
          entry('qr', realQr, 7),
          entry('qrStartSecret', secret, 60),
          extras,
        )
        .map((parts) => ({ entries: parts.flat() })),
    ),
  ],
  // … or any mix of good and bad fields.
  [
    4,
    answer(
      fc
        .tuple(
          entry('orderRef', weighted<unknown>([6, plainOrderRef], [1, hostile], [1, protoKey], [1, anyJson])),
          entry('autoStartToken', tokenValue),
          entry('qr', weighted<unknown>([4, realQr], [1, oddQr], [2, wrongQr], [1, fc.constant(null)])),
          entry('qrStartSecret', secret, 60),
          extras,
        )
        .map((parts) => ({ entries: parts.flat() })),
    ),
  ],
  ...trouble,
);

// ---------------------------------------------------------------------------------------------
// Collect answers

type Judged =
  | { t: 'hang' }
  | { t: 'transient'; network: boolean; errorCode: string | null }
  | { t: 'fatal'; code: string }
  | { t: 'pending'; hint: string | null }
  | { t: 'failed'; hint: string | null }
  | { t: 'complete'; response: string };

/** What CONTRACT §4 makes of one collect answer. */
function judgeCollect(spec: ReplySpec): Judged {
  if ('network' in spec) return { t: 'transient', network: true, errorCode: null };
  if ('hang' in spec) return { t: 'hang' };
  if (!is2xx(spec.status)) {
    const code = errorCodeOf(spec);
    if (spec.status >= 500 || spec.status === 429) return { t: 'transient', network: false, errorCode: code };
    return { t: 'fatal', code: code ?? `http-${spec.status}` };
  }
  const garbled: Judged = { t: 'transient', network: false, errorCode: null };
  const body = parsed(spec);
  if (!isObject(body)) return garbled;
  const { status, hintCode, qr } = body;
  if (status !== 'pending' && status !== 'failed' && status !== 'complete') return garbled;
  if (hintCode != null && typeof hintCode !== 'string') return garbled;
  const hint = typeof hintCode === 'string' ? (HINT_CODE.test(hintCode) ? hintCode : 'unknown') : null;
  if (status === 'pending') {
    if (qr != null && (typeof qr !== 'string' || !QR_FORM.test(qr))) return garbled;
    if (qr != null && !QR_REAL.test(qr)) throw new Error(`the generator made an in-between qr: ${qr}`);
    return { t: 'pending', hint };
  }
  if (status === 'failed') return { t: 'failed', hint };
  delete body['qrStartSecret'];
  return { t: 'complete', response: JSON.stringify(body) };
}

/** A 2xx JSON object with qrStartSecret: the element must warn (once). */
function sendsSecret(spec: ReplySpec): boolean {
  if (!('body' in spec) || !is2xx(spec.status)) return false;
  const body = parsed(spec);
  return isObject(body) && own(body, 'qrStartSecret');
}

const collectBody = (status: unknown, ...fields: fc.Arbitrary<[string, unknown][]>[]): fc.Arbitrary<Body> =>
  fc
    .tuple(entry('orderRef', fc.oneof(plainOrderRef, hostile)), ...fields, entry('qrStartSecret', secret, 60), extras)
    .map((parts): Body => ({ entries: [['status', status], ...parts.flat()] }));
const pendingHint = weighted<unknown>(
  [
    4,
    fc.constantFrom(
      'outstandingTransaction',
      'noClient',
      'started',
      'userSign',
      'userMrtd',
      'userFace',
      'userStepUp',
      'processing',
    ),
  ],
  [1, protoKey],
  [1, markedWord],
  [1, hostile],
  [1, anyJson],
  [1, fc.constant(null)],
);
const failedHint = weighted<unknown>(
  [
    4,
    fc.constantFrom(
      'userCancel',
      'startFailed',
      'cancelled',
      'expiredTransaction',
      'certificateErr',
      'notSupportedByUserApp',
      'userDeclinedCall',
      'transactionRiskBlocked',
    ),
  ],
  [1, protoKey],
  [1, markedWord],
  [1, hostile],
  [1, fc.constant(null)],
);
const pendingAnswer = answer(
  collectBody(
    'pending',
    entry('hintCode', pendingHint),
    entry('qr', weighted<unknown>([3, realQr], [1, wrongQr], [1, fc.constant(null)]), 33),
  ),
);
const wrongStatus = fc
  .oneof(fc.constantFrom('PENDING', 'complete ', 'ok', ''), protoKey, hostile, anyJson)
  .chain((status) => answer(collectBody(status)));
const collectAnswer: fc.Arbitrary<ReplySpec> = weighted<ReplySpec>(
  [12, pendingAnswer],
  [2, answer(collectBody('failed', entry('hintCode', failedHint, 7)))],
  [
    2,
    answer(
      collectBody('complete', entry('completionData', anyJson), entry('hintCode', fc.oneof(markedWord, hostile), 40)),
    ),
  ],
  [1, wrongStatus],
  ...trouble,
);
/** Mostly faults that pass (5xx, 429, garbage, network, hangs): the reconnect path to its end. */
const troubleAnswer: fc.Arbitrary<ReplySpec> = weighted<ReplySpec>(
  [3, answer(errorBody, fc.oneof(fc.constantFrom(429, 500, 502, 503), fc.integer({ min: 500, max: 599 })))],
  [1, fc.constant({ network: true as const })],
  [1, fc.constant({ hang: true as const })],
  [1, wrongStatus],
  [
    1,
    answer(
      fc.oneof(
        anyJson.map((value) => ({ value })),
        garbled.map((text) => ({ text })),
      ),
    ),
  ],
  [1, pendingAnswer],
);
const cancelAnswer = weighted<ReplySpec>(
  [3, answer(fc.constant({ entries: [] }))],
  [1, answer(errorBody, errorStatus)],
  [1, fc.constant({ network: true as const })],
);

type Action = { advance: number } | { do: 'cancel' | 'online' | 'focus' | 'switch' | 'launch' };
const action = weighted<Action>(
  [16, fc.integer({ min: 0, max: 10_000 }).map((advance) => ({ advance }))],
  [1, fc.constant({ do: 'cancel' as const })],
  [2, fc.constantFrom({ do: 'online' as const }, { do: 'focus' as const }, { do: 'switch' as const })],
  [1, fc.constant({ do: 'launch' as const })],
);

interface CollectCase {
  platform: string;
  flow: Flow;
  replies: ReplySpec[];
  cancels: ReplySpec[];
  actions: Action[];
}

type JournalEntry =
  | { kind: 'served'; at: number; events: number; spec: ReplySpec; judged: Judged }
  | { kind: 'focus'; at: number }
  | { kind: 'cancel'; events: number };

const json = (entries: [string, unknown][]): ReplySpec => ({
  status: 200,
  body: { entries },
  contentType: 'application/json',
  retryAfter: null,
  contentLength: false,
});
/** Once the scripted answers run out. */
const STILL_PENDING = json([
  ['status', 'pending'],
  ['hintCode', 'outstandingTransaction'],
]);

/**
 * One order polled through scripted answers and page events; then §4's reading of those answers
 * (the model below) must match what the element did.
 */
async function collectRun(run: Run, c: CollectCase): Promise<void> {
  const { backend, clock } = run;
  const el = await mount(run, c.platform, c.flow);
  const log = recordEvents(el);
  const journal: JournalEntry[] = [];
  let endAt: number | null = null;
  let requestsAtEnd = 0;
  for (const type of END_EVENTS) {
    el.addEventListener(type, () => {
      if (endAt !== null) return;
      endAt = clock.now;
      requestsAtEnd = backend.requests.length;
    });
  }
  const replies = [...c.replies];
  const cancels = [...c.cancels];
  backend.defaults.collect = () => {
    const spec = replies.shift() ?? STILL_PENDING;
    journal.push({ kind: 'served', at: clock.now, events: log.length, spec, judged: judgeCollect(spec) });
    return toReply(spec);
  };
  backend.defaults.cancel = () => toReply(cancels.shift() ?? json([]));

  await el.start();
  await clock.tickAsync(0);
  expect(el.state).to.equal('waiting');

  const live = () => el.state === 'waiting' || el.state === 'signing';
  /** The last answer served for the order on show. */
  const lastServed = () => {
    const lastStart = log.map((e) => e.type).lastIndexOf('bankid-start');
    const served = [...journal].reverse().find((e) => e.kind === 'served');
    return served?.kind === 'served' && served.events > lastStart ? served : undefined;
  };
  const check = () => {
    expect(STATES.has(el.state), `state ${el.state}`).to.equal(true);
    checkMarkup(el);
    const last = lastServed();
    if (live() && last?.judged.t === 'pending') {
      // §2/§4: signing once the app has it; an unknown hint stays waiting.
      const { hint } = last.judged;
      expect(el.state, `state after pending ${hint}`).to.equal(APP_HAS_ORDER.has(hint ?? '') ? 'signing' : 'waiting');
      expect(el.hintCode, 'hintCode').to.equal(hint);
    }
  };

  for (const a of c.actions) {
    if ('advance' in a) {
      await clock.tickAsync(a.advance);
    } else {
      const button = (action: string) => el.shadowRoot!.querySelector<HTMLButtonElement>(`[data-action${action}]`);
      if (a.do === 'cancel') {
        journal.push({ kind: 'cancel', events: log.length });
        el.cancel();
      } else if (a.do === 'online') {
        window.dispatchEvent(new Event('online'));
      } else if (a.do === 'focus') {
        if (live()) journal.push({ kind: 'focus', at: clock.now });
        window.dispatchEvent(new Event('focus'));
      } else if (live()) {
        // A switch after an end would start a new order: only while this one is live.
        button(a.do === 'switch' ? '^="switch-"' : '="launch"')?.click();
      }
      await clock.tickAsync(0);
    }
    await el.updateComplete;
    check();
  }
  // Long enough to give up, and to see that nothing is polled after an end.
  await clock.tickAsync(GIVE_UP_MS + 5000);
  await el.updateComplete;
  check();

  log.forEach(checkEvent);
  checkNoSecret(el, log);
  expect(backend.maxInFlight, 'requests in flight at once').to.be.at.most(1);
  const secrets = journal.some((e) => e.kind === 'served' && sendsSecret(e.spec));
  expect(secretWarnings(run.warn), 'qrStartSecret warnings').to.equal(secrets ? 1 : 0);

  const ends = log.flatMap((e, i) => (END_EVENTS.has(e.type) ? [i] : []));
  expect(ends.length, 'end events').to.be.at.most(1);
  const ended = ends.length === 1;
  const endIndex = ends[0] ?? log.length;
  if (ended) {
    expect(log.length - 1, 'events after the end').to.equal(endIndex);
    expect(
      backend.requests.slice(requestsAtEnd).map((r) => r.endpoint),
      'requests after the end',
    ).to.deep.equal([]);
  }
  const startIndex = log
    .slice(0, endIndex)
    .map((e) => e.type)
    .lastIndexOf('bankid-start');
  const order = log[startIndex]!.detail as { orderRef: string; flow: Flow };
  const until = ended ? endAt! : clock.now;

  // The model: the order's answers in turn, as §4 reads them.
  let t0: number | null = null;
  let lastError: string | null = null;
  let last: Judged | null = null;
  let lastAt = 0;
  for (const [pos, s] of journal.entries()) {
    if (s.kind !== 'served' || s.events <= startIndex || s.events > endIndex) continue;
    const hang = s.judged.t === 'hang';
    const at = hang ? s.at + REQUEST_TIMEOUT_MS : s.at;
    // A hang is answered by its deadline, unless the give-up or the end came first.
    if (hang && ((t0 !== null && at >= t0 + GIVE_UP_MS) || at > until)) continue;
    if (t0 !== null) expect(at, 'an answer after the give-up time').to.be.below(t0 + GIVE_UP_MS);
    expect(last === null || ['pending', 'transient', 'hang'].includes(last.t), 'an answer after the end').to.equal(
      true,
    );
    last = s.judged;
    lastAt = at;
    if (s.judged.t === 'pending') {
      t0 = null;
      lastError = null;
    } else if (s.judged.t === 'transient' || s.judged.t === 'hang') {
      const network = s.judged.t === 'hang' || s.judged.network;
      // Up to 3 s after the page woke up, a network failure is retried quietly and not counted.
      const woke = Math.max(
        -Infinity,
        ...journal.flatMap((f, i) => (f.kind === 'focus' && (hang ? f.at < at : i < pos) ? [f.at] : [])),
      );
      if (!(network && at - woke < WAKE_WINDOW_MS)) {
        t0 ??= at;
        if (s.judged.t === 'transient' && s.judged.errorCode !== null) lastError = s.judged.errorCode;
      }
    }
  }

  if (!ended) {
    expect(live(), `state ${el.state} without an end`).to.equal(true);
    if (t0 !== null) expect(clock.now, 'still reconnecting 20 s after the first failure').to.be.below(t0 + GIVE_UP_MS);
    return;
  }
  const { type, detail } = log[endIndex]!;
  const states: Record<string, string> = {
    'bankid-complete': 'complete',
    'bankid-failed': 'failed',
    'bankid-cancel': 'cancelled',
  };
  expect(el.state, 'state at the end').to.equal(states[type]);
  const final = last as Judged | null;
  if (type === 'bankid-cancel' && detail.source === 'page') {
    expect(
      journal.some((e) => e.kind === 'cancel' && e.events <= endIndex),
      'a cancel by the page',
    ).to.equal(true);
    expect(detail.orderRef).to.equal(order.orderRef);
  } else if (type === 'bankid-cancel') {
    expect(final, 'userCancel').to.deep.equal({ t: 'failed', hint: 'userCancel' });
    expect(detail.orderRef).to.equal(order.orderRef);
  } else if (type === 'bankid-complete') {
    expect(final?.t, 'answer before bankid-complete').to.equal('complete');
    expect(JSON.stringify(detail.response), 'response').to.equal((final as { response: string }).response);
    expect(detail.orderRef).to.equal(order.orderRef);
  } else if (final?.t === 'failed') {
    const { hint } = final;
    expect(hint === 'startFailed' && order.flow === 'other-device', 'the QR path ended early').to.equal(false);
    const message = hint === 'startFailed' ? 'RFA17A' : (FAILED_MESSAGE.get(hint ?? '') ?? 'RFA22');
    expect(detail).to.deep.equal({ code: hint ?? 'unknown', message, retryable: true });
    expect(endAt, 'failed at the answer').to.equal(lastAt);
  } else if (final?.t === 'fatal') {
    expect(detail).to.deep.equal({ code: final.code, message: 'RFA22', retryable: true });
    expect(endAt, 'failed at the answer').to.equal(lastAt);
  } else {
    expect(t0, 'a give-up without a failure').to.not.equal(null);
    expect(endAt, 'the give-up time').to.equal(t0! + GIVE_UP_MS);
    expect(detail).to.deep.equal({ code: lastError ?? 'network', message: 'RFA5', retryable: true });
  }
}

describe('a hostile backend', () => {
  it('start: any answer becomes an order or exactly one bankid-failed; nothing shown, kept or launched from it', async () => {
    const startCase = fc.record({
      platform: platformName,
      flow: flowArb,
      operation: fc.constantFrom('auth', 'sign'),
      reply: startAnswer,
    });
    await fc.assert(
      fc.asyncProperty(startCase, (c) =>
        hostileRun(async (run) => {
          const { backend, clock, open } = run;
          backend.reply(c.operation as 'auth' | 'sign', toReply(c.reply));
          const el = await mount(run, c.platform, c.flow, c.operation);
          const log = recordEvents(el);
          const started = el.start();
          await clock.tickAsync(0);
          if (el.state === 'starting') await clock.tickAsync(REQUEST_TIMEOUT_MS); // a hang meets the deadline
          await started; // never rejects for backend problems
          await el.updateComplete;

          const expected = expectedStart(c.reply, c.flow);
          log.forEach(checkEvent);
          checkMarkup(el);
          checkNoSecret(el, log);
          const types = log.map((e) => e.type);
          if (el.state === 'failed') {
            expect(expected.kind, 'a good answer refused').to.not.equal('order');
            const { code, message } =
              expected.kind === 'fail' ? expected : { code: 'invalid-response', message: 'RFA22' };
            expect(types).to.deep.equal(['bankid-failed']);
            expect(log[0]!.detail).to.deep.equal({ code, message, retryable: true });
            expect(open.called, 'launcher.open').to.equal(false);
            await clock.tickAsync(30_000);
            expect(
              backend.requests.map((r) => r.endpoint),
              'requests after a failed start',
            ).to.deep.equal([c.operation]);
          } else {
            expect(expected.kind, 'a bad answer taken').to.not.equal('fail');
            expect(el.state).to.equal('waiting');
            const body = parsed(c.reply as ReplySpec & { body: Body }) as Record<string, unknown>;
            const platform = PLATFORMS[c.platform]!;
            if (c.flow === 'this-device' && platform.launchNeedsGesture) {
              el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="launch"]')!.click();
            }
            const launches = log.filter((e) => e.type === 'bankid-launch');
            if (c.flow === 'this-device') {
              const redirect =
                platform.returnTarget === 'page' ? encodeURIComponent(location.href) : platform.returnTarget;
              const base = platform.device === 'computer' ? 'bankid:///' : 'https://app.bankid.com/';
              const url = `${base}?autostarttoken=${body.autoStartToken}&redirect=${redirect}`;
              const trigger = platform.launchNeedsGesture ? 'button' : 'auto';
              expect(launches.map((e) => e.detail)).to.deep.equal([{ url, trigger }]);
              expect(open.args.map((args) => args[0])).to.deep.equal([url]);
            } else {
              expect(launches, 'launches in the QR flow').to.deep.equal([]);
              expect(open.called, 'launcher.open').to.equal(false);
              const path = el.shadowRoot!.querySelector('svg.qr path')?.getAttribute('d') ?? '';
              expect(path, 'the QR code').to.not.equal('');
            }
            expect(log.filter((e) => e.type === 'bankid-start').map((e) => e.detail)).to.deep.equal([
              { orderRef: body.orderRef, flow: c.flow },
            ]);
            expect(log.filter((e) => e.type === 'bankid-status').map((e) => e.detail)).to.deep.equal([
              { status: 'pending', hintCode: null, message: c.flow === 'this-device' ? 'RFA13' : 'RFA1' },
            ]);
            expect(
              types.filter((t) => END_EVENTS.has(t)),
              'end events',
            ).to.deep.equal([]);
          }
          expect(secretWarnings(run.warn), 'qrStartSecret warnings').to.equal(sendsSecret(c.reply) ? 1 : 0);
          expect(backend.maxInFlight, 'requests in flight at once').to.be.at.most(1);
        }),
      ),
      { seed: SEED, numRuns: 200, includeErrorInReport: true },
    );
  }).timeout(120_000);

  it("collect: any answers at any pace; one request at a time, §4's outcome, nothing after the end", async () => {
    const collectCase = fc.record({
      platform: platformName,
      flow: flowArb,
      replies: fc.oneof(
        fc.array(collectAnswer, { minLength: 1, maxLength: 12 }),
        fc.array(troubleAnswer, { minLength: 1, maxLength: 12 }),
      ),
      cancels: fc.array(cancelAnswer, { maxLength: 2 }),
      actions: fc.array(action, { minLength: 1, maxLength: 10 }),
    });
    await fc.assert(
      fc.asyncProperty(collectCase, (c) => hostileRun((run) => collectRun(run, c))),
      { seed: SEED, numRuns: 80, includeErrorInReport: true },
    );
  }).timeout(120_000);
});
