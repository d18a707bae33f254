// The backend checker: drives any host backend of CONTRACT §4, in any language, the way the
// element and the user's BankID app would, against this simulator, and says what holds.
//
// The backend must be configured against the simulator (its RP URL, client certificate and CA).
// The checker plays several browsers (a cookie jar each), and the user's app through the
// simulator's app API. It starts about ten orders, more than the reference backend's per-client
// burst of five, so it waits out a 429 when it gets one.

import { randomUUID } from 'node:crypto';

export interface CheckOptions {
  /** The backend's base URL, e.g. http://localhost:8080/api/bankid */
  api: string;
  /** The simulator's app API URL, as `bankid-login-simulator` prints it. */
  simulator: string;
  /** The page's origin as the backend knows it; default the origin of `api`. */
  origin?: string;
  /** Which order kind to log in with; default 'auth'. */
  operation?: 'auth' | 'sign';
  /** Reported as each check ends. */
  onResult?: (result: CheckResult) => void;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  /** Why it failed (empty when it passed). */
  why: string;
}

interface Answer {
  status: number;
  json: Record<string, unknown> | null;
  text: string;
  setCookies: string[];
  headers: Headers;
}

interface SimulatorOrder {
  orderRef: string;
  status: string;
  hintCode: string | null;
  qr: string | null;
  pickedUpBy: string | null;
  rpCollects: number[];
  returnUrl: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const QR_PAYLOAD = /^bankid\.[0-9a-f-]{36}\.(0|[1-9][0-9]*)\.[0-9a-f]{64}$/;
/** A little under BankID's 2 s, for the jitter of two clocks. */
const MIN_COLLECT_GAP_MS = 1800;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RETRY_AFTER_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends; a 429 (a rate limit, which answers no question) is waited out once, as Retry-After says. */
async function waitingOutLimit(send: () => Promise<Answer>): Promise<Answer> {
  const answer = await send();
  if (answer.status !== 429) return answer;
  const seconds = Number(answer.headers.get('retry-after'));
  await sleep(Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 6000));
  return send();
}

/**
 * Expects the request to be refused with a 4xx. A 429 is no refusal: a backend that accepted the
 * request would answer the same while its limit holds, so it is waited out once and then fails.
 */
async function expectRefused(send: () => Promise<Answer>, what: string): Promise<void> {
  const answer = await waitingOutLimit(send);
  expect(
    answer.status !== 429,
    `${what} got 429 twice: a rate limit answered, so it is not known whether it would be refused (run the checker with room in the backend's limits)`,
  );
  expect(answer.status >= 400 && answer.status < 500, `${what} got ${describeAnswer(answer)}`);
}

/** A failed expectation inside a check; its message is the "why". */
class CheckFailure extends Error {}
function expect(condition: unknown, why: string): asserts condition {
  if (!condition) throw new CheckFailure(why);
}

/** One browser: a cookie jar, and the headers a same-origin fetch of the element sends. */
class Browser {
  constructor(
    private readonly api: URL,
    private readonly origin: string,
    /** Every answer body and header line, for the leak check. */
    private readonly seen: string[],
    /** Every Set-Cookie line any browser got, for the cookie check. */
    private readonly cookieLines: string[],
    private readonly jar = new Map<string, string>(),
  ) {}

  /** The same browser, its answers logged elsewhere (the complete answer is the host's business). */
  loggingTo(seen: string[]): Browser {
    return new Browser(this.api, this.origin, seen, this.cookieLines, this.jar);
  }

  /** Another browser holding a copy of this one's cookies, as if someone had planted them there. */
  withCopiedCookies(): Browser {
    return new Browser(this.api, this.origin, this.seen, this.cookieLines, new Map(this.jar));
  }

