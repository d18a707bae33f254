// The defences: orders bound to the browser session, planted and tampered cookies, replays across
// instances, forged client addresses, CSRF, request limits, and rate limits that a flood of new
// addresses cannot reset.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBankIdBackend, createMemoryStore } from '../index.js';
import {
  API,
  Browser,
  KEY,
  SITE,
  T0,
  completionData,
  fakeBankId,
  parseSetCookie,
  setup,
  startedOrder,
} from './support.js';

const complete = (orderRef: unknown) => ({ orderRef, status: 'complete', completionData: completionData() });

describe('orders belong to the browser session that started them', () => {
  test('another browser (no cookies) cannot collect or cancel the orderRef; BankID is not called', async () => {
    const { browser, backend, bankid } = setup();
    const orderRef = await startedOrder(browser);
    const stranger = new Browser(backend);
    assert.equal((await stranger.collect(orderRef)).status, 400);
    assert.equal((await stranger.cancel(orderRef)).status, 400);
    assert.equal(bankid.count('collect') + bankid.count('cancel'), 0);
  });

  test("a stolen order cookie is useless with another session's cookie", async () => {
    const { browser, backend } = setup();
    const orderRef = await startedOrder(browser);
    const thief = new Browser(backend);
    await startedOrder(thief); // the thief's own session
    for (const [name, value] of browser.jar) if (name.startsWith('bankid-order-')) thief.jar.set(name, value);
    assert.equal((await thief.collect(orderRef)).status, 400);
  });

  test('a tampered cookie (one flipped bit) or a value copied under another order name → 400', async () => {
    const { browser } = setup();
    const first = await startedOrder(browser);
    const second = await startedOrder(browser);
    const names = [...browser.jar.keys()].filter((name) => name.startsWith('bankid-order-'));
    assert.equal(names.length, 2);
    const [a, b] = names as [string, string];
    const original = browser.jar.get(a)!;
    const bytes = Buffer.from(original, 'base64url');
    bytes[20]! ^= 1;
    browser.jar.set(a, bytes.toString('base64url'));
    const results = [(await browser.collect(first)).status, (await browser.collect(second)).status];
    assert.ok(results.includes(400), 'the tampered one is refused');
    browser.jar.set(a, browser.jar.get(b)!); // b's value under a's name
    assert.equal((await browser.collect(first)).status, 400);
  });

  test('an order cookie older than 10 minutes is refused even if the browser still sends it', async () => {
    const { browser, advance } = setup();
    const orderRef = await startedOrder(browser);
    advance(10 * 60 * 1000);
    assert.equal((await browser.collect(orderRef)).status, 400);
  });

  test('the session id rotates on every new order; the older live orders move to the new id', async () => {
    const { browser } = setup();
    const first = await startedOrder(browser);
    const sid1 = browser.jar.get('bankid-session');
    const second = await startedOrder(browser);
    assert.notEqual(browser.jar.get('bankid-session'), sid1);
    assert.equal((await browser.collect(first)).status, 200);
    assert.equal((await browser.collect(second)).status, 200);
    assert.equal((await browser.cancel(first)).status, 200);
    assert.equal((await browser.collect(second)).status, 200, 'cancelling the old one leaves the new one');
  });

  test('at most 4 live orders per browser; the oldest cookies go', async () => {
    const { browser, advance } = setup({ rateLimits: false });
    const refs: string[] = [];
    for (let i = 0; i < 6; i++) {
      refs.push(await startedOrder(browser));
      advance(1000);
    }
    assert.equal([...browser.jar.keys()].filter((name) => name.startsWith('bankid-order-')).length, 4);
    assert.equal((await browser.collect(refs[0])).status, 400);
    assert.equal((await browser.collect(refs[5])).status, 200);
  });

  test('a planted session cookie sent first (longer path) does not hide the real one', async () => {
    const { browser } = setup();
    const orderRef = await startedOrder(browser);
    const real = browser.cookieHeader();
    const planted = `bankid-session=AAAAAAAAAAAAAAAAAAAAAA; ${real}`;
    const answer = await browser.post(`${API}/collect`, { orderRef }, { cookies: false, headers: { Cookie: planted } });
    assert.equal(answer.status, 200);
  });

  test("the host's own cookies, however many, do not push ours out of reach", async () => {
    const { browser } = setup();
    const orderRef = await startedOrder(browser);
    const hosts = Array.from({ length: 80 }, (_, i) => `shop_${i}=${'v'.repeat(40)}`).join('; ');
    const cookie = `${hosts}; ${browser.cookieHeader()}`;
    const answer = await browser.post(`${API}/collect`, { orderRef }, { cookies: false, headers: { Cookie: cookie } });
    assert.equal(answer.status, 200);
  });

  test('40 planted order cookies: the answer stays small (few Set-Cookie lines, headers far under 16 KB)', async () => {
    const { browser } = setup();
    await startedOrder(browser);
    for (let i = 0; i < 40; i++) browser.jar.set(`bankid-order-${i.toString(16).padStart(10, '0')}`, 'x'.repeat(300));
    const answer = await browser.start();
    assert.equal(answer.status, 200);
    assert.ok(answer.setCookies.length <= 14, `${answer.setCookies.length} Set-Cookie lines`);
    let bytes = 0;
    answer.headers.forEach((value, name) => (bytes += name.length + value.length + 4));
    assert.ok(bytes < 8 * 1024, `${bytes} header bytes`);
  });

  test('two instances with the same key serve the same login; a shared store claims a completion once in the fleet', async () => {
    const clock = { t: T0 };
    const now = () => clock.t;
    const store = createMemoryStore({ now });
    const bankid = fakeBankId();
    let completions = 0;
    const make = () =>
      createBankIdBackend({
        rp: bankid.rp,
        cookieKey: KEY,
        userVisibleData: 'Logga in',
        store,
        now,
        onComplete: () => void completions++,
        log: () => {},
      });
    const a = new Browser(make());
    const orderRef = await startedOrder(a);
    const b = new Browser(make());
    for (const [k, v] of a.jar) b.jar.set(k, v); // the load balancer sends the browser elsewhere
    assert.equal((await b.collect(orderRef)).status, 200);
    clock.t += 2000;
    const replay = a.cookieHeader();
    bankid.queue('collect', complete, complete);
    assert.equal((await b.collect(orderRef)).json['status'], 'complete');
    clock.t += 2000;
    // The cookie replayed to the first instance: refused without asking BankID again.
    const again = await a.post(`${API}/collect`, { orderRef }, { cookies: false, headers: { Cookie: replay } });
    assert.equal(again.status, 400);
    assert.equal(completions, 1);
    assert.equal(bankid.count('collect'), 2);
  });

  test('two collects racing over one completed order: one completes, the other is refused', async () => {
    const { browser, bankid } = setup({ collectEveryMs: 1000 });
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', complete, complete);
    const [x, y] = await Promise.all([browser.collect(orderRef), browser.collect(orderRef)]);
    const statuses = [x.json['status'] ?? x.status, y.json['status'] ?? y.status].map(String).sort();
    assert.equal(statuses.filter((s) => s === 'complete').length, 1, statuses.join());
  });
});

