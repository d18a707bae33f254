/**
 * Test support: a scriptable fake of the host backend (a fetch stub) and platforms for common devices.
 * Every request is recorded; each endpoint answers from its queue, then from its default.
 */
import { fixtureCleanup } from '@open-wc/testing';
import sinon from 'sinon';
import { launcher } from '../src/launcher.js';
import { detectPlatform, type Platform } from '../src/platform.js';

export const API = '/api/bankid';

export const computer: Platform = detectPlatform({
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
});
export const androidChrome: Platform = detectPlatform({
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36',
  maxTouchPoints: 5,
});
export const iphoneSafari: Platform = detectPlatform({
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  maxTouchPoints: 5,
});
export const androidFirefox: Platform = detectPlatform({
  userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0',
  maxTouchPoints: 5,
});

/** The n-th order's token and QR start token: distinct UUIDs. */
export const tokenOf = (n: number) => `6f1b8d2a-3c4e-4f5a-9b7c-${String(n).padStart(12, '0')}`;
export const orderRefOf = (n: number) => `order-${n}`;
/** A QR payload of the real shape for order n at second t. */
export const qrOf = (n: number, t: number) =>
  `bankid.${tokenOf(n)}.${t}.${(t.toString(16).padStart(2, '0') + 'ab').repeat(16)}`;

export type Reply =
  | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { networkError: true }
  /** Never answers; honours the abort signal. */
  | { hang: true };

export type Endpoint = 'auth' | 'sign' | 'collect' | 'cancel';

export interface RecordedRequest {
  endpoint: Endpoint;
  url: string;
  body: Record<string, unknown>;
  init: RequestInit;
}

type ReplySource = Reply | ((request: RecordedRequest, backend: FakeBackend) => Reply);

export class FakeBackend {
  readonly requests: RecordedRequest[] = [];
  readonly queues: Record<Endpoint, ReplySource[]> = { auth: [], sign: [], collect: [], cancel: [] };
  /** Orders created so far. */
  orders = 0;
  /** Requests sent and neither answered nor aborted yet, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Collect answers given per order, for changing QR payloads. */
  private collects = new Map<string, number>();
  readonly defaults: Record<Endpoint, ReplySource> = {
    auth: (request) => this.newOrder(request),
    sign: (request) => this.newOrder(request),
    collect: (request) => this.pending('outstandingTransaction')(request),
    cancel: { json: {} },
  };
  stub!: sinon.SinonStub;
  private readonly gates: Record<Endpoint, Promise<void>[]> = { auth: [], sign: [], collect: [], cancel: [] };

  /** Answers the fetches of `target` (a frame's window for the bundle's tests). */
  install(target: Window & typeof globalThis = window): this {
    const fakeFetch = (input: RequestInfo | URL, init?: RequestInit) =>
      this.track(this.answer(String(input), init ?? {}), init?.signal);
    this.stub = sinon.stub(target, 'fetch').callsFake(fakeFetch as typeof fetch);
    return this;
  }

  /** Queue answers for an endpoint, used in order before the default. */
  reply(endpoint: Endpoint, ...replies: ReplySource[]): this {
    this.queues[endpoint].push(...replies);
    return this;
  }

  /** The next request to this endpoint is recorded at once but answered only after `release()`. */
  hold(endpoint: Endpoint): () => void {
    let release!: () => void;
    this.gates[endpoint].push(new Promise<void>((resolve) => (release = resolve)));
    return () => release();
  }

  calls(endpoint: Endpoint): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  /** A pending collect answer (with a fresh QR payload for QR orders). */
  pending(hintCode: string): (request: RecordedRequest) => Reply {
    return (request) => {
      const orderRef = String(request.body.orderRef);
      const n = (this.collects.get(orderRef) ?? 0) + 1;
      this.collects.set(orderRef, n);
      const order = Number(orderRef.split('-')[1]);
      return { json: { orderRef, status: 'pending', hintCode, qr: qrOf(order, n) } };
    };
  }