  /** Sends a POST as the element's fetch would; a header given as null is left out. */
  async post(path: string, body: string, headers: Record<string, string | null> = {}): Promise<Answer> {
    const url = new URL(path, `${this.api.href.replace(/\/?$/, '/')}`);
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const all: Record<string, string | null> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Origin: this.origin,
      'Sec-Fetch-Site': 'same-origin',
      'Sec-Fetch-Mode': 'cors',
      'User-Agent': 'Mozilla/5.0 (bankid-login-check)',
      ...(cookie ? { Cookie: cookie } : {}),
      ...headers,
    };
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null),
      body,
    });
    const setCookies = response.headers.getSetCookie();
    this.cookieLines.push(...setCookies);
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/;\s*max-age=(0|-\d+)\s*(;|$)/i.test(line) || /;\s*expires=[^;]*19[0-9]{2}/i.test(line) || value === '') {
        this.jar.delete(name);
      } else {
        this.jar.set(name, value);
      }
    }
    const text = await response.text();
    const headerText: string[] = [];
    response.headers.forEach((value, name) => headerText.push(`${name}: ${value}`));
    this.seen.push(text, ...headerText);
    let json: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        json = parsed as Record<string, unknown>;
    } catch {
      json = null;
    }
    return { status: response.status, json, text, setCookies, headers: response.headers };
  }

  json(path: string, body: unknown): Promise<Answer> {
    return this.post(path, JSON.stringify(body));
  }
}

/** The user's app and the simulator's own view, over the app API. */
class SimulatorApp {
  constructor(private readonly base: URL) {}

  private async call(operation: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(new URL(operation, this.base), {
      method: body === undefined ? 'GET' : 'POST',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status >= 400 && response.status !== 409) {
      throw new Error(
        `the simulator's app API answered ${response.status} to ${operation}: ${String(json['details'] ?? '')}`,
      );
    }
    return { status: response.status, json };
  }

  async orders(): Promise<SimulatorOrder[]> {
    return (await this.call('orders')).json['orders'] as SimulatorOrder[];
  }
  async order(orderRef: string): Promise<SimulatorOrder | undefined> {
    return (await this.orders()).find((order) => order.orderRef === orderRef);
  }
  act(operation: string, body: Record<string, unknown>) {
    return this.call(operation, body);
  }
  async leaks(text: string): Promise<Array<{ orderRef: string; field: string }>> {
    return (await this.call('leaks', { text })).json['leaks'] as Array<{ orderRef: string; field: string }>;
  }
  inject(setting: Record<string, unknown>) {
    return this.call('inject', setting);
  }
  async injection(): Promise<Record<string, unknown>> {
    return (await this.call('inject')).json;
  }
}

const short = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 120);
const describeAnswer = (answer: Answer): string => `${answer.status} ${short(answer.text)}`;

/**
 * Runs every check against the backend at `api`; resolves with one result per check. Throws only
 * when the simulator's app API cannot be reached at all.
 */