describe('request checks (CSRF, media type, size)', () => {
  test('an Origin other than our own, or a cross-site fetch → 403 forbidden; BankID not called', async () => {
    const { browser, bankid } = setup();
    for (const headers of [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: `${SITE}.evil.example` },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
    ]) {
      const answer = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers });
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(answer.json['errorCode'], 'forbidden');
    }
    assert.equal(bankid.count('auth'), 0);
    const typed = await browser.post(
      `${API}/auth`,
      { flow: 'other-device' },
      { headers: { 'Sec-Fetch-Site': 'none' } },
    );
    assert.equal(typed.status, 200, 'none (typed in the address bar, tools) is fine');
  });

  test('only application/json: a form post or text → 415, BankID not called', async () => {
    const { browser, bankid } = setup();
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', '']) {
      const answer = await browser.post(`${API}/auth`, 'flow=other-device', { headers: { 'Content-Type': type } });
      assert.equal(answer.status, 415, type);
    }
    assert.equal(bankid.count('auth'), 0);
    const charset = await browser.post(
      `${API}/auth`,
      { flow: 'other-device' },
      {
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
      },
    );
    assert.equal(charset.status, 200);
  });

  test('anything but POST → 405 with Allow: POST', async () => {
    const { backend } = setup();
    const answer = await backend.fetch(new Request(`${SITE}${API}/collect`), { clientAddress: '127.0.0.1' });
    assert.equal(answer?.status, 405);
    assert.equal(answer?.headers.get('allow'), 'POST');
  });

  test('bad bodies → 400 invalidParameters; over 4 KB → 413', async () => {
    const { browser } = setup();
    for (const body of [
      '{',
      '[]',
      'null',
      '"x"',
      '{"flow":"both"}',
      JSON.stringify({ flow: 'this-device', x: 'y'.repeat(5000) }),
    ]) {
      const answer = await browser.post(`${API}/auth`, body);
      assert.ok([400, 413].includes(answer.status), body.slice(0, 20));
    }
    assert.equal((await browser.post(`${API}/auth`, JSON.stringify({ a: 'x'.repeat(5000) }))).status, 413);
    for (const orderRef of [undefined, 42, '', 'x'.repeat(200)]) {
      assert.equal((await browser.collect(orderRef)).status, 400);
    }
  });

  test('paths that are not ours are left to the host: fetch answers null', async () => {
    const { backend } = setup();
    for (const path of [
      '/',
      '/api/bankid',
      '/api/bankid/',
      '/api/bankid/auth/x',
      '/api/bankid/other',
      '/api/bankidauth',
    ]) {
      const request = new Request(`${SITE}${path}`, {
        method: 'POST',
        body: '{}',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(await backend.fetch(request, { clientAddress: '127.0.0.1' }), null, path);
    }
  });

  test('without a client address (backend.fetch(request) alone, no trusted proxy): 127.0.0.1 stands in outside production, said in the log once a minute', async () => {
    const { backend, bankid, logs, advance } = setup();
    const request = () =>
      new Request(`${SITE}${API}/auth`, {
        method: 'POST',
        body: '{"flow":"other-device"}',
        headers: { 'Content-Type': 'application/json' },
      });
    assert.equal((await backend.fetch(request()))?.status, 200);
    assert.equal((await backend.fetch(request()))?.status, 200);
    assert.equal(bankid.last('auth')['endUserIp'], '127.0.0.1');
    assert.equal(logs.filter((line) => /no client address.*clientAddress/.test(line)).length, 1);
    advance(60_000);
    assert.equal((await backend.fetch(request()))?.status, 200);
    assert.equal(logs.filter((line) => /no client address.*clientAddress/.test(line)).length, 2);
  });

  test('without a client address in production → 500 and a log line that says what to do; BankID is not called', async () => {
    const before = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    let made: ReturnType<typeof setup>;
    try {
      made = setup({ publicOrigin: SITE });
    } finally {
      if (before === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = before;
    }
    const { backend, bankid, logs } = made;
    const request = new Request(`${SITE}${API}/auth`, {
      method: 'POST',
      body: '{"flow":"other-device"}',
      headers: { 'Content-Type': 'application/json' },
    });
    const answer = await backend.fetch(request);
    assert.equal(answer?.status, 500);
    assert.equal(bankid.count('auth'), 0);
    assert.match(logs.join('\n'), /clientAddress/);
  });
});

describe('the client address behind proxies (trustProxy)', () => {
  test('endUserIp is the X-Forwarded-For entry n hops from the right', async () => {
    for (const [trustProxy, header, expected] of [
      [1, '198.51.100.7', '198.51.100.7'],
      [1, '203.0.113.66, 198.51.100.7', '198.51.100.7'],
      [2, '203.0.113.66, 198.51.100.7, 10.0.0.2', '198.51.100.7'],
      [true, '::ffff:198.51.100.7', '198.51.100.7'],
    ] as const) {
      const { backend, bankid } = setup({ trustProxy });
      const browser = new Browser(backend, '10.0.0.1');
      await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'X-Forwarded-For': header } });
      assert.equal(bankid.last('auth')['endUserIp'], expected, `${trustProxy} ${header}`);
    }
  });

  test('fewer entries than trusted hops: the socket address, never an entry the client wrote', async () => {
    const { backend, bankid } = setup({ trustProxy: 2 });
    const browser = new Browser(backend, '10.0.0.1');
    await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'X-Forwarded-For': '6.6.6.6' } });
    assert.equal(bankid.last('auth')['endUserIp'], '10.0.0.1');
  });

  test('without trustProxy the header is ignored; garbage in it falls back to the socket', async () => {
    for (const [trustProxy, header] of [
      [false, '198.51.100.7'],
      [1, 'not-an-address'],
    ] as const) {
      const { backend, bankid } = setup({ trustProxy });
      const browser = new Browser(backend, '10.0.0.1');
      await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'X-Forwarded-For': header } });
      assert.equal(bankid.last('auth')['endUserIp'], '10.0.0.1');
    }
  });
});

