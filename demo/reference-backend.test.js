// demo/reference-backend.test.js — tests of the reference host backend (node:test).
// Run with `node --test demo/reference-backend.test.js`. BankID is a scripted fake `rp` object;
// time is injected (a hand-driven clock), so nothing sleeps. Each test uses a real node:http
// server on port 0 and fetch() with a tiny cookie jar, like a browser would.

import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createReferenceBackend,
  cookieKeyFromEnv,
  verifyReturnNonce,
  RETURN_NONCE_PARAM,
} from './reference-backend.js';

// BANKID-REFERENCE §5.1 test vector.
const QR_TOKEN = '67df3917-fa0d-44e5-b327-edcc928297f8';
const QR_SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';
const QR_CODES = [
  'dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
  '949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2',
  'a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3',
];
const qrAt = (t) => `bankid.${QR_TOKEN}.${t}.${QR_CODES[t]}`;

const T0 = 1_700_000_000_000;
const KEY = randomBytes(32);
const API = '/api/bankid';
const UA = `Mozilla/5.0 (TestBrowser) ${'x'.repeat(300)}`;
const PERSONAL_NUMBER = '199001011234';
const COMPLETION = {
  user: { personalNumber: PERSONAL_NUMBER, name: 'Test Testsson', givenName: 'Test', surname: 'Testsson' },
  device: { ipAddress: '127.0.0.1', uhi: 'abc' },
  bankIdIssueDate: '2024-01-15',
  signature: 'PHNpZz4=',
  ocspResponse: 'b2NzcA==',
  risk: 'low',
};

// ---------------------------------------------------------------------------------------------
// A fake BankID RP client: records calls, answers from per-method queues or sensible defaults.

/** Shaped like rp-client.js's RpError; the backend recognises it by its fields only. */
class FakeRpError extends Error {
  constructor(status, errorCode, retryAfterMs = null) {
    super(`BankID: HTTP ${status} ${errorCode}: SECRET-DETAILS ${PERSONAL_NUMBER}`);
    this.name = 'RpError';
    this.status = status;
    this.errorCode = errorCode;
    this.details = `SECRET-DETAILS for ${PERSONAL_NUMBER}`;
    this.retryAfterMs = retryAfterMs;
  }
}
class FakeRpNetworkError extends Error {
  constructor() {
    super('BankID collect: connect ECONNREFUSED');
    this.name = 'RpNetworkError';
    this.code = 'ECONNREFUSED';
  }
}

