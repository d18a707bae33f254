// Starting orders: the answers, the cookies, what BankID is sent, and the returnUrl with its nonce.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBankIdBackend } from '../index.js';
import { API, Browser, FakeRpError, KEY, QR_SECRET, QR_TOKEN, SITE, parseSetCookie, qrAt, setup } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('start (auth, sign)', () => {
  test('other device: {orderRef, qr} with the t=0 QR code, no autoStartToken; the session, device and order cookies', async () => {
    const { browser, bankid } = setup();
    const answer = await browser.start('other-device');
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.json).sort(), ['orderRef', 'qr']);
    assert.match(answer.json['orderRef'] as string, UUID);
    assert.equal(answer.json['qr'], qrAt(0));
    assert.equal(bankid.count('auth'), 1);

    const cookies = answer.setCookies.map(parseSetCookie);
    const byName = new Map(cookies.map((c) => [c.name, c]));
    const session = byName.get('bankid-session');
    const device = byName.get('bankid-device');
    const order = cookies.find((c) => /^bankid-order-[0-9a-f]{10}$/.test(c.name));
    assert.ok(session && device && order, answer.setCookies.join('\n'));
    for (const cookie of [session, device, order]) {
      assert.equal(cookie.attributes.get('path'), '/');
      assert.ok(cookie.attributes.has('httponly'));
      assert.ok(!cookie.attributes.has('secure'), 'plain HTTP: no Secure');
      assert.ok(!cookie.attributes.has('domain'));
    }
    assert.equal(session.attributes.get('samesite'), 'Lax');
    assert.equal(order.attributes.get('samesite'), 'Strict');
    assert.equal(order.attributes.get('max-age'), '600');
    assert.match(session.value, /^[A-Za-z0-9_-]{22}$/);
    assert.match(device.value, /^[A-Za-z0-9_-]{43}$/);
  });

  test('this device: {orderRef, autoStartToken} and no qr; sign works the same way', async () => {
    const { browser, bankid } = setup();
    const answer = await browser.start('this-device');
    assert.deepEqual(Object.keys(answer.json).sort(), ['autoStartToken', 'orderRef']);
    assert.match(answer.json['autoStartToken'] as string, UUID);
    const signed = await browser.start('this-device', {}, 'sign');
    assert.equal(signed.status, 200);
    assert.equal(bankid.count('sign'), 1);
  });

  test('qrStartSecret and qrStartToken never reach the browser in any readable form', async () => {
    const { browser } = setup();
    const other = await browser.start('other-device');
    const self = await browser.start('this-device');
    for (const answer of [other, self]) {
      const everything = [answer.text, ...answer.setCookies].join('\n');
      assert.ok(!everything.includes(QR_SECRET));
      assert.ok(!everything.includes(Buffer.from(QR_SECRET).toString('base64url')));
      assert.ok(!answer.text.includes(`"${QR_TOKEN}"`));
    }
  });

  test('what BankID gets: endUserIp, returnRisk, web data (user agent cut to 256), userVisibleData, requirement', async () => {
    const { browser, bankid } = setup({ requirement: { certificatePolicies: ['1.2.752.78.1.5'], pinCode: true } });
    await browser.start('other-device', {}, 'auth');
    const long = `Mozilla/5.0 (FBAN/FBIOS) ${'x'.repeat(300)}`;
    await browser.post(`${API}/auth`, { flow: 'other-device' }, { headers: { 'User-Agent': long } });
    const first = bankid.calls[0]?.arg as Record<string, any>;
    assert.equal(first['endUserIp'], '127.0.0.1');
    assert.equal(first['returnRisk'], true);
    assert.equal(Buffer.from(first['userVisibleData'], 'base64').toString('utf8'), 'Logga in på Testbanken');
    assert.deepEqual(first['requirement'], { certificatePolicies: ['1.2.752.78.1.5'], pinCode: true });
    assert.equal(first['web'].referringDomain, 'localhost');
    assert.equal(first['web'].userAgent, 'Mozilla/5.0 (TestBrowser)');
    assert.match(first['web'].deviceIdentifier, /^[A-Za-z0-9_-]{43}$/);
    const second = bankid.last('auth') as Record<string, any>;
    assert.equal(second['web'].userAgent.length, 256);
    assert.equal(second['web'].userAgent, long.slice(0, 256));
    assert.equal(second['web'].deviceIdentifier, first['web'].deviceIdentifier, 'the device id is stable');
    assert.ok(!('returnUrl' in first));
  });

  test('userVisibleData as a function of the order: sign text, markdown and non-visible data', async () => {
    const seen: unknown[] = [];
    const { browser, bankid } = setup({
      userVisibleData: ({ operation, request }) => {
        seen.push([operation, new URL(request.url).pathname]);
        return operation === 'sign'
          ? { text: '# Avtal\nJag godkänner avtalet.', format: 'simpleMarkdownV1', nonVisibleData: 'sha256:abc' }
          : 'Logga in';
      },
    });
    await browser.start('other-device', {}, 'sign');
    const sent = bankid.last('sign') as Record<string, any>;
    assert.equal(Buffer.from(sent['userVisibleData'], 'base64').toString('utf8'), '# Avtal\nJag godkänner avtalet.');
    assert.equal(sent['userVisibleDataFormat'], 'simpleMarkdownV1');
    assert.equal(Buffer.from(sent['userNonVisibleData'], 'base64').toString('utf8'), 'sha256:abc');
    assert.deepEqual(seen, [['sign', `${API}/sign`]]);
  });

  test('a userVisibleData function that returns nothing usable → 500 and one log line; BankID not called', async () => {
    const { browser, bankid, logs } = setup({ userVisibleData: () => '' });
    const answer = await browser.start('other-device');
    assert.equal(answer.status, 500);
    assert.equal(answer.json['errorCode'], 'internalError');
    assert.equal(bankid.count('auth'), 0);
    assert.match(logs.join('\n'), /userVisibleData/);
  });

  test('a malformed BankID answer (a missing secret, a token that is not a UUID) → 503, no cookie', async () => {
    const { browser, bankid } = setup();
    bankid.queue('auth', { orderRef: 'x', autoStartToken: 'y' });
    bankid.queue('auth', { orderRef: 'a', autoStartToken: '<b>', qrStartToken: QR_TOKEN, qrStartSecret: QR_SECRET });
    for (let i = 0; i < 2; i++) {
      const answer = await browser.start('this-device');
      assert.equal(answer.status, 503);
      assert.equal(answer.json['errorCode'], 'bankidUnavailable');
      assert.deepEqual(answer.setCookies, []);
    }
  });

  test('BankID errors on start map to the shapes of CONTRACT §4, without BankID details', async () => {
    const cases: Array<[Error, number, string]> = [
      [new FakeRpError(400, 'alreadyInProgress'), 400, 'alreadyInProgress'],
      [new FakeRpError(400, 'invalidParameters'), 400, 'invalidParameters'],
      [new FakeRpError(429, 'tooManyRequests', 5000), 429, 'tooManyRequests'],
      [new FakeRpError(408, 'requestTimeout'), 503, 'requestTimeout'],
      [new FakeRpError(503, 'maintenance'), 503, 'maintenance'],
      [new FakeRpError(500, 'internalError'), 500, 'internalError'],
      [new FakeRpError(401, 'unauthorized'), 500, 'internalError'],
      [new FakeRpError(502, null), 503, 'bankidUnavailable'],
    ];
    for (const [error, status, errorCode] of cases) {
      const { browser, bankid, logs } = setup();
      bankid.queue('auth', error);
      const answer = await browser.start();
      assert.equal(answer.status, status, `${error.message}`);
      assert.equal(answer.json['errorCode'], errorCode);
      assert.ok(!answer.text.includes('SECRET-DETAILS') && !logs.join('').includes('SECRET-DETAILS'));
      assert.ok(!/\d{12}/.test(logs.join('\n')), 'no personal number in the logs');
      if (status === 429) assert.equal(answer.headers.get('retry-after'), '5');
    }
  });
});