export async function checkBackend(options: CheckOptions): Promise<CheckResult[]> {
  const api = new URL(options.api);
  const origin = options.origin ?? api.origin;
  const operation = options.operation ?? 'auth';
  const sim = new SimulatorApp(new URL(options.simulator.replace(/\/?$/, '/')));
  await sim.orders(); // fails fast with a clear error when the simulator is not there
  const seenBeforeComplete: string[] = [];
  const cookieLines: string[] = [];
  const results: CheckResult[] = [];
  const newBrowser = (seen: string[] = seenBeforeComplete) => new Browser(api, origin, seen, cookieLines);

  async function check(name: string, run: () => Promise<void>): Promise<void> {
    let result: CheckResult;
    try {
      await run();
      result = { name, passed: true, why: '' };
    } catch (error) {
      const why =
        error instanceof CheckFailure ? error.message : `error: ${(error as Error)?.message ?? String(error)}`;
      result = { name, passed: false, why };
    }
    results.push(result);
    options.onResult?.(result);
  }

  /** POST {operation} with a flow; waits out one 429 (the per-client limit) and tries again. */
  function start(browser: Browser, flow: 'this-device' | 'other-device'): Promise<Answer> {
    return waitingOutLimit(() => browser.json(operation, { flow }));
  }

  async function collectUntil(
    browser: Browser,
    orderRef: string,
    done: (answer: Answer) => boolean,
    what: string,
    ms = 8000,
  ): Promise<Answer> {
    const deadline = Date.now() + ms;
    for (;;) {
      const answer = await browser.json('collect', { orderRef });
      if (done(answer)) return answer;
      expect(Date.now() < deadline, `no ${what} within ${ms / 1000} s; last answer ${describeAnswer(answer)}`);
      await sleep(answer.status === 429 ? 1000 : 500);
    }
  }

  const isFinal = (status: string) => (answer: Answer) => answer.status === 200 && answer.json?.['status'] === status;

  // --- the QR login, with the checks that need a live QR order ---------------------------

  const qrBrowser = newBrowser();
  let qrOrder: string | null = null;
  let qrLoggedIn = false;

  await check(`start, other device: 200 {orderRef, qr} with a QR code BankID's app accepts`, async () => {
    const answer = await start(qrBrowser, 'other-device');
    expect(answer.status === 200 && answer.json, `expected 200 with a JSON object, got ${describeAnswer(answer)}`);
    const { orderRef, qr, autoStartToken } = answer.json;
    expect(typeof orderRef === 'string' && orderRef !== '', 'no orderRef in the answer');
    qrOrder = orderRef;
    expect(typeof qr === 'string' && QR_PAYLOAD.test(qr), `qr is not a BankID QR payload: ${short(String(qr))}`);
    expect(autoStartToken === undefined, 'an other-device answer should not carry the autoStartToken');
    const verdict = await sim.act('check-qr', { payload: qr });
    expect(verdict.json['ok'] === true, `the app refuses this QR code: ${String(verdict.json['message'])}`);
    expect((verdict.json['orderRef'] as string) === orderRef, 'the QR code belongs to another order');
  });

  let planter: Browser | null = null;
  await check('another session cannot collect or cancel the order, not even one with an order of its own', async () => {
    expect(qrOrder, 'no order to try (the start failed)');
    // A backend that takes any valid session for the order's own would let this one in.
    const stranger = newBrowser();
    const own = await start(stranger, 'other-device');
    expect(own.status === 200, `the second browser could not start an order of its own: ${describeAnswer(own)}`);
    planter = stranger;
    await expectRefused(() => stranger.json('collect', { orderRef: qrOrder }), "a stranger's collect");
    await expectRefused(() => stranger.json('cancel', { orderRef: qrOrder }), "a stranger's cancel");
    const order = await sim.order(qrOrder);
    expect(
      order?.status === 'pending',
      `the order is ${order?.status ?? 'gone'} at BankID after the stranger's cancel`,
    );
    await stranger.json('cancel', { orderRef: own.json?.['orderRef'] });
  });

  // One stretch of polling, four times a second for 4.5 s, serves two checks.
  const polled: Array<{ answer: Answer; verdict: Record<string, unknown> | null }> = [];
  let collectsBefore = 0;
  if (qrOrder) {
    collectsBefore = (await sim.order(qrOrder))?.rpCollects.length ?? 0;
    const until = Date.now() + 4500;
    while (Date.now() < until) {
      const answer = await qrBrowser.json('collect', { orderRef: qrOrder });
      const qr = answer.json?.['qr'];
      const verdict = typeof qr === 'string' ? (await sim.act('check-qr', { payload: qr })).json : null;
      polled.push({ answer, verdict });
      await sleep(250);
    }
  }

  await check('the QR code is new every second and always valid', async () => {
    expect(qrOrder, 'no order to poll');
    const codes = new Set<string>();
    for (const { answer, verdict } of polled) {
      if (answer.status === 429) continue; // the backend's own poll limit: fine
      expect(answer.status === 200 && answer.json?.['status'] === 'pending', `collect got ${describeAnswer(answer)}`);
      expect(verdict, 'a pending collect of an unscanned QR order has no qr');
      expect(verdict['ok'] === true, `a collect's QR code is refused by the app: ${String(verdict['message'])}`);
      codes.add(String(answer.json['qr']));
    }
    expect(codes.size >= 4, `only ${codes.size} different QR codes in 4.5 s`);
  });

  await check("BankID's collect is called at most once per 2 s for an order", async () => {
    expect(qrOrder, 'no order to poll');
    const times = (await sim.order(qrOrder))?.rpCollects ?? [];
    expect(times.length > collectsBefore, 'the backend never asked BankID while the browser polled');
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    const shortest = Math.min(...gaps);
    expect(gaps.length === 0 || shortest >= MIN_COLLECT_GAP_MS, `two BankID collects only ${shortest} ms apart`);
  });

  await check('the QR login completes: scan, identify, collect → complete', async () => {
    expect(qrOrder, 'no order to log in with');
    const current = await waitingOutLimit(() => qrBrowser.json('collect', { orderRef: qrOrder }));
    const payload = current.json?.['qr'];
    expect(typeof payload === 'string', `no QR code to scan: ${describeAnswer(current)}`);
    const scan = await sim.act('scan', { payload });
    expect(scan.json['ok'] === true, `the app could not scan the page's QR code: ${String(scan.json['message'])}`);
    await collectUntil(qrBrowser, qrOrder, (a) => a.status === 200 && a.json?.['hintCode'] === 'userSign', 'userSign');
    const scanned = await waitingOutLimit(() => qrBrowser.json('collect', { orderRef: qrOrder }));
    expect(!('qr' in (scanned.json ?? {})), 'a QR code is still sent after the app has the order');
    const identify = await sim.act('identify', { orderRef: qrOrder });
    expect(identify.json['ok'] === true, `the app could not identify: ${String(identify.json['message'])}`);
    const done = await collectUntil(qrBrowser.loggingTo([]), qrOrder, isFinal('complete'), 'complete');
    expect(done.json?.['orderRef'] === qrOrder, 'the complete answer names another orderRef');
    qrLoggedIn = true;
  });

  await check('a completed order cannot be collected again (a replayed request gets 4xx)', async () => {
    expect(qrOrder && qrLoggedIn, 'the QR login did not complete');
    await sleep(2100);
    await expectRefused(() => qrBrowser.json('collect', { orderRef: qrOrder }), 'the second collect');
  });

  // --- this device ----------------------------------------------------------------------

  await check('the this-device login completes: autoStartToken, open, identify, collect → complete', async () => {
    const browser = newBrowser();
    const answer = await start(browser, 'this-device');
    expect(answer.status === 200 && answer.json, `expected 200 with a JSON object, got ${describeAnswer(answer)}`);
    const { orderRef, autoStartToken, qr } = answer.json;
    expect(typeof orderRef === 'string', 'no orderRef');
    expect(typeof autoStartToken === 'string' && UUID.test(autoStartToken), 'autoStartToken is missing or not a UUID');
    expect(qr === undefined, 'a this-device answer should not carry a QR code');
    const open = await sim.act('open', { autoStartToken });
    expect(open.json['ok'] === true, `the app could not open the order: ${String(open.json['message'])}`);
    await sim.act('identify', { orderRef });
    const done = await collectUntil(browser.loggingTo([]), orderRef, isFinal('complete'), 'complete');
    expect(done.json?.['orderRef'] === orderRef, 'the complete answer names another orderRef');
  });

  await check("the user's cancel in the app comes back as failed userCancel", async () => {
    const browser = newBrowser();
    const answer = await start(browser, 'this-device');
    expect(answer.status === 200 && answer.json, `start got ${describeAnswer(answer)}`);
    const { orderRef, autoStartToken } = answer.json;
    await sim.act('open', { autoStartToken });
    await sim.act('cancel', { orderRef });
    const failed = await collectUntil(browser, orderRef as string, isFinal('failed'), 'failed');
    expect(
      failed.json?.['hintCode'] === 'userCancel',
      `hintCode ${String(failed.json?.['hintCode'])}, expected userCancel`,
    );
  });

  await check('cancel works: 2xx, the order is cancelled at BankID, later collects get 4xx', async () => {
    const browser = newBrowser();
    const answer = await start(browser, 'other-device');
    expect(answer.status === 200 && answer.json, `start got ${describeAnswer(answer)}`);
    const orderRef = answer.json['orderRef'] as string;
    const cancel = await browser.json('cancel', { orderRef });
    expect(cancel.status >= 200 && cancel.status < 300, `cancel got ${describeAnswer(cancel)}`);
    const order = await sim.order(orderRef);
    expect(order === undefined || order.status !== 'pending', 'the order is still pending at BankID');
    await expectRefused(() => browser.json('collect', { orderRef }), 'a collect after cancel');
  });

  // Not beside the session check: before the QR stretch, its requests would eat into the same
  // per-client poll limit.
  await check(
    'cookies planted before a start do not let their planter collect the order (a new session per order)',
    async () => {
      expect(planter, 'no session to plant (the second browser could not start an order)');
      const attacker: Browser = planter;
      // The attacker's cookies in the victim's browser (set from a sibling subdomain, say) before the
      // victim starts: a backend that keeps the session id hands the victim's order to the attacker.
      const victim = attacker.withCopiedCookies();
      const answer = await start(victim, 'other-device');
      expect(answer.status === 200 && answer.json, `the victim's start got ${describeAnswer(answer)}`);
      const orderRef = answer.json['orderRef'] as string;
      await expectRefused(() => attacker.json('collect', { orderRef }), "the planter's collect of the victim's order");
      const own = await victim.json('collect', { orderRef });
      await victim.json('cancel', { orderRef });
      expect(own.status === 200, `the victim's own collect got ${describeAnswer(own)}`);
    },
  );

  await check("BankID's errors come back in CONTRACT §4's shapes (maintenance → 5xx {errorCode})", async () => {
    await sim.inject({ error: 'maintenance', endpoints: ['auth', 'sign'], count: 1 });
    try {
      const answer = await start(newBrowser(), 'other-device');
      expect(answer.status >= 500 && answer.status < 600, `a start during maintenance got ${describeAnswer(answer)}`);
      expect(typeof answer.json?.['errorCode'] === 'string', `no errorCode in ${short(answer.text)}`);
    } finally {
      await sim.inject({ error: null, delayMs: 0 });
    }
  });

  await check('a short BankID outage during collect comes back as 5xx or 429, not as a failed order', async () => {
    const browser = newBrowser();
    const answer = await start(browser, 'other-device');
    expect(answer.status === 200 && answer.json, `start got ${describeAnswer(answer)}`);
    const orderRef = answer.json['orderRef'] as string;
    await sim.inject({ error: 'maintenance', endpoints: ['collect'], count: 1 });
    const answers: Answer[] = [];
    try {
      // Until BankID has answered one collect with the fault, then once more.
      const deadline = Date.now() + 8000;
      while ((await sim.injection())['active'] === true && Date.now() < deadline) {
        answers.push(await browser.json('collect', { orderRef }));
        await sleep(500);
      }
    } finally {
      await sim.inject({ error: null, delayMs: 0 });
    }
    const after = await collectUntil(
      browser,
      orderRef,
      (a) => a.status === 200 || (a.status < 500 && a.status !== 429),
      'answer but 5xx or 429 after the outage',
      5000,
    );
    await browser.json('cancel', { orderRef });
    const ended = answers.find((a) => a.status === 200 && a.json?.['status'] !== 'pending');
    expect(
      !ended,
      `during the outage collect got ${ended ? describeAnswer(ended) : ''}: the element would end the login`,
    );
    expect(
      answers.some((a) => a.status >= 500 || a.status === 429),
      `BankID's fault never came back as 5xx or 429: ${answers.map((a) => a.status).join(', ') || 'no BankID collect within 8 s'}`,
    );
    expect(
      after.status === 200 && after.json?.['status'] === 'pending',
      `after the outage collect got ${describeAnswer(after)}`,
    );
  });

  // --- requests a browser on another site could send --------------------------------------

  async function refusedWithoutOrder(send: () => Promise<Answer>, what: string): Promise<void> {
    const before = (await sim.orders()).length;
    await expectRefused(send, what);
    expect((await sim.orders()).length === before, `${what} made an order at BankID`);
  }

  await check('cross-site requests are refused (Origin of another site, with or without Sec-Fetch-Site)', async () => {
    const browser = newBrowser();
    const body = JSON.stringify({ flow: 'other-device' });
    await refusedWithoutOrder(
      () => browser.post(operation, body, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }),
      'a cross-site fetch',
    );
    // A browser without fetch metadata (Safari before 16.4) sends only the Origin.
    await refusedWithoutOrder(
      () =>
        browser.post(operation, body, {
          Origin: 'https://evil.example',
          'Sec-Fetch-Site': null,
          'Sec-Fetch-Mode': null,
        }),
      'a cross-site fetch without Sec-Fetch-Site',
    );
  });

  await check('a form post (not JSON) is refused, also one without Origin or Sec-Fetch-Site', async () => {
    const browser = newBrowser();
    await refusedWithoutOrder(
      () =>
        browser.post(operation, 'flow=other-device', {
          'Content-Type': 'application/x-www-form-urlencoded',
          Origin: 'https://evil.example',
          'Sec-Fetch-Site': 'cross-site',
          'Sec-Fetch-Mode': 'navigate',
        }),
      'a form post',
    );
    // What an old browser's cross-site <form enctype="text/plain"> sends: JSON in the body, and no
    // header that names the site. Only the content type tells it from the element's fetch.
    await refusedWithoutOrder(
      () =>
        browser.post(operation, JSON.stringify({ flow: 'other-device' }), {
          'Content-Type': 'text/plain',
          Origin: null,
          'Sec-Fetch-Site': null,
          'Sec-Fetch-Mode': null,
        }),
      'a text/plain post without Origin',
    );
  });

  await check('an unknown orderRef gets 4xx', async () => {
    const browser = newBrowser();
    await expectRefused(() => browser.json('collect', { orderRef: randomUUID() }), 'a collect of an unknown orderRef');
  });

  await check('the iOS returnUrl reaches BankID only as a page of this site', async () => {
    const browser = newBrowser();
    const ownPage = `${origin}/after-login`;
    // Another site, another app, and a URL that is not a page although its origin is ours.
    const foreign = ['https://evil.example/after-login', 'evil-app://login', `blob:${origin}/${randomUUID()}`];
    for (const returnUrl of [ownPage, ...foreign]) {
      const answer = await waitingOutLimit(() => browser.json(operation, { flow: 'this-device', returnUrl }));
      const orderRef = answer.json?.['orderRef'];
      if (answer.status !== 200 || typeof orderRef !== 'string') {
        expect(foreign.includes(returnUrl), `a start with returnUrl ${returnUrl} got ${describeAnswer(answer)}`);
        expect(answer.status >= 400 && answer.status < 500, `returnUrl ${returnUrl} got ${describeAnswer(answer)}`);
        continue;
      }
      const sent = (await sim.order(orderRef))?.returnUrl ?? null;
      await browser.json('cancel', { orderRef });
      // Ours is passed on (with whatever nonce the backend adds); a foreign one may be dropped.
      expect(sent !== null || returnUrl !== ownPage, `the page's own returnUrl did not reach BankID`);
      if (sent === null) continue;
      const url = URL.canParse(sent) ? new URL(sent) : null;
      expect(
        url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin,
        `asked for ${returnUrl}, BankID got ${short(sent)}: not a page of ${origin}`,
      );
    }
  });

  await check(
    'every cookie is HttpOnly (but a CSRF token) and SameSite Lax or Strict (and Secure on HTTPS)',
    async () => {
      const https = origin.startsWith('https:');
      expect(cookieLines.length > 0, 'no answer set a cookie, so nothing binds an order to its browser');
      for (const line of cookieLines) {
        if (/;\s*max-age=(0|-\d+)\s*(;|$)/i.test(line)) continue; // a deletion
        const name = line.split('=')[0]?.trim() ?? '';
        // A double-submit CSRF token (Django's csrftoken, XSRF-TOKEN) is there for the page's script to read.
        const forScript = /csrf|xsrf/i.test(name);
        expect(
          forScript || /;\s*httponly\s*(;|$)/i.test(line),
          `${name} is not HttpOnly: a script on the page could read it`,
        );
        expect(/;\s*samesite=(lax|strict)\s*(;|$)/i.test(line), `${name} has no SameSite=Lax or Strict`);
        expect(!https || /;\s*secure\s*(;|$)/i.test(line), `${name} is not Secure on an HTTPS site`);
      }
    },
  );

  await check('no qrStartSecret and no personal data reach the browser before complete', async () => {
    expect(qrOrder, 'no answers to look at (the start failed)');
    const leaks = await sim.leaks(seenBeforeComplete.join('\n'));
    const fields = [...new Set(leaks.map((leak) => leak.field))];
    expect(leaks.length === 0, `found ${fields.join(', ')} in the answers (bodies or headers)`);
  });

  return results;
}