function fakeRp() {
  const calls = [];
  const queues = { auth: [], sign: [], collect: [], cancel: [] };
  const newOrder = () => ({
    orderRef: randomUUID(),
    autoStartToken: randomUUID(),
    qrStartToken: QR_TOKEN,
    qrStartSecret: QR_SECRET,
  });
  const defaults = {
    auth: newOrder,
    sign: newOrder,
    collect: (orderRef) => ({ orderRef, status: 'pending', hintCode: 'outstandingTransaction' }),
    cancel: () => ({}),
  };
  const rp = {};
  for (const method of Object.keys(queues)) {
    rp[method] = async (arg) => {
      calls.push({ method, arg });
      const next = queues[method].length > 0 ? queues[method].shift() : defaults[method];
      const value = typeof next === 'function' ? next(arg) : next;
      if (value instanceof Error) throw value;
      return value;
    };
  }
  return {
    rp,
    calls,
    /** Script the next answers of `method` (objects, errors, or functions of the argument). */
    queue: (method, ...answers) => queues[method].push(...answers),
    count: (method) => calls.filter((c) => c.method === method).length,
    last: (method) => calls.filter((c) => c.method === method).at(-1)?.arg,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers and a browser with a cookie jar

const servers = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A node:http server on port 0 serving the backend; unknown paths → 404 "not ours". */
async function serve(options) {
  const logs = [];
  const backend = createReferenceBackend({ log: (line) => logs.push(line), ...options });
  const server = createServer(async (req, res) => {
    if (!(await backend.handle(req, res))) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not ours');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${server.address().port}`, logs };
}

/** One backend, one fake BankID, one clock. */
async function setup(options = {}) {
  const clock = { t: T0 };
  const bankid = fakeRp();
  const server = await serve({ rp: bankid.rp, cookieKey: KEY, now: () => clock.t, ...options });
  return { clock, bankid, server, browser: new Browser(server.url), advance: (ms) => (clock.t += ms) };
}

function parseSetCookie(line) {
  const [pair, ...attrs] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map(
    attrs.map((a) => {
      const [k, ...v] = a.trim().split('=');
      return [k.toLowerCase(), v.join('=')];
    }),
  );
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, line };
}

class Browser {
  constructor(origin) {
    this.origin = origin; // where requests go; also the Origin header a real page would send
    this.jar = new Map();
  }

  cookieHeader(jar = this.jar) {
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** POST like the element does; Set-Cookie answers update the jar (Max-Age=0 deletes). */
  async post(path, body, { headers = {}, raw, jar = this.jar, origin = this.origin } = {}) {
    const cookie = this.cookieHeader(jar);
    const allHeaders = {
      'content-type': 'application/json',
      'user-agent': UA,
      origin: this.origin,
      'sec-fetch-site': 'same-origin',
      ...(cookie ? { cookie } : {}),
      ...headers,
    };
    // `undefined` means "do not send this header at all".
    for (const [k, v] of Object.entries(allHeaders)) if (v === undefined) delete allHeaders[k];
    const res = await fetch(origin + path, {
      method: 'POST',
      headers: allHeaders,
      body: raw ?? JSON.stringify(body),
    });
    const setCookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of setCookies) {
      if (c.attributes.get('max-age') === '0') this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json, setCookies };
  }

  start(flow = 'other-device', operation = 'auth', extra = {}) {
    return this.post(`${API}/${operation}`, { flow, ...extra });
  }
  collect(orderRef, options) {
    return this.post(`${API}/collect`, { orderRef }, options);
  }
  cancel(orderRef, options) {
    return this.post(`${API}/cancel`, { orderRef }, options);
  }
}

const orderCookieName = (orderRef) =>
  `bid_o_${createHash('sha256').update(orderRef).digest('hex').slice(0, 10)}`;
const cookieNamed = (res, name) => res.setCookies.find((c) => c.name === name);

/** Every form in which a secret could leak: clear, base64, base64url, hex. */
function readableForms(secret) {
  const b = Buffer.from(secret);
  return [secret, b.toString('base64'), b.toString('base64url'), b.toString('hex')];
}
function assertNoSecrets(text, label) {
  for (const secret of [QR_SECRET, QR_TOKEN]) {
    for (const form of readableForms(secret)) {
      assert.ok(!text.includes(form), `${label} must not contain ${secret} (as ${form})`);
    }
  }
}

function assertJsonHeaders(res) {
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

// ---------------------------------------------------------------------------------------------

describe('start (auth/sign)', () => {
  test('other-device: {orderRef, qr} with the t=0 QR code (no autoStartToken), and the cookies', async () => {
    const { browser, bankid } = await setup();
    const res = await browser.start('other-device');
    assert.equal(res.status, 200);
    assertJsonHeaders(res);
    assert.deepEqual(Object.keys(res.json).sort(), ['orderRef', 'qr'], 'the token is only for this-device');
    assert.equal(res.json.qr, qrAt(0));
    assert.equal(bankid.count('auth'), 1);

    const session = cookieNamed(res, 'bid_session');
    assert.match(session.value, /^[A-Za-z0-9_-]{22}$/); // 128 random bits
    assert.equal(session.attributes.get('path'), API);
    assert.equal(session.attributes.get('samesite'), 'Strict');
    assert.ok(session.attributes.has('httponly'));

    const device = cookieNamed(res, 'bid_device');
    assert.match(device.value, /^[A-Za-z0-9_-]{16,64}$/);
    assert.notEqual(device.value, session.value);
    assert.equal(device.attributes.get('path'), '/');
    assert.equal(device.attributes.get('samesite'), 'Lax');
    assert.equal(device.attributes.get('max-age'), String(2 * 365 * 24 * 3600));
    assert.ok(device.attributes.has('httponly'));

    const order = cookieNamed(res, orderCookieName(res.json.orderRef));
    assert.ok(order, 'the order cookie is named bid_o_<10 hex of SHA-256(orderRef)>');
    assert.equal(order.attributes.get('path'), API);
    assert.equal(order.attributes.get('samesite'), 'Strict');
    assert.equal(order.attributes.get('max-age'), '600');
    assert.ok(order.attributes.has('httponly'));
    assert.ok(!order.attributes.has('secure'), 'plain HTTP: not Secure (secureCookies: auto)');
    assert.ok(order.line.length < 4096);
  });

  test('this-device: no qr; sign works the same way', async () => {
    const { browser, bankid } = await setup();
    const auth = await browser.start('this-device');
    assert.equal(auth.status, 200);
    assert.deepEqual(Object.keys(auth.json).sort(), ['autoStartToken', 'orderRef']);
    const sign = await browser.start('this-device', 'sign');
    assert.equal(sign.status, 200);
    assert.deepEqual(Object.keys(sign.json).sort(), ['autoStartToken', 'orderRef']);
    assert.deepEqual(bankid.calls.map((c) => c.method), ['auth', 'sign']);
  });

  test('qrStartSecret and qrStartToken never reach the browser in any readable form', async () => {
    const { browser, advance } = await setup();
    const answers = [await browser.start('other-device'), await browser.start('this-device', 'sign')];
    advance(1000);
    answers.push(await browser.collect(answers[0].json.orderRef));
    for (const res of answers) {
      assert.ok(!/qrStart(Token|Secret)/i.test(res.text), 'no qrStartToken/qrStartSecret fields');
      assert.ok(!JSON.stringify(res.json).includes(QR_SECRET));
      // The token is public by design, but only inside the finished QR payload.
      const { qr, ...rest } = res.json;
      assert.ok(qr === undefined || qr.startsWith(`bankid.${QR_TOKEN}.`));
      assertNoSecrets(JSON.stringify(rest), 'the body besides qr');
      for (const c of res.setCookies) {
        assertNoSecrets(c.line, `Set-Cookie ${c.name}`);
        // Not hidden in an encoding either: decode the value and search the bytes.
        assertNoSecrets(Buffer.from(c.value, 'base64url').toString('latin1'), `decoded ${c.name}`);
      }
    }
  });

  test('the request to BankID: endUserIp, returnRisk, web data, userVisibleData', async () => {
    const { browser, bankid } = await setup();
    await browser.start('this-device');
    const first = bankid.last('auth');
    assert.equal(first.endUserIp, '127.0.0.1'); // ::ffff: stripped
    assert.equal(first.returnRisk, true);
    assert.equal(first.web.referringDomain, '127.0.0.1'); // host of the Origin, no port
    assert.equal(first.web.userAgent, UA.slice(0, 256));
    assert.equal(first.web.userAgent.length, 256);
    assert.equal(first.web.deviceIdentifier, browser.jar.get('bid_device'));
    assert.notEqual(first.web.deviceIdentifier, browser.jar.get('bid_session'));
    assert.equal(Buffer.from(first.userVisibleData, 'base64').toString('utf8'), 'Logga in på Exempelbanken');
    assert.ok(!('returnUrl' in first), 'no returnUrl unless the element sends one');

    await browser.start('other-device', 'sign');
    const second = bankid.last('sign');
    assert.equal(second.web.deviceIdentifier, first.web.deviceIdentifier, 'stable across orders');
    assert.equal(
      Buffer.from(second.userVisibleData, 'base64').toString('utf8'),
      'Jag godkänner villkoren för Exempelbanken.',
    );
  });

  test('without an Origin header, referringDomain comes from Host (without port)', async () => {
    const { browser, bankid } = await setup();
    const noOrigin = await browser.post(`${API}/auth`, { flow: 'this-device' }, { headers: { origin: undefined } });
    assert.equal(noOrigin.status, 200);
    assert.equal(bankid.last('auth').web.referringDomain, '127.0.0.1');
  });

  test('trustProxy: endUserIp from the rightmost X-Forwarded-For entry (or n hops from the right)', async () => {
    // The client sent "198.51.100.66" itself; the one trusted proxy appended the address it saw.
    const proxied = await setup({ trustProxy: true });
    const headers = {
      'x-forwarded-for': '198.51.100.66, 203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example:8443',
      origin: 'https://shop.example:8443',
    };
    const res = await proxied.browser.post(`${API}/auth`, { flow: 'this-device' }, { headers });
    assert.equal(res.status, 200);
    assert.equal(proxied.bankid.last('auth').endUserIp, '203.0.113.7', 'not the client-chosen first entry');
    assert.equal(proxied.bankid.last('auth').web.referringDomain, 'shop.example');

    // Two trusted proxies (a CDN, then a load balancer): the second entry from the right.
    const twoHops = await setup({ trustProxy: 2 });
    const viaCdn = { ...headers, 'x-forwarded-for': '198.51.100.66, 203.0.113.7, 10.0.0.1' };
    assert.equal((await twoHops.browser.post(`${API}/auth`, { flow: 'this-device' }, { headers: viaCdn })).status, 200);
    assert.equal(twoHops.bankid.last('auth').endUserIp, '203.0.113.7');
    assert.throws(() => createReferenceBackend({ rp: fakeRp().rp, cookieKey: KEY, trustProxy: -1 }), /trustProxy/);

    // Without trustProxy the headers are the client's word and are ignored.
    const direct = await setup();
    const res2 = await direct.browser.post(`${API}/auth`, { flow: 'this-device' }, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(res2.status, 200);
    assert.equal(direct.bankid.last('auth').endUserIp, '127.0.0.1');
  });

  test('secureCookies marks every cookie Secure', async () => {
    const { browser } = await setup({ secureCookies: true });
    const res = await browser.start();
    assert.equal(res.setCookies.length, 3);
    for (const c of res.setCookies) assert.ok(c.attributes.has('secure'), c.name);
  });

  test("secureCookies 'auto' (default): Secure when the request came over HTTPS (X-Forwarded-Proto with trustProxy)", async () => {
    const viaHttps = { headers: { 'x-forwarded-proto': 'https', origin: undefined } };
    const proxied = await setup({ trustProxy: true });
    const secure = await proxied.browser.post(`${API}/auth`, { flow: 'other-device' }, viaHttps);
    assert.equal(secure.status, 200);
    assert.equal(secure.setCookies.length, 3);
    for (const c of secure.setCookies) assert.ok(c.attributes.has('secure'), c.name);

    // Without trustProxy the header is the client's word; secureCookies: false means never.
    for (const options of [{}, { trustProxy: true, secureCookies: false }]) {
      const { browser } = await setup(options);
      const res = await browser.post(`${API}/auth`, { flow: 'other-device' }, viaHttps);
      assert.equal(res.status, 200);
      for (const c of res.setCookies) assert.ok(!c.attributes.has('secure'), `${JSON.stringify(options)} ${c.name}`);
    }
  });

  test('a malformed BankID answer (no qrStartSecret) → 503 bankidUnavailable, no cookie', async () => {
    const { browser, bankid, server } = await setup();
    bankid.queue('auth', { orderRef: randomUUID(), autoStartToken: randomUUID(), qrStartToken: QR_TOKEN });
    const res = await browser.start();
    assert.equal(res.status, 503);
    assert.equal(res.json.errorCode, 'bankidUnavailable');
    assert.equal(res.setCookies.length, 0);
    assert.equal(server.logs.length, 1);
  });
});

describe('returnUrl', () => {
  test('same origin: passed to BankID with a session nonce that verifyReturnNonce accepts', async () => {
    const { browser, bankid } = await setup();
    const returnUrl = `${browser.origin}/login/done?step=2#top`;
    const res = await browser.start('this-device', 'auth', { returnUrl });
    assert.equal(res.status, 200);
    const sent = new URL(bankid.last('auth').returnUrl);
    assert.equal(sent.origin, browser.origin);
    assert.equal(sent.pathname, '/login/done');
    assert.equal(sent.searchParams.get('step'), '2');
    assert.equal(sent.hash, '#top');
    const nonce = sent.searchParams.get(RETURN_NONCE_PARAM);
    assert.ok(nonce.length >= 16);
    assert.ok(!nonce.includes(browser.jar.get('bid_session')), 'the nonce does not reveal the session id');

    const sessionId = browser.jar.get('bid_session');
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId, url: sent.href }), true);
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId, url: `${sent.pathname}${sent.search}` }), true);
    // Another session, another key, a missing or altered nonce: all refused.
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId: 'A'.repeat(22), url: sent.href }), false);
    assert.equal(verifyReturnNonce({ cookieKey: randomBytes(32), sessionId, url: sent.href }), false);
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId, url: '/login/done' }), false);
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId: undefined, url: sent.href }), false);
    const altered = new URL(sent);
    altered.searchParams.set(RETURN_NONCE_PARAM, `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`);
    assert.equal(verifyReturnNonce({ cookieKey: KEY, sessionId, url: altered.href }), false);
  });

  test('another origin, or not a URL → 400 invalidParameters, BankID not called', async () => {
    const { browser, bankid } = await setup();
    for (const returnUrl of ['https://evil.example/steal', 'http://127.0.0.1:1/other-port', '/relative', 'javascript:alert(1)', 42]) {
      const res = await browser.start('this-device', 'auth', { returnUrl });
      assert.equal(res.status, 400, String(returnUrl));
      assert.equal(res.json.errorCode, 'invalidParameters');
    }
    assert.equal(bankid.count('auth'), 0);
  });

  test('an other-device order does not pass a returnUrl on (it would open on the phone)', async () => {
    const { browser, bankid } = await setup();
    const res = await browser.start('other-device', 'auth', { returnUrl: `${browser.origin}/done` });
    assert.equal(res.status, 200);
    assert.ok(!('returnUrl' in bankid.last('auth')));
  });
});