describe('publicOrigin', () => {
  test('the Origin check, the returnUrl check and referringDomain use it, never Host or X-Forwarded-Host; cookies are __Host-', async () => {
    const { backend, bankid } = setup({ publicOrigin: 'https://shop.example', trustProxy: 1 });
    const evil = new Browser(backend, '10.0.0.1', 'https://evil.example');
    const refused = await evil.post(
      `${API}/auth`,
      { flow: 'other-device' },
      { headers: { 'X-Forwarded-Host': 'evil.example' } },
    );
    assert.equal(refused.status, 403);
    // The page is on https://shop.example; the request reaches us as http://internal:8080 behind the proxy.
    const internal = new Browser(backend, '10.0.0.1', 'http://internal:8080');
    const answer = await internal.post(
      `${API}/auth`,
      { flow: 'this-device', returnUrl: 'https://shop.example/login' },
      {
        headers: {
          Origin: 'https://shop.example',
          'X-Forwarded-For': '198.51.100.7',
          'X-Forwarded-Host': 'evil.example',
        },
      },
    );
    assert.equal(answer.status, 200);
    assert.equal((bankid.last('auth')['web'] as Record<string, string>)['referringDomain'], 'shop.example');
    assert.ok(answer.setCookies.every((line) => line.startsWith('__Host-') && /; Secure/.test(line)));
    const wrong = await internal.post(
      `${API}/auth`,
      { flow: 'this-device', returnUrl: 'http://internal:8080/login' },
      { headers: { Origin: 'https://shop.example' } },
    );
    assert.equal(wrong.status, 400);
  });
});