  /** Counts a request in flight until its answer settles or its signal aborts (the caller stopped waiting). */
  private track(answer: Promise<Response>, signal?: AbortSignal | null): Promise<Response> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    let done = false;
    const end = () => {
      if (!done) this.inFlight--;
      done = true;
    };
    signal?.addEventListener('abort', end, { once: true });
    answer.then(end, end);
    return answer;
  }

  private newOrder(request: RecordedRequest): Reply {
    const n = ++this.orders;
    const json: Record<string, unknown> = { orderRef: orderRefOf(n), autoStartToken: tokenOf(n) };
    if (request.body.flow === 'other-device') json.qr = qrOf(n, 0);
    return { json };
  }

  private async answer(url: string, init: RequestInit): Promise<Response> {
    const endpoint = url.split('/').pop() as Endpoint;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(String(init.body ?? '{}'));
    } catch {
      /* recorded as empty */
    }
    const request: RecordedRequest = { endpoint, url, body, init };
    this.requests.push(request);
    const gate = this.gates[endpoint]?.shift();
    if (gate) await gate;
    const source = this.queues[endpoint]?.shift() ?? this.defaults[endpoint];
    const reply = typeof source === 'function' ? source(request, this) : source;
    if ('networkError' in reply) throw new TypeError('Failed to fetch');
    if ('hang' in reply) {
      return new Promise((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
      });
    }
    const text = reply.text ?? JSON.stringify(reply.json ?? {});
    const status = reply.status ?? 200;
    const headers = new Headers({ 'Content-Type': reply.text ? 'text/html' : 'application/json', ...reply.headers });
    // A real Response reads its body in a browser task, which fake timers would race past; a stream
    // made here answers in microtasks.
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
    return { ok: status >= 200 && status < 300, status, headers, body: stream, text: async () => text } as Response;
  }
}

/** Visible text of the element (hidden parts such as a closed help section left out), whitespace folded. */
export function textOf(element: Element): string {
  const card = element.shadowRoot?.querySelector<HTMLElement>('.card');
  return (card?.innerText ?? '').replace(/\s+/g, ' ').trim();
}

/** The buttons a user can see and reach (one kept out of sight to hold its room does not count). */
export function shownButtons(element: Element): HTMLButtonElement[] {
  const style = (b: Element) => (b.ownerDocument.defaultView ?? window).getComputedStyle(b); // frames too
  return [...(element.shadowRoot?.querySelectorAll('button') ?? [])].filter(
    (b) => style(b).visibility !== 'hidden' && style(b).display !== 'none',
  );
}

export function buttonNamed(element: Element, name: string): HTMLButtonElement | null {
  return shownButtons(element).find((b) => b.textContent?.trim() === name) ?? null;
}

export function buttonNames(element: Element): string[] {
  return shownButtons(element).map((b) => b.textContent?.trim() ?? '');
}

/** Records every bankid-* event the element fires. */
export function recordEvents(element: Element): { type: string; detail: any; event: Event }[] {
  const log: { type: string; detail: any; event: Event }[] = [];
  for (const type of ['start', 'launch', 'status', 'complete', 'cancel', 'failed']) {
    element.addEventListener(`bankid-${type}`, (event) =>
      log.push({ type: `bankid-${type}`, detail: (event as CustomEvent).detail, event }),
    );
  }
  return log;
}

export interface Fakes {
  clock: sinon.SinonFakeTimers;
  backend: FakeBackend;
  /** `launcher.open`, stubbed: nothing really navigates. */
  open: sinon.SinonStub;
}

/** Fake timers, the fake backend and a stubbed launcher, on a clean localStorage (call in beforeEach). */
export function installFakes(now?: number): Fakes {
  localStorage.clear();
  const clock = sinon.useFakeTimers({
    ...(now === undefined ? {} : { now }),
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  return { clock, backend: new FakeBackend().install(), open: sinon.stub(launcher, 'open') };
}

/** Removes the test's elements while the fakes are still in place, so nothing leaks into the next test. */
export async function removeFakes(clock: sinon.SinonFakeTimers): Promise<void> {
  fixtureCleanup();
  await clock.tickAsync(0);
  sinon.restore();
  localStorage.clear();
}

/**
 * A page of the site with the script-tag bundle as it ships (test/bundle-frame.html, a real URL on
 * this origin) in a frame styled `style`, once the bundle has defined the element; `body` (markup)
 * then goes into its body. The caller removes the frame.
 */
export async function bundlePage(
  lang: string,
  { body = '', style = '' }: { body?: string; style?: string } = {},
): Promise<{ frame: HTMLIFrameElement; win: Window & typeof globalThis }> {
  const frame = document.createElement('iframe');
  frame.style.cssText = style;
  frame.src = '/test/bundle-frame.html';
  document.body.append(frame);
  await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  const win = frame.contentWindow as Window & typeof globalThis;
  win.document.documentElement.lang = lang;
  await win.customElements.whenDefined('bankid-login');
  win.document.body.insertAdjacentHTML('beforeend', body);
  return { frame, win };
}