describe('collect', () => {
  test('the animated QR follows the §5.1 test vector as time passes (qrTime 0, 1, 2)', async () => {
    const { browser, bankid, advance } = await setup();
    const start = await browser.start('other-device');
    assert.equal(start.json.qr, qrAt(0));
    advance(1000);
    const c1 = await browser.collect(start.json.orderRef);
    assert.deepEqual(c1.json, {
      orderRef: start.json.orderRef,
      status: 'pending',
      hintCode: 'outstandingTransaction',
      qr: qrAt(1),
    });
    advance(1500); // 2.5 s after the start: qrTime is whole seconds, rounded down
    const c2 = await browser.collect(start.json.orderRef);
    assert.equal(c2.json.qr, qrAt(2));
    assert.equal(bankid.last('collect'), start.json.orderRef);
  });

  test('BankID is asked at most every 2 s; in between the answer comes from the cookie, with a newer QR', async () => {
    const { browser, bankid, advance } = await setup();
    const { json } = await browser.start('other-device');
    advance(1000);
    const first = await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 1);
    assert.ok(cookieNamed(first, orderCookieName(json.orderRef)), 'the cookie remembers the last collect');

    advance(1000);
    const cached = await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 1, 'answered from the cookie');
    assert.equal(cached.json.status, 'pending');
    assert.equal(cached.json.hintCode, 'outstandingTransaction');
    assert.equal(cached.json.qr, qrAt(2));
    assert.notEqual(cached.json.qr, first.json.qr);
    assert.equal(cached.setCookies.length, 0, 'nothing to update');

    advance(1000); // 2 s after the last real collect
    bankid.queue('collect', { orderRef: json.orderRef, status: 'pending', hintCode: 'userSign' });
    const fresh = await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 2);
    assert.deepEqual(fresh.json, { orderRef: json.orderRef, status: 'pending', hintCode: 'userSign' });

    advance(500);
    const cachedSign = await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 2);
    assert.deepEqual(cachedSign.json, fresh.json, 'no QR once the code is scanned');
  });

  test('collectEveryMs is configurable', async () => {
    const { browser, bankid, advance } = await setup({ collectEveryMs: 500 });
    const { json } = await browser.start('this-device');
    await browser.collect(json.orderRef);
    advance(499);
    await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 1);
    advance(1);
    await browser.collect(json.orderRef);
    assert.equal(bankid.count('collect'), 2);
  });

  test('this-device pending answers carry no qr', async () => {
    const { browser } = await setup();
    const { json } = await browser.start('this-device');
    const res = await browser.collect(json.orderRef);
    assert.deepEqual(res.json, { orderRef: json.orderRef, status: 'pending', hintCode: 'outstandingTransaction' });
  });

  test('complete: {orderRef, status} only (completionData stays on the server), the cookie deleted, the next collect → 400', async () => {
    const { browser, bankid, advance } = await setup();
    const { json } = await browser.start('other-device');
    const name = orderCookieName(json.orderRef);
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    const done = await browser.collect(json.orderRef);
    assert.equal(done.status, 200);
    assert.deepEqual(done.json, { orderRef: json.orderRef, status: 'complete' });
    assert.ok(!done.text.includes(PERSONAL_NUMBER));
    assert.equal(cookieNamed(done, name).attributes.get('max-age'), '0');
    assert.ok(!browser.jar.has(name));

    advance(3000);
    const again = await browser.collect(json.orderRef);
    assert.equal(again.status, 400);
    assert.deepEqual(again.json, { errorCode: 'invalidParameters', details: 'No such order' });
    assert.equal(bankid.count('collect'), 1);
  });

  test('failed: {status, hintCode}, the cookie deleted', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    bankid.queue('collect', { orderRef: json.orderRef, status: 'failed', hintCode: 'startFailed' });
    const res = await browser.collect(json.orderRef);
    assert.deepEqual(res.json, { orderRef: json.orderRef, status: 'failed', hintCode: 'startFailed' });
    assert.equal(cookieNamed(res, orderCookieName(json.orderRef)).attributes.get('max-age'), '0');
    assert.equal((await browser.collect(json.orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 1);
  });

  test('onComplete: the host logs the user in; its answer replaces completionData', async () => {
    const seen = [];
    const { browser, bankid } = await setup({
      onComplete: ({ completionData, orderRef, operation, flow, startIp, clientIp, deviceIpMatches, req, res }) => {
        seen.push({ completionData, orderRef, operation, flow, startIp, clientIp, deviceIpMatches, hasReq: !!req.headers, hasRes: typeof res.setHeader });
        res.setHeader('Set-Cookie', 'host_login=1; Path=/; HttpOnly');
        return { redirectTo: '/account', status: 'ignored' };
      },
    });
    const { json } = await browser.start('this-device', 'sign');
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    const res = await browser.collect(json.orderRef);
    assert.deepEqual(res.json, { redirectTo: '/account', orderRef: json.orderRef, status: 'complete' });
    assert.ok(!res.text.includes(PERSONAL_NUMBER));
    assert.deepEqual(seen, [
      {
        completionData: COMPLETION,
        orderRef: json.orderRef,
        operation: 'sign',
        flow: 'this-device',
        startIp: '127.0.0.1',
        clientIp: '127.0.0.1',
        deviceIpMatches: true,
        hasReq: true,
        hasRes: 'function',
      },
    ]);
    assert.equal(browser.jar.get('host_login'), '1', "the host's own cookie is kept");
    assert.ok(!browser.jar.has(orderCookieName(json.orderRef)));
  });

  test('onComplete throws → 500, and the order cookie stays so a retry can finish', async () => {
    let fail = true;
    const { browser, bankid, server } = await setup({
      onComplete: () => {
        if (fail) throw new Error('database down');
        return {};
      },
    });
    const { json } = await browser.start('this-device');
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    const res = await browser.collect(json.orderRef);
    assert.equal(res.status, 500);
    assert.equal(res.json.errorCode, 'internalError');
    assert.ok(browser.jar.has(orderCookieName(json.orderRef)));
    assert.match(server.logs[0], /internal error: database down/);

    fail = false;
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    const retry = await browser.collect(json.orderRef);
    assert.deepEqual(retry.json, { orderRef: json.orderRef, status: 'complete' });
  });

  test('an order cookie older than 10 minutes is refused even if the browser still sends it', async () => {
    const { browser, bankid, advance } = await setup();
    const { json } = await browser.start('this-device');
    advance(10 * 60 * 1000);
    const res = await browser.collect(json.orderRef);
    assert.equal(res.status, 400);
    assert.equal(bankid.count('collect'), 0);
  });
});