describe('rate limits', () => {
  test('starts: 5 at once, then 10 a minute → 429 tooManyRequests with Retry-After; BankID not called', async () => {
    const { browser, bankid, advance } = setup();
    for (let i = 0; i < 5; i++) assert.equal((await browser.start()).status, 200);
    const refused = await browser.start();
    assert.equal(refused.status, 429);
    assert.equal(refused.json['errorCode'], 'tooManyRequests');
    assert.equal(refused.headers.get('retry-after'), '6');
    assert.equal(bankid.count('auth'), 5);
    advance(6000);
    assert.equal((await browser.start()).status, 200);
  });

  test('collect and cancel: 10 at once, then 3 a second', async () => {
    const { browser, advance } = setup();
    const orderRef = await startedOrder(browser);
    for (let i = 0; i < 10; i++) assert.equal((await browser.collect(orderRef)).status, 200);
    assert.equal((await browser.collect(orderRef)).status, 429);
    advance(334);
    assert.equal((await browser.collect(orderRef)).status, 200);
  });

  test('an IPv6 /64 is one client; a /48 is one network with four times the room', async () => {
    const { backend } = setup();
    const at = (address: string) => new Browser(backend, address);
    for (let i = 0; i < 5; i++) assert.equal((await at(`2001:db8:1:1::${i + 1}`).start()).status, 200);
    assert.equal((await at('2001:db8:1:1::ff').start()).status, 429, 'the same /64');
    for (let i = 0; i < 15; i++) assert.equal((await at(`2001:db8:1:${i + 2}::1`).start()).status, 200);
    assert.equal((await at('2001:db8:1:99::1').start()).status, 429, 'the /48 has had its 20');
    assert.equal((await at('2001:db8:2:1::1').start()).status, 200, 'another /48');
  });

  test('a flood of 10 000 new /64 prefixes neither frees a throttled client nor reaches BankID 10 000 times', async () => {
    const { backend, bankid } = setup();
    const victim = new Browser(backend, '198.51.100.7');
    for (let i = 0; i < 5; i++) await victim.start();
    assert.equal((await victim.start()).status, 429);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const hex = i.toString(16);
      const flood = new Browser(backend, `2001:${hex}:${hex}:1::1`);
      const { status } = await flood.start();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // The fleet's cap on BankID calls (burst 100) stops the flood; the rest are 429.
    assert.ok(bankid.count('auth') <= 5 + 100, `${bankid.count('auth')} calls to BankID`);
    assert.ok((statuses.get(429) ?? 0) >= 9_890);
    assert.equal((await victim.start()).status, 429, 'still throttled');
  });

  test('rateLimits: false turns every limit off (benchmarks)', async () => {
    const { browser } = setup({ rateLimits: false });
    for (let i = 0; i < 150; i++) assert.equal((await browser.start()).status, 200);
  });
});

