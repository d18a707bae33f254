// Test support for the backend: a scripted fake of BankID's RP API, a hand-driven clock, and a
// browser with a cookie jar that talks to backend.fetch() the way the element would.

import { randomBytes, randomUUID } from 'node:crypto';
import {
  createBankIdBackend,
  type BankIdBackend,
  type BankIdBackendOptions,
  type CompletionData,
  type RpApi,
} from '../index.js';
import { createMemoryStore, type BankIdStore } from '../store.js';

// BANKID-REFERENCE §5.1 test vector.
export const QR_TOKEN = '67df3917-fa0d-44e5-b327-edcc928297f8';
export const QR_SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';
export const QR_CODES = [
  'dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
  '949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2',
  'a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3',
] as const;
export const qrAt = (t: 0 | 1 | 2): string => `bankid.${QR_TOKEN}.${t}.${QR_CODES[t]}`;

export const T0 = 1_700_000_000_000;
export const KEY = randomBytes(32);
export const API = '/api/bankid';
export const SITE = 'http://localhost:8000';
export const PERSONAL_NUMBER = '199001011234';

export function completionData(overrides: Partial<CompletionData> = {}): CompletionData {
  return {
    user: { personalNumber: PERSONAL_NUMBER, name: 'Test Testsson', givenName: 'Test', surname: 'Testsson' },
    device: { ipAddress: '127.0.0.1', uhi: 'abc' },
    bankIdIssueDate: '2024-01-15',
    signature: 'PHNpZz4=',
    ocspResponse: 'b2NzcA==',
    risk: 'low',
    ...overrides,
  };
}

/** Shaped like RpError; the backend recognises it by its fields only. */
export class FakeRpError extends Error {
  override name = 'RpError';
  details = `SECRET-DETAILS for ${PERSONAL_NUMBER}`;
  constructor(
    readonly status: number,
    readonly errorCode: string | null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(`BankID: HTTP ${status} ${errorCode}`);
  }
}

export class FakeNetworkError extends Error {
  override name = 'RpNetworkError';
  code = 'ECONNREFUSED';
}

type Method = keyof RpApi;
type Answer = unknown | Error | ((arg: unknown) => unknown);

/** A fake BankID: records calls; answers from per-method queues, else sensible defaults. */
export function fakeBankId() {
  const calls: Array<{ method: Method; arg: unknown }> = [];
  const queues: Record<Method, Answer[]> = { auth: [], sign: [], collect: [], cancel: [] };
  const newOrder = () => ({
    orderRef: randomUUID(),
    autoStartToken: randomUUID(),
    qrStartToken: QR_TOKEN,
    qrStartSecret: QR_SECRET,
  });
  const defaults: Record<Method, (arg: unknown) => unknown> = {
    auth: newOrder,
    sign: newOrder,
    collect: (orderRef) => ({ orderRef, status: 'pending', hintCode: 'outstandingTransaction' }),
    cancel: () => ({}),
  };
  const answer = async (method: Method, arg: unknown): Promise<never> => {
    calls.push({ method, arg });
    const next = queues[method].length > 0 ? queues[method].shift() : defaults[method];
    const value = typeof next === 'function' ? (next as (arg: unknown) => unknown)(arg) : next;
    if (value instanceof Error) throw value;
    return value as never;
  };
  const rp: RpApi = {
    auth: (body) => answer('auth', body),
    sign: (body) => answer('sign', body),
    collect: (orderRef) => answer('collect', orderRef),
    cancel: (orderRef) => answer('cancel', orderRef),
  };
  return {
    rp,
    calls,
    /** Script the next answers of `method` (objects, errors, or functions of the argument). */
    queue: (method: Method, ...answers: Answer[]) => void queues[method].push(...answers),
    count: (method: Method) => calls.filter((c) => c.method === method).length,
    last: (method: Method) => calls.filter((c) => c.method === method).at(-1)?.arg as Record<string, unknown>,
  };
}

export interface Answered {
  status: number;
  headers: Headers;
  setCookies: string[];
  text: string;
  json: Record<string, unknown>;
}

/** A Set-Cookie line → {name, value, attributes (lower-case names)}. */
export function parseSetCookie(line: string) {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const [k = '', ...v] = attribute.trim().split('=');
    attributes.set(k.toLowerCase(), v.join('='));
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** One browser: a cookie jar, an address, and the headers a same-origin fetch sends. */
export class Browser {
  readonly jar = new Map<string, string>();
  constructor(
    readonly backend: BankIdBackend,
    public address = '127.0.0.1',
    readonly site = SITE,
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async post(
    path: string,
    body: unknown,
    { headers = {}, cookies = true }: { headers?: Record<string, string>; cookies?: boolean } = {},
  ): Promise<Answered> {
    const all: Record<string, string> = {
      'Content-Type': 'application/json',
      Origin: this.site,
      'Sec-Fetch-Site': 'same-origin',
      'User-Agent': 'Mozilla/5.0 (TestBrowser)',
      ...(cookies && this.jar.size > 0 ? { Cookie: this.cookieHeader() } : {}),
      ...headers,
    };
    for (const [name, value] of Object.entries(all)) if (value === '') delete all[name];
    const request = new Request(new URL(path, this.site), {
      method: 'POST',
      headers: all,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const response = await this.backend.fetch(request, { clientAddress: this.address });
    if (!response) throw new Error(`not served: ${path}`);
    return this.receive(response);
  }

  async receive(response: Response): Promise<Answered> {
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const { name, value, attributes } = parseSetCookie(line);
      if (attributes.get('max-age') === '0') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: tests look at text
    }
    return { status: response.status, headers: response.headers, setCookies, text, json };
  }

  start(
    flow: 'this-device' | 'other-device' = 'other-device',
    extra: Record<string, unknown> = {},
    operation = 'auth',
  ) {
    return this.post(`${API}/${operation}`, { flow, ...extra });
  }
  collect(orderRef: unknown) {
    return this.post(`${API}/collect`, { orderRef });
  }
  cancel(orderRef: unknown) {
    return this.post(`${API}/cancel`, { orderRef });
  }
}

export type SetupOptions = Partial<BankIdBackendOptions> & { sharedStore?: BankIdStore };

/** One backend with a fake BankID and a hand-driven clock, and a browser for it. */
export function setup(options: SetupOptions = {}) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const bankid = fakeBankId();
  const logs: string[] = [];
  const { sharedStore, ...rest } = options;
  const backend = createBankIdBackend({
    rp: bankid.rp,
    cookieKey: KEY,
    userVisibleData: 'Logga in på Testbanken',
    now,
    log: (line) => logs.push(line),
    store: sharedStore ?? createMemoryStore({ now }),
    ...rest,
  });
  return {
    clock,
    now,
    bankid,
    backend,
    logs,
    browser: new Browser(backend),
    advance: (ms: number) => void (clock.t += ms),
  };
}

/** A browser's order, ready to collect: start → orderRef. */
export async function startedOrder(browser: Browser, flow: 'this-device' | 'other-device' = 'other-device') {
  const answer = await browser.start(flow);
  if (answer.status !== 200) throw new Error(`start failed: ${answer.status} ${answer.text}`);
  return answer.json['orderRef'] as string;
}