describe('orders belong to the browser session that started them', () => {
  test('another browser (no cookies) cannot collect or cancel the orderRef; BankID not called', async () => {
    const { browser, bankid, server } = await setup();
    const { json } = await browser.start('other-device');
    const stranger = new Browser(server.url);
    for (const res of [await stranger.collect(json.orderRef), await stranger.cancel(json.orderRef)]) {
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, { errorCode: 'invalidParameters', details: 'No such order' });
    }
    assert.equal(bankid.count('collect'), 0);
    assert.equal(bankid.count('cancel'), 0);
  });

  test("a stolen order cookie is useless with another session's cookie", async () => {
    const { browser, bankid, server } = await setup();
    const victim = await browser.start('other-device');
    const name = orderCookieName(victim.json.orderRef);
    const attacker = new Browser(server.url);
    await attacker.start('other-device'); // a valid session of its own
    attacker.jar.set(name, browser.jar.get(name));
    assert.equal((await attacker.collect(victim.json.orderRef)).status, 400);
    assert.equal((await attacker.cancel(victim.json.orderRef)).status, 400);
    attacker.jar.delete('bid_session');
    assert.equal((await attacker.collect(victim.json.orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 0);
    assert.equal(bankid.count('cancel'), 0);
  });

  test('a tampered cookie (one flipped bit) → 400', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    const name = orderCookieName(json.orderRef);
    const bytes = Buffer.from(browser.jar.get(name), 'base64url');
    for (const at of [0, 20, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[at] ^= 1;
      browser.jar.set(name, copy.toString('base64url'));
      const res = await browser.collect(json.orderRef);
      assert.equal(res.status, 400, `byte ${at}`);
      assert.equal(res.json.details, 'No such order');
    }
    browser.jar.set(name, 'garbage');
    assert.equal((await browser.collect(json.orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 0);
  });

  test("a cookie value copied under another order's name → 400", async () => {
    const { browser, bankid } = await setup();
    const a = await browser.start('other-device');
    const b = await browser.start('other-device');
    const nameA = orderCookieName(a.json.orderRef);
    const nameB = orderCookieName(b.json.orderRef);
    browser.jar.set(nameB, browser.jar.get(nameA));
    assert.equal((await browser.collect(b.json.orderRef)).status, 400);
    assert.equal((await browser.cancel(b.json.orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 0);
    assert.equal(bankid.count('cancel'), 0);
  });

  test('the session id rotates on every new order; older live orders move to the new id', async () => {
    const { browser, bankid } = await setup();
    const a = await browser.start('other-device');
    const sessionA = browser.jar.get('bid_session');
    const snapshot = new Map(browser.jar); // what a request sent before order B's answer carried
    const b = await browser.start('other-device');
    const sessionB = browser.jar.get('bid_session');
    assert.notEqual(sessionA, sessionB);
    assert.ok(cookieNamed(b, orderCookieName(a.json.orderRef)), 'order A re-sealed for the new session');

    // With the current cookies both orders work.
    assert.equal((await browser.collect(a.json.orderRef)).status, 200);
    assert.equal((await browser.collect(b.json.orderRef)).status, 200);
    // The old session id opens nothing of the new order.
    const old = new Browser(browser.origin);
    old.jar = new Map(snapshot);
    old.jar.set(orderCookieName(b.json.orderRef), browser.jar.get(orderCookieName(b.json.orderRef)));
    assert.equal((await old.collect(b.json.orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 2);
  });

  test('two orders at once: two cookies; cancelling the old one leaves the new one intact', async () => {
    const { browser, bankid } = await setup();
    const a = await browser.start('other-device');
    const snapshot = new Map(browser.jar);
    const b = await browser.start('this-device');
    const nameA = orderCookieName(a.json.orderRef);
    const nameB = orderCookieName(b.json.orderRef);
    assert.ok(browser.jar.has(nameA) && browser.jar.has(nameB));

    // A late cancel for A, sent with the cookies from before B existed, answered after B started.
    const cancelA = await browser.cancel(a.json.orderRef, { jar: snapshot });
    assert.equal(cancelA.status, 200);
    assert.deepEqual(cancelA.json, {});
    assert.equal(bankid.last('cancel'), a.json.orderRef);
    assert.deepEqual(cancelA.setCookies.map((c) => [c.name, c.attributes.get('max-age')]), [[nameA, '0']]);
    assert.ok(!browser.jar.has(nameA));
    assert.ok(browser.jar.has(nameB));

    const collectB = await browser.collect(b.json.orderRef);
    assert.equal(collectB.status, 200);
    assert.equal(collectB.json.status, 'pending');
    assert.equal((await browser.collect(a.json.orderRef)).status, 400);
  });

  test('cancel with the current cookies works for an older order too', async () => {
    const { browser, bankid } = await setup();
    const a = await browser.start('other-device');
    const b = await browser.start('other-device');
    const res = await browser.cancel(a.json.orderRef);
    assert.equal(res.status, 200);
    assert.equal(bankid.last('cancel'), a.json.orderRef);
    assert.equal((await browser.collect(b.json.orderRef)).status, 200);
  });

  test('stale cookies do not pile up: at most 5 live orders per browser, unreadable ones dropped', async () => {
    const { browser, advance } = await setup({ rateLimit: false }); // 7 starts in 7 s
    browser.jar.set('bid_o_0123456789', 'not-a-real-order-cookie-value-aaaaaaaaaaaaaaaaaaaaaaa');
    const refs = [];
    for (let i = 0; i < 7; i++) {
      refs.push((await browser.start('other-device')).json.orderRef);
      advance(1000);
    }
    const orderCookies = [...browser.jar.keys()].filter((k) => k.startsWith('bid_o_'));
    assert.equal(orderCookies.length, 5);
    assert.deepEqual(orderCookies.sort(), refs.slice(2).map(orderCookieName).sort());
  });

  test('two backend instances with the same key serve the same login (no shared store)', async () => {
    const clock = { t: T0 };
    const bankid = fakeRp(); // the one BankID both talk to
    const one = await serve({ rp: bankid.rp, cookieKey: KEY, now: () => clock.t });
    const two = await serve({ rp: bankid.rp, cookieKey: Buffer.from(KEY), now: () => clock.t });
    const other = await serve({ rp: bankid.rp, cookieKey: randomBytes(32), now: () => clock.t });
    const browser = new Browser(one.url);

    const start = await browser.start('other-device');
    assert.equal(start.status, 200);
    clock.t += 1000;
    // No Origin header: the test servers listen on different ports, a load balancer would not.
    const noOrigin = { headers: { origin: undefined }, origin: two.url };
    const c1 = await browser.collect(start.json.orderRef, noOrigin);
    assert.equal(c1.status, 200);
    assert.equal(c1.json.qr, qrAt(1));
    clock.t += 1000;
    const c2 = await browser.collect(start.json.orderRef, { headers: { origin: undefined } }); // back on one
    assert.equal(c2.json.qr, qrAt(2));
    assert.equal(bankid.count('collect'), 1, 'instance one used the cache instance two wrote');

    bankid.queue('collect', { orderRef: start.json.orderRef, status: 'complete', completionData: COMPLETION });
    clock.t += 2000;
    const refused = await browser.collect(start.json.orderRef, { headers: { origin: undefined }, origin: other.url });
    assert.equal(refused.status, 400, 'an instance with another key reads nothing');
    const done = await browser.collect(start.json.orderRef, noOrigin);
    assert.equal(done.json.status, 'complete');
  });
});

describe('cancel', () => {
  test("answers {}, calls BankID and deletes that order's cookie", async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    const res = await browser.cancel(json.orderRef);
    assert.equal(res.status, 200);
    assertJsonHeaders(res);
    assert.deepEqual(res.json, {});
    assert.deepEqual(bankid.calls.at(-1), { method: 'cancel', arg: json.orderRef });
    assert.equal(cookieNamed(res, orderCookieName(json.orderRef)).attributes.get('max-age'), '0');
    assert.equal((await browser.collect(json.orderRef)).status, 400);
  });

  test("BankID's invalidParameters (already gone) is ignored", async () => {
    const { browser, bankid, server } = await setup();
    const { json } = await browser.start('other-device');
    bankid.queue('cancel', new FakeRpError(400, 'invalidParameters'));
    const res = await browser.cancel(json.orderRef);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {});
    assert.ok(!browser.jar.has(orderCookieName(json.orderRef)));
    assert.equal(server.logs.length, 0);
  });

  test('other BankID errors are passed on, and the cookie stays', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    bankid.queue('cancel', new FakeRpError(503, 'maintenance'));
    const res = await browser.cancel(json.orderRef);
    assert.equal(res.status, 503);
    assert.equal(res.json.errorCode, 'maintenance');
    assert.ok(browser.jar.has(orderCookieName(json.orderRef)));
  });
});

describe('request checks', () => {
  test('an Origin other than our own → 403 forbidden, BankID not called', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1', 'http://localhost']) {
      for (const path of ['auth', 'collect', 'cancel']) {
        const res = await browser.post(`${API}/${path}`, { flow: 'other-device', orderRef: json.orderRef }, { headers: { origin } });
        assert.equal(res.status, 403, `${origin} ${path}`);
        assert.equal(res.json.errorCode, 'forbidden');
        assertJsonHeaders(res);
      }
    }
    assert.equal(bankid.calls.length, 1);
  });

  test('Sec-Fetch-Site must be same-origin (or none)', async () => {
    const { browser, bankid } = await setup();
    for (const site of ['cross-site', 'same-site']) {
      const res = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'sec-fetch-site': site } });
      assert.equal(res.status, 403, site);
    }
    assert.equal(bankid.count('auth'), 0);
    const none = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'sec-fetch-site': 'none' } });
    assert.equal(none.status, 200);
  });

  test('only application/json: form and text types → 415', async () => {
    const { browser, bankid } = await setup();
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'content-type': type } });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.errorCode, 'unsupportedMediaType');
      assertJsonHeaders(res);
    }
    assert.equal(bankid.count('auth'), 0);
    const ok = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
    assert.equal(ok.status, 200);
  });

  test('anything but POST → 405 with Allow: POST', async () => {
    const { server } = await setup();
    for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetch(`${server.url}${API}/collect`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal((await res.json()).errorCode, 'methodNotAllowed');
    }
  });

  test('a body over 4 KB → 413 (declared or streamed)', async () => {
    const { browser, bankid, server } = await setup();
    const big = JSON.stringify({ flow: 'other-device', pad: 'x'.repeat(5000) });
    const res = await browser.post(`${API}/auth`, null, { raw: big });
    assert.equal(res.status, 413);
    assert.equal(res.json.errorCode, 'invalidParameters');

    // Chunked, with no Content-Length: the limit applies while reading.
    const chunk = new TextEncoder().encode(' '.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(`${server.url}${API}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    assert.equal(streamed.status, 413);
    assert.equal(bankid.count('auth'), 0);
  });

  test('bad bodies → 400 invalidParameters', async () => {
    const { browser, bankid } = await setup();
    const cases = [
      ['auth', '{not json'],
      ['auth', '[]'],
      ['auth', 'null'],
      ['auth', ''],
      ['auth', JSON.stringify({})],
      ['auth', JSON.stringify({ flow: 'qr' })],
      ['sign', JSON.stringify({ flow: 'this-device', returnUrl: null })],
      ['collect', JSON.stringify({})],
      ['collect', JSON.stringify({ orderRef: 42 })],
      ['collect', JSON.stringify({ orderRef: '' })],
      ['collect', JSON.stringify({ orderRef: 'x'.repeat(129) })],
      ['cancel', JSON.stringify({ orderRef: ['a'] })],
    ];
    for (const [path, raw] of cases) {
      const res = await browser.post(`${API}/${path}`, null, { raw });
      assert.equal(res.status, 400, `${path} ${raw}`);
      assert.equal(res.json.errorCode, 'invalidParameters');
      assert.equal(typeof res.json.details, 'string');
    }
    assert.equal(bankid.calls.length, 0);
  });

  test('paths that are not ours are left to the host', async () => {
    const { server, browser } = await setup({ basePath: '/bankid/' });
    const ours = await browser.post('/bankid/auth', { flow: 'other-device' });
    assert.equal(ours.status, 200);
    assert.equal(cookieNamed(ours, 'bid_session').attributes.get('path'), '/bankid');
    for (const path of ['/', '/api/bankid/auth', '/bankid', '/bankid/', '/bankid/status', '/bankid/auth/x']) {
      const res = await fetch(server.url + path, { method: 'POST' });
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), 'not ours');
    }
    const withQuery = await fetch(`${server.url}/bankid/auth?x=1`, { method: 'GET' });
    assert.equal(withQuery.status, 405);
  });
});

describe('BankID errors → the element', () => {
  const cases = [
    [new FakeRpError(400, 'alreadyInProgress'), 400, 'alreadyInProgress'],
    [new FakeRpError(400, 'invalidParameters'), 400, 'invalidParameters'],
    [new FakeRpError(429, 'tooManyRequests', 3200), 429, 'tooManyRequests', '4'],
    [new FakeRpError(429, 'tooManyRequests'), 429, 'tooManyRequests', '2'],
    [new FakeRpError(500, 'internalError'), 500, 'internalError'],
    [new FakeRpError(503, 'maintenance'), 503, 'maintenance'],
    [new FakeRpError(408, 'requestTimeout'), 503, 'requestTimeout'],
    [new FakeRpError(401, 'unauthorized'), 500, 'internalError'],
    [new FakeRpError(403, 'unauthorized'), 500, 'internalError'],
    [new FakeRpError(404, 'notFound'), 500, 'internalError'],
    [new FakeRpError(415, 'unsupportedMediaType'), 500, 'internalError'],
    [new FakeRpError(502, null), 503, 'bankidUnavailable'],
    [new FakeRpNetworkError(), 503, 'bankidUnavailable'],
  ];
  for (const [error, status, errorCode, retryAfter] of cases) {
    test(`start: ${error.name} ${error.status ?? ''} ${error.errorCode ?? ''} → ${status} ${errorCode}`, async () => {
      const { browser, bankid, server } = await setup();
      bankid.queue('auth', error);
      const res = await browser.start('other-device');
      assert.equal(res.status, status);
      assertJsonHeaders(res);
      assert.equal(res.json.errorCode, errorCode);
      assert.equal(res.headers.get('retry-after'), retryAfter ?? null);
      assert.ok(!res.text.includes('SECRET-DETAILS') && !res.text.includes(PERSONAL_NUMBER), 'details not echoed');
      assert.equal(res.setCookies.length, 0, 'no session, no order');
      assert.equal(server.logs.length, 1, 'one log line');
      assert.ok(!server.logs[0].includes('SECRET-DETAILS') && !server.logs[0].includes(PERSONAL_NUMBER));
      if (status === 500) assert.match(server.logs[0], /configuration|internalError/);
    });
  }

  test('collect: maintenance → 503 and the order lives on; invalidParameters → 400 and the order is forgotten', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('other-device');
    const name = orderCookieName(json.orderRef);
    bankid.queue('collect', new FakeRpError(503, 'maintenance'));
    const down = await browser.collect(json.orderRef);
    assert.equal(down.status, 503);
    assert.equal(down.json.errorCode, 'maintenance');
    assert.ok(browser.jar.has(name));

    bankid.queue('collect', new FakeRpNetworkError());
    assert.equal((await browser.collect(json.orderRef)).json.errorCode, 'bankidUnavailable');

    bankid.queue('collect', new FakeRpError(400, 'invalidParameters'));
    const gone = await browser.collect(json.orderRef);
    assert.equal(gone.status, 400);
    assert.equal(gone.json.errorCode, 'invalidParameters');
    assert.ok(!browser.jar.has(name));
  });

  test('collect: an answer with an unknown status → 503, nothing crashes', async () => {
    const { browser, bankid } = await setup();
    const { json } = await browser.start('this-device');
    bankid.queue('collect', { orderRef: json.orderRef, status: 'weird' });
    const res = await browser.collect(json.orderRef);
    assert.equal(res.status, 503);
    assert.equal(res.json.errorCode, 'bankidUnavailable');
  });
});

describe('completion: the device, replays, what the browser gets', () => {
  /** What BankID says when the user's app is at another address than the browser (`ip`). */
  const completedAt = (orderRef, ip) => ({
    orderRef,
    status: 'complete',
    completionData: { ...COMPLETION, device: { ...COMPLETION.device, ipAddress: ip } },
  });

  test("deviceIpPolicy 'reject': a this-device order completed by an app at another IP fails deviceMismatch", async () => {
    const calls = [];
    const { browser, bankid, server } = await setup({ deviceIpPolicy: 'reject', onComplete: (info) => calls.push(info) });
    const { json } = await browser.start('this-device');
    bankid.queue('collect', completedAt(json.orderRef, '198.51.100.23')); // the victim's phone
    const res = await browser.collect(json.orderRef);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { orderRef: json.orderRef, status: 'failed', hintCode: 'deviceMismatch' });
    assert.ok(!res.text.includes(PERSONAL_NUMBER));
    assert.equal(calls.length, 0, 'onComplete is not called');
    assert.ok(!browser.jar.has(orderCookieName(json.orderRef)), 'the order cookie is gone');
    assert.equal(server.logs.length, 1);
    assert.match(server.logs[0], /deviceMismatch/);
    assert.ok(!server.logs[0].includes(PERSONAL_NUMBER));

    // The same device (another spelling of the start IP) and other-device orders complete.
    const same = await browser.start('this-device');
    bankid.queue('collect', completedAt(same.json.orderRef, '::ffff:127.0.0.1'));
    assert.equal((await browser.collect(same.json.orderRef)).json.status, 'complete');
    const qr = await browser.start('other-device');
    bankid.queue('collect', completedAt(qr.json.orderRef, '198.51.100.23'));
    assert.equal((await browser.collect(qr.json.orderRef)).json.status, 'complete', 'a scanned QR is on another device');
    assert.deepEqual(calls.map((c) => [c.flow, c.deviceIpMatches]), [['this-device', true], ['other-device', false]]);
  });

  test("deviceIpPolicy 'flag' (default): completes, and onComplete gets {flow, startIp, clientIp, deviceIpMatches}", async () => {
    const calls = [];
    const { browser, bankid } = await setup({ trustProxy: true, onComplete: (info) => calls.push(info) });
    const from = (ip) => ({ headers: { 'x-forwarded-for': ip } });
    const start = await browser.post(`${API}/auth`, { flow: 'this-device' }, from('2001:db8::1'));
    bankid.queue('collect', completedAt(start.json.orderRef, '2001:db8::7'));
    const res = await browser.collect(start.json.orderRef, from('2001:db8::2'));
    assert.deepEqual(res.json, { orderRef: start.json.orderRef, status: 'complete' });
    const { flow, startIp, clientIp, deviceIpMatches } = calls[0];
    assert.deepEqual({ flow, startIp, clientIp, deviceIpMatches }, {
      flow: 'this-device',
      startIp: '2001:db8::1',
      clientIp: '2001:db8::2',
      deviceIpMatches: false,
    });

    // Two spellings of one IPv6 address are the same address.
    const again = await browser.post(`${API}/auth`, { flow: 'this-device' }, from('2001:db8::1'));
    bankid.queue('collect', completedAt(again.json.orderRef, '2001:0DB8:0:0:0:0:0:1'));
    await browser.collect(again.json.orderRef, from('2001:db8::1'));
    assert.equal(calls[1].deviceIpMatches, true);
    assert.throws(() => createReferenceBackend({ rp: fakeRp().rp, cookieKey: KEY, deviceIpPolicy: 'warn' }), /deviceIpPolicy/);
  });

  test('a replayed order cookie after complete → 400 No such order; onComplete ran once, BankID not asked', async () => {
    const calls = [];
    const { browser, bankid } = await setup({ onComplete: ({ orderRef }) => calls.push(orderRef) });
    const { json } = await browser.start('this-device');
    const copy = new Map(browser.jar); // what a client can keep and send again
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    assert.equal((await browser.collect(json.orderRef)).json.status, 'complete');

    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION }); // BankID keeps it 3 min
    const replay = await browser.collect(json.orderRef, { jar: copy });
    assert.equal(replay.status, 400);
    assert.deepEqual(replay.json, { errorCode: 'invalidParameters', details: 'No such order' });
    assert.deepEqual(calls, [json.orderRef]);
    assert.equal(bankid.count('collect'), 1);
  });

  test('two collects racing over one completed order: one completes, the other → 400', async () => {
    let release;
    const hold = new Promise((resolve) => (release = resolve));
    const calls = [];
    const { browser, bankid } = await setup({
      onComplete: async ({ orderRef }) => {
        calls.push(orderRef);
        await hold;
      },
    });
    const { json } = await browser.start('this-device');
    const done = { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION };
    bankid.queue('collect', done, done);
    const first = browser.collect(json.orderRef);
    const second = await browser.collect(json.orderRef); // while the first is in onComplete
    release();
    assert.equal((await first).json.status, 'complete');
    assert.equal(second.status, 400);
    assert.equal(calls.length, 1);
  });

  test('exposeCompletionData: true sends completionData to the browser (the demo)', async () => {
    const { browser, bankid } = await setup({ exposeCompletionData: true });
    const { json } = await browser.start('other-device');
    bankid.queue('collect', { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
    const done = await browser.collect(json.orderRef);
    assert.deepEqual(done.json, { orderRef: json.orderRef, status: 'complete', completionData: COMPLETION });
  });
});

describe('rate limits (per client address, per instance)', () => {
  test('starts: 5 at once, then 10 a minute → 429 tooManyRequests with Retry-After; BankID not called', async () => {
    const { browser, bankid, advance } = await setup();
    for (let i = 0; i < 5; i++) assert.equal((await browser.start('other-device')).status, 200, `start ${i + 1}`);
    const limited = await browser.start('this-device', 'sign');
    assert.equal(limited.status, 429);
    assertJsonHeaders(limited);
    assert.equal(limited.json.errorCode, 'tooManyRequests');
    assert.equal(limited.headers.get('retry-after'), '6');
    assert.equal(bankid.calls.length, 5);
    advance(6000); // one more token
    assert.equal((await browser.start('other-device')).status, 200);
    assert.equal((await browser.start('other-device')).status, 429);
  });

  test('collect and cancel: 10 at once, then 3 a second', async () => {
    const { browser, advance } = await setup();
    const { json } = await browser.start('other-device');
    for (let i = 0; i < 10; i++) assert.equal((await browser.collect(json.orderRef)).status, 200, `collect ${i + 1}`);
    const limited = await browser.cancel(json.orderRef);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.ok(browser.jar.has(orderCookieName(json.orderRef)), 'the order lives on');
    advance(1000);
    assert.equal((await browser.collect(json.orderRef)).status, 200);
  });

  test('each address has its own bucket (an IPv6 /64 is one address); rateLimit false or larger limits', async () => {
    const { browser } = await setup({ trustProxy: true, rateLimit: { start: { burst: 1, perMinute: 1 } } });
    const from = (ip) => ({ headers: { 'x-forwarded-for': ip } });
    const auth = (ip) => browser.post(`${API}/auth`, { flow: 'other-device' }, from(ip));
    assert.equal((await auth('203.0.113.1')).status, 200);
    assert.equal((await auth('203.0.113.1')).status, 429);
    assert.equal((await auth('203.0.113.2')).status, 200);
    assert.equal((await auth('2001:db8:1:2::1')).status, 200);
    assert.equal((await auth('2001:db8:1:2:ffff::9')).status, 429, 'same /64');
    assert.equal((await auth('2001:db8:1:3::1')).status, 200);

    const open = await setup({ rateLimit: false });
    for (let i = 0; i < 20; i++) assert.equal((await open.browser.start('other-device')).status, 200);
    assert.throws(() => createReferenceBackend({ rp: fakeRp().rp, cookieKey: KEY, rateLimit: { poll: { burst: 0 } } }), /rateLimit\.poll/);
  });
});

describe('publicOrigin', () => {
  const PUBLIC = 'https://shop.example';

  test('Origin check, returnUrl and referringDomain use it, never Host or X-Forwarded-Host; cookies Secure', async () => {
    const { browser, bankid } = await setup({ publicOrigin: PUBLIC, trustProxy: true });
    const headers = { origin: PUBLIC, 'x-forwarded-host': 'evil.example' };
    const res = await browser.post(`${API}/auth`, { flow: 'this-device', returnUrl: `${PUBLIC}/done` }, { headers });
    assert.equal(res.status, 200);
    assert.equal(bankid.last('auth').web.referringDomain, 'shop.example');
    assert.equal(new URL(bankid.last('auth').returnUrl).origin, PUBLIC);
    for (const c of res.setCookies) assert.ok(c.attributes.has('secure'), c.name);

    // The Host (127.0.0.1:port) is not our origin any more, nor is X-Forwarded-Host.
    const byHost = await browser.start('this-device'); // Origin: http://127.0.0.1:port
    assert.equal(byHost.status, 403);
    const forwarded = await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    assert.equal(forwarded.status, 403);
    const hostReturn = await browser.post(`${API}/auth`, { flow: 'this-device', returnUrl: `${browser.origin}/done` }, { headers });
    assert.equal(hostReturn.status, 400);
    // No Origin header (some same-origin requests): referringDomain is still the public one.
    assert.equal((await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { origin: undefined } })).status, 200);
    assert.equal(bankid.last('auth').web.referringDomain, 'shop.example');
  });

  test('must be a plain origin; unset under NODE_ENV=production → one warning at creation', (t) => {
    const { rp } = fakeRp();
    for (const bad of ['shop.example', 'https://shop.example/login', 'ftp://shop.example', 'https://a@shop.example']) {
      assert.throws(() => createReferenceBackend({ rp, cookieKey: KEY, publicOrigin: bad }), /publicOrigin/, bad);
    }
    const saved = process.env.NODE_ENV;
    t.after(() => {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    });
    process.env.NODE_ENV = 'production';
    const logs = [];
    createReferenceBackend({ rp, cookieKey: KEY, log: (line) => logs.push(line) });
    assert.equal(logs.length, 1);
    assert.match(logs[0], /publicOrigin/);
    createReferenceBackend({ rp, cookieKey: KEY, publicOrigin: `${PUBLIC}/`, log: (line) => logs.push(line) });
    assert.equal(logs.length, 1, 'no warning when it is set');
  });
});

describe('configuration', () => {
  test('cookieKeyFromEnv: base64 or base64url of 32 bytes; anything else is a clear error', (t) => {
    const key = randomBytes(32);
    assert.deepEqual(cookieKeyFromEnv({ BANKID_COOKIE_KEY: key.toString('base64') }), key);
    assert.deepEqual(cookieKeyFromEnv({ BANKID_COOKIE_KEY: ` ${key.toString('base64url')}\n` }), key);
    assert.throws(() => cookieKeyFromEnv({ BANKID_COOKIE_KEY: randomBytes(16).toString('base64') }), /32.*16 bytes/s);
    assert.throws(() => cookieKeyFromEnv({ BANKID_COOKIE_KEY: 'not base64 at all!' }), /BANKID_COOKIE_KEY/);

    const warn = t.mock.method(console, 'warn', () => {});
    const random = cookieKeyFromEnv({});
    assert.equal(random.length, 32);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(warn.mock.calls[0].arguments[0], /restart/);
  });

  test('createReferenceBackend refuses a missing rp method or a short key', () => {
    const { rp } = fakeRp();
    assert.throws(() => createReferenceBackend({ rp, cookieKey: randomBytes(16) }), /32-byte/);
    assert.throws(() => createReferenceBackend({ rp: { ...rp, cancel: undefined }, cookieKey: KEY }), /rp\.cancel/);
    assert.throws(() => createReferenceBackend({ rp, cookieKey: KEY, basePath: 'api' }), /basePath/);
    assert.throws(() => createReferenceBackend({ rp, cookieKey: KEY, basePath: '/api;x' }), /basePath/);
    assert.equal(typeof createReferenceBackend({ rp, cookieKey: KEY }).handle, 'function');
  });
});