describe('memory store', () => {
  test('takeTokens takes from every bucket or from none', async () => {
    const store = createMemoryStore({ now: () => T0 });
    const a = { key: 'a', burst: 2, perMinute: 60 };
    const b = { key: 'b', burst: 1, perMinute: 60 };
    assert.equal(await store.takeTokens([a, b]), 0);
    assert.equal(await store.takeTokens([a, b]), 1000, 'b is empty: wait a second');
    assert.equal(await store.takeTokens([a]), 0, 'a still had its second token');
    assert.ok((await store.takeTokens([a])) > 0);
  });

  test('when the table is full, new keys share one overflow bucket and a throttled key keeps its state', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t, maxEntries: 10 });
    const rule = { burst: 1, perMinute: 1 };
    assert.equal(await store.takeTokens([{ key: 'victim', ...rule }]), 0);
    assert.ok((await store.takeTokens([{ key: 'victim', ...rule }])) > 0);
    const results: number[] = [];
    for (let i = 0; i < 100; i++) results.push(await store.takeTokens([{ key: `flood-${i}`, ...rule }]));
    assert.equal(
      results.filter((wait) => wait === 0).length,
      9 + 1,
      'nine own buckets, then one shared overflow token',
    );
    clock.t += 15_000;
    assert.ok((await store.takeTokens([{ key: 'victim', ...rule }])) > 0, 'still throttled after the sweep');
  });

  test('claimOnce: one winner per key until the ttl runs out', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t });
    assert.deepEqual([await store.claimOnce('k', 1000), await store.claimOnce('k', 1000)], [true, false]);
    clock.t += 1000;
    assert.equal(await store.claimOnce('k', 1000), true);
  });

  test('collectTurn: one turn per period; the recorded answer is shared', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t });
    assert.deepEqual(await store.collectTurn('o', 2000), { turn: true, last: null });
    await store.recordCollect('o', 'userSign', 60_000);
    assert.deepEqual(await store.collectTurn('o', 2000), { turn: false, last: 'userSign' });
    clock.t += 2000;
    assert.deepEqual(await store.collectTurn('o', 2000), { turn: true, last: 'userSign' });
  });
});

describe('cookie attributes', () => {
  test('the device cookie lives 400 days; the session cookie 10 minutes', async () => {
    const { browser } = setup();
    const answer = await browser.start();
    const cookies = new Map(answer.setCookies.map(parseSetCookie).map((c) => [c.name, c]));
    assert.equal(cookies.get('bankid-device')?.attributes.get('max-age'), String(400 * 24 * 3600));
    assert.equal(cookies.get('bankid-session')?.attributes.get('max-age'), '600');
  });
});

