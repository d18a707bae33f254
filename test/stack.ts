/**
 * The real stack for browser tests that log in for real (test/e2e.test.ts, test/reflow.test.ts):
 * bankid-login/server and the simulator, mounted on web-test-runner's origin by
 * web-test-runner.config.js; the simulated phone through the simulator's app API.
 */
import { expect } from '@open-wc/testing';
import type { BankIdLogin } from '../src/bankid-login.js';
import { decodeQr } from './decode-qr.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `predicate` every 25 ms with real timers; resolves with its first truthy value. `what` may be
 * a function, so a time-out says how things stood then.
 */
export async function until<T>(
  predicate: () => T | Promise<T>,
  ms: number,
  what: string | (() => string),
): Promise<NonNullable<T>> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(25);
  }
}

/** The app API's path (with this run's secret); web-test-runner.config.js starts the stack on this request. */
let APP_API = '/no-app-api/';

/** Starts the stack (the first request does) and learns the app API; returns the simulator's pickup window. */
export async function connectStack(): Promise<number> {
  const stack = await fetch('/__bankid-stack');
  expect(stack.status, 'the stack is mounted by web-test-runner.config.js').to.equal(200);
  APP_API = (await stack.json()).appPath;
  const { status, json } = await phone('orders');
  expect(status, 'the app API is mounted by web-test-runner.config.js').to.equal(200);
  return json.pickupTimeoutMs;
}

/** The simulated BankID app and error injection: the simulator's app API. */
export async function phone(path: string, body?: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const response = await fetch(`${APP_API}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** The simulator's own view of one order. */
export async function simulatorOrder(orderRef: string): Promise<any> {
  const { json } = await phone('orders');
  return json.orders.find((o: any) => o.orderRef === orderRef);
}

export const qrSvg = (el: BankIdLogin) => el.shadowRoot?.querySelector<SVGSVGElement>('svg[role="img"]') ?? null;

/** Draws the element's QR svg on a canvas and decodes it, as a phone camera would. */
export async function decodeRenderedQr(el: BankIdLogin): Promise<string> {
  const svg = qrSvg(el)!.cloneNode(true) as SVGSVGElement;
  const size = Number(svg.getAttribute('viewBox')!.split(/\s+/)[2]);
  const px = 8;
  svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  svg.setAttribute('width', String(size * px));
  svg.setAttribute('height', String(size * px));
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size * px;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return decodeQr(image);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Waits for the next QR frame and decodes it at once: a frame lives about a second and the
 * simulator accepts only the current qrTime and the one before, so a phone scans a fresh frame.
 */
export async function decodeFreshQr(el: BankIdLogin): Promise<string> {
  const pathOf = () => qrSvg(el)?.querySelector('path')?.getAttribute('d') ?? null;
  const before = await until(pathOf, 5000, 'the QR code');
  await until(() => pathOf() !== before && pathOf(), 3000, 'a new QR frame');
  return decodeRenderedQr(el);
}