describe('HTTPS: __Host- cookies', () => {
  test('a page on HTTPS gets __Host- names, Secure, Path=/ and no Domain', async () => {
    const { backend } = setup();
    const browser = new Browser(backend, '127.0.0.1', 'https://shop.example');
    const answer = await browser.start('other-device');
    assert.equal(answer.status, 200);
    const cookies = answer.setCookies.map(parseSetCookie);
    assert.equal(cookies.length, 3);
    for (const cookie of cookies) {
      assert.match(cookie.name, /^__Host-bankid-(session|device|order-[0-9a-f]{10})$/);
      assert.ok(cookie.attributes.has('secure'));
      assert.equal(cookie.attributes.get('path'), '/');
      assert.ok(!cookie.attributes.has('domain'));
    }
    assert.equal((await browser.collect(answer.json['orderRef'])).status, 200);
  });

  test('behind a trusted proxy, X-Forwarded-Proto https makes them __Host- too; untrusted, it is ignored', async () => {
    for (const [trustProxy, prefixed] of [
      [1, true],
      [false, false],
    ] as const) {
      const { backend } = setup({ trustProxy });
      const browser = new Browser(backend, '10.0.0.1', 'http://localhost:8000');
      const answer = await browser.post(
        `${API}/auth`,
        { flow: 'other-device' },
        { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9', Origin: '' } },
      );
      assert.equal(answer.status, 200);
      assert.equal(
        answer.setCookies.every((line) => line.startsWith('__Host-')),
        prefixed,
      );
    }
  });

  test('on HTTPS, cookies without the prefix (planted over HTTP or by a sibling domain) are ignored', async () => {
    const { backend } = setup();
    const browser = new Browser(backend, '127.0.0.1', 'https://shop.example');
    const orderRef = (await browser.start()).json['orderRef'];
    // The same values without the prefix, as a cookie-tossing attacker could plant them.
    const bare = [...browser.jar].map(([k, v]) => `${k.replace('__Host-', '')}=${v}`).join('; ');
    const answer = await browser.post(`${API}/collect`, { orderRef }, { cookies: false, headers: { Cookie: bare } });
    assert.equal(answer.status, 400);
  });
});

describe('the returnUrl (this device, iOS)', () => {
  test('a URL on our origin goes to BankID with a nonce that verifyReturn accepts for this browser only', async () => {
    const { browser, bankid, backend } = setup();
    const answer = await browser.start('this-device', { returnUrl: `${SITE}/login?next=%2Fkonto#top` });
    assert.equal(answer.status, 200);
    const sent = new URL((bankid.last('auth') as Record<string, string>)['returnUrl'] as string);
    assert.equal(sent.origin + sent.pathname, `${SITE}/login`);
    assert.equal(sent.searchParams.get('next'), '/konto');
    assert.equal(sent.hash, '', 'the fragment is dropped');
    const nonce = sent.searchParams.get('bankid-nonce');
    assert.match(nonce ?? '', /^[A-Za-z0-9_-]{43}$/);

    const back = (cookie: string) => new Request(sent, { headers: cookie ? { Cookie: cookie } : {} });
    assert.equal(backend.verifyReturn(back(browser.cookieHeader())), true, 'the browser that started it');
    const other = new Browser(backend);
    await other.start('this-device');
    assert.equal(backend.verifyReturn(back(other.cookieHeader())), false, 'another browser');
    assert.equal(backend.verifyReturn(back('')), false, 'no session');
    const tampered = new URL(sent);
    tampered.searchParams.set('bankid-nonce', `${nonce?.slice(0, -2)}AA`);
    assert.equal(backend.verifyReturn(new Request(tampered, { headers: { Cookie: browser.cookieHeader() } })), false);
    // node:http requests work the same way.
    const nodeLike = { url: `${sent.pathname}${sent.search}`, headers: { cookie: browser.cookieHeader() } };
    assert.equal(backend.verifyReturn(nodeLike as never), true);
  });

  test('the nonce belongs to one order: a newer order (a new session id) makes the old one fail', async () => {
    const { browser, bankid, backend } = setup();
    await browser.start('this-device', { returnUrl: `${SITE}/login` });
    const first = (bankid.last('auth') as Record<string, string>)['returnUrl'] as string;
    await browser.start('this-device', { returnUrl: `${SITE}/login` });
    assert.equal(backend.verifyReturn(new Request(first, { headers: { Cookie: browser.cookieHeader() } })), false);
  });

  test('exactly googlechromes:// and firefox:// pass on as they are, without a nonce', async () => {
    const { browser, bankid } = setup();
    for (const scheme of ['googlechromes://', 'firefox://']) {
      assert.equal((await browser.start('this-device', { returnUrl: scheme })).status, 200);
      assert.equal((bankid.last('auth') as Record<string, string>)['returnUrl'], scheme);
    }
  });

  test('another origin, another scheme (blob: too), a user name, or not a URL → 400 invalidParameters, BankID not called', async () => {
    const { browser, bankid } = setup();
    for (const returnUrl of [
      'https://evil.example/',
      'http://localhost:8001/',
      'googlechrome://',
      'googlechromes://evil',
      'javascript:alert(1)',
      `blob:${SITE}/6f1b8d2a-3c4e-4f5a-9b7c-000000000001`,
      `http://evil.example@${new URL(SITE).host}/login`,
      `http://user:pass@${new URL(SITE).host}/login`,
      'not a url',
      42,
      `${SITE}/${'x'.repeat(3000)}`,
    ]) {
      const answer = await browser.start('this-device', { returnUrl });
      assert.equal(answer.status, 400, String(returnUrl).slice(0, 40));
      assert.equal(answer.json['errorCode'], 'invalidParameters');
    }
    assert.equal(bankid.count('auth'), 0);
  });

  test('an other-device order never passes a returnUrl on (it would open on the phone)', async () => {
    const { browser, bankid } = setup();
    assert.equal((await browser.start('other-device', { returnUrl: `${SITE}/login` })).status, 200);
    assert.ok(!('returnUrl' in (bankid.last('auth') as object)));
  });

  test('a return URL too long for BankID (512 with the nonce) is left out, with a log line', async () => {
    const { browser, bankid, logs } = setup();
    const answer = await browser.start('this-device', { returnUrl: `${SITE}/login?q=${'a'.repeat(480)}` });
    assert.equal(answer.status, 200);
    assert.ok(!('returnUrl' in (bankid.last('auth') as object)));
    assert.match(logs.join('\n'), /returnUrl is over 512/);
  });
});

describe('configuration', () => {
  const base = { rp: setup().bankid.rp, cookieKey: KEY, userVisibleData: 'Logga in' };

  test('userVisibleData is required (no demo text by default)', () => {
    const { userVisibleData: _, ...without } = base;
    assert.throws(() => createBankIdBackend(without as never), /userVisibleData is required/);
    assert.throws(() => createBankIdBackend({ ...base, userVisibleData: 'x'.repeat(2000) }), /1–1 500/);
  });

  test('NODE_ENV=production without publicOrigin → TypeError at creation, not a log line', () => {
    const saved = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      assert.throws(() => createBankIdBackend(base), /publicOrigin is required when NODE_ENV=production/);
      assert.doesNotThrow(() => createBankIdBackend({ ...base, publicOrigin: 'https://shop.example' }));
    } finally {
      if (saved === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = saved;
    }
  });

  test('bad options are TypeErrors that say what to do', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ rp: { auth() {} } }, /rp\.sign must be a function/],
      [{ cookieKey: Buffer.alloc(16) }, /cookieKey must be 32 bytes/],
      [{ basePath: 'api' }, /basePath/],
      [{ publicOrigin: 'https://shop.example/path' }, /publicOrigin must be an origin/],
      [{ trustProxy: -1 }, /trustProxy/],
      [{ deviceAddressCheck: 'ignore' }, /deviceAddressCheck/],
      [{ collectEveryMs: 500 }, /collectEveryMs/],
      [{ rateLimits: { start: { burst: 0, perMinute: 1 } } }, /rateLimits\.start/],
    ];
    for (const [patch, message] of cases) {
      assert.throws(() => createBankIdBackend({ ...base, ...patch } as never), message);
    }
  });
});