describe('found in review: replays, proxies, planted return cookies, half-done logins, late answers', () => {
  test('a replayed cancel reaches BankID once; the replays get 400 and spend nothing', async () => {
    const { browser, backend, bankid } = setup();
    const orderRef = await startedOrder(browser);
    const cookies = browser.cookieHeader();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const attacker = new Browser(backend, `2001:db8:${i.toString(16)}:1::1`);
      statuses.push((await attacker.post(`${API}/cancel`, { orderRef }, { headers: { Cookie: cookies } })).status);
    }
    assert.equal(bankid.count('cancel'), 1);
    assert.deepEqual([...new Set(statuses)], [200, 400]);
    assert.equal(statuses.filter((s) => s === 200).length, 1);
  });

  test("when starts have used up the fleet's BankID budget, a login in progress is still collected from BankID", async () => {
    const { browser, backend, bankid, advance } = setup({ rateLimits: { bankIdCalls: { burst: 3, perMinute: 1 } } });
    const orderRef = await startedOrder(browser);
    for (let i = 0; i < 5; i++) await new Browser(backend, `198.51.100.${i + 1}`).start();
    assert.equal((await new Browser(backend, '198.51.100.99').start()).status, 429, 'the budget is spent');
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData(),
    }));
    advance(2000);
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
  });

  test('collect and cancel from one IPv6 /48: 40 at once in all, whatever the /64', async () => {
    const { browser, backend } = setup();
    const orderRef = await startedOrder(browser);
    const cookies = browser.cookieHeader();
    const statuses: number[] = [];
    for (let i = 0; i < 42; i++) {
      const poller = new Browser(backend, `2001:db8:7:${i.toString(16)}::1`);
      statuses.push((await poller.post(`${API}/collect`, { orderRef }, { headers: { Cookie: cookies } })).status);
    }
    assert.equal(statuses.filter((s) => s === 200).length, 40);
    assert.equal(statuses.at(-1), 429);
  });

  test("deviceAddressCheck 'strict' also refuses a this-device completion it cannot compare (IPv6 browser, IPv4 app)", async () => {
    const { backend, bankid } = setup({ deviceAddressCheck: 'strict' });
    const v6 = new Browser(backend, '2001:db8::66');
    const orderRef = await startedOrder(v6, 'this-device');
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData({ device: { ipAddress: '203.0.113.50' } }),
    }));
    assert.deepEqual((await v6.collect(orderRef)).json, { orderRef, status: 'failed', hintCode: 'deviceMismatch' });
  });

  test('trustProxy {from}: X-Forwarded-For counts only when the socket is one of the proxies; a port in it is dropped', async () => {
    const { backend, bankid } = setup({ trustProxy: { from: ['10.0.0.0/8', 'fd00::/8'] } });
    const headers = { 'X-Forwarded-For': '192.0.2.10:5678' };
    await new Browser(backend, '10.1.2.3').post(`${API}/auth`, { flow: 'other-device' }, { headers });
    assert.equal(bankid.last('auth')['endUserIp'], '192.0.2.10', 'through the proxy');
    await new Browser(backend, '203.0.113.66').post(`${API}/auth`, { flow: 'other-device' }, { headers });
    assert.equal(bankid.last('auth')['endUserIp'], '203.0.113.66', 'around the proxy: the socket address');
    await new Browser(backend, 'fd00::5').post(
      `${API}/auth`,
      { flow: 'other-device' },
      {
        headers: { 'X-Forwarded-For': '[2001:db8::7]:443' },
      },
    );
    assert.equal(bankid.last('auth')['endUserIp'], '2001:db8::7');
    assert.throws(() => setup({ trustProxy: { from: ['10.0.0.0/33'] } }), /trustProxy\.from/);
  });

  test('verifyReturn on HTTPS believes only the __Host- session cookie, never a planted bare one', async () => {
    const { backend, bankid } = setup({ publicOrigin: 'https://shop.example' });
    const attacker = new Browser(backend, '127.0.0.1', 'https://shop.example');
    await attacker.start('this-device', { returnUrl: 'https://shop.example/login' });
    const returnUrl = bankid.last('auth')['returnUrl'] as string;
    const sid = attacker.jar.get('__Host-bankid-session');
    const back = (cookie: string) => backend.verifyReturn(new Request(returnUrl, { headers: { Cookie: cookie } }));
    assert.equal(back(`bankid-session=${sid}`), false, 'planted from a sibling domain or over HTTP');
    assert.equal(back(`__Host-bankid-session=${sid}`), true);
  });

  test('onComplete that throws after setting its login cookie: the cookie is not sent', async () => {
    const { browser, bankid } = setup({
      onComplete: (_completion, _request, reply) => {
        reply.headers.append('Set-Cookie', 'shop-session=LOGGED-IN; Path=/; HttpOnly');
        throw new Error('audit log unavailable');
      },
    });
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData(),
    }));
    const answer = await browser.collect(orderRef);
    assert.equal(answer.json['hintCode'], 'internalError');
    assert.ok(!answer.setCookies.some((line) => line.startsWith('shop-session')));
  });

  test('a slow pending answer that comes in after the end does not bring the order back', async () => {
    const store = createMemoryStore({ now: () => T0 });
    await store.recordCollect('o', '!ended', 60_000);
    await store.recordCollect('o', 'outstandingTransaction', 60_000);
    assert.equal((await store.collectTurn('o', 2000)).last, '!ended');
  });
});
