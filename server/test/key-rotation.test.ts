// Rotating the cookie key: cookieKey seals and makes return nonces, previousCookieKeys are still
// read, so a login in progress survives the change; previousCookieKeysFromEnv reads the old keys.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { deriveKeys, unseal } from '../cookies.js';
import { cookieKeyFromEnv, createBankIdBackend, previousCookieKeysFromEnv, type BankIdBackend } from '../index.js';
import { Browser, SITE, completionData, parseSetCookie, qrAt, setup } from './support.js';

const A = randomBytes(32);
const B = randomBytes(32);

/** The same browser, its cookies and all, sent by the load balancer to another backend. */
function moved(browser: Browser, backend: BankIdBackend): Browser {
  const there = new Browser(backend, browser.address, browser.site);
  for (const [name, value] of browser.jar) there.jar.set(name, value);
  return there;
}

const orderCookies = (setCookies: string[]) =>
  setCookies.map(parseSetCookie).filter((c) => /^bankid-order-[0-9a-f]{10}$/.test(c.name));

describe('rotating the cookie key', () => {
  test('an order started under key A collects on a backend with cookieKey B and previousCookieKeys [A], without a Set-Cookie while pending', async () => {
    const before = setup({ cookieKey: A });
    const started = await before.browser.start('other-device');
    assert.equal(started.status, 200);
    const orderRef = started.json['orderRef'] as string;

    const after = setup({ cookieKey: B, previousCookieKeys: [A] });
    const browser = moved(before.browser, after.backend);
    const pending = await browser.collect(orderRef);
    assert.equal(pending.status, 200, pending.text);
    assert.deepEqual(pending.json, { status: 'pending', hintCode: 'outstandingTransaction', qr: qrAt(0) });
    assert.deepEqual(pending.setCookies, [], 'a pending collect writes no cookie, resealed or not');
    assert.equal(after.bankid.last('collect') as unknown, orderRef);

    after.advance(2000);
    after.bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData(),
    }));
    const completed = await browser.collect(orderRef);
    assert.equal(completed.json['status'], 'complete');
  });

  test('the same cookie on a backend with cookieKey B and no previous keys → the answer of an unknown order, BankID not asked', async () => {
    const before = setup({ cookieKey: A });
    const orderRef = (await before.browser.start('other-device')).json['orderRef'] as string;

    const after = setup({ cookieKey: B });
    const browser = moved(before.browser, after.backend);
    const unknown = await browser.collect(randomUUID());
    assert.equal(unknown.status, 400);
    const refused = await browser.collect(orderRef);
    assert.equal(refused.status, unknown.status);
    assert.equal(refused.text, unknown.text);
    const cancelled = await browser.cancel(orderRef);
    assert.equal(cancelled.status, unknown.status);
    assert.equal(cancelled.text, unknown.text);
    assert.equal(after.bankid.count('collect'), 0);
    assert.equal(after.bankid.count('cancel'), 0);

    // A key that was never cookieKey does not help either.
    const other = setup({ cookieKey: B, previousCookieKeys: [randomBytes(32)] });
    assert.equal((await moved(before.browser, other.backend).collect(orderRef)).text, unknown.text);
  });

  test('a return nonce made under A passes verifyReturn under B + [A] and fails under B alone', async () => {
    const before = setup({ cookieKey: A });
    const started = await before.browser.start('this-device', { returnUrl: `${SITE}/login` });
    assert.equal(started.status, 200);
    const returnUrl = (before.bankid.last('auth') as Record<string, string>)['returnUrl'] as string;
    assert.match(new URL(returnUrl).searchParams.get('bankid-nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    const cookie = before.browser.cookieHeader();
    const back = () => new Request(returnUrl, { headers: { Cookie: cookie } });
    const nodeLike = () => {
      const url = new URL(returnUrl);
      return { url: `${url.pathname}${url.search}`, headers: { cookie } } as never;
    };
    assert.equal(before.backend.verifyReturn(back()), true, 'under A itself');

    const rotated = setup({ cookieKey: B, previousCookieKeys: [A] }).backend;
    assert.equal(rotated.verifyReturn(back()), true, 'B + [A]');
    assert.equal(rotated.verifyReturn(nodeLike()), true, 'B + [A], a node request');
    const tampered = new URL(returnUrl);
    tampered.searchParams.set('bankid-nonce', `${tampered.searchParams.get('bankid-nonce')?.slice(0, -2)}AA`);
    assert.equal(rotated.verifyReturn(new Request(tampered, { headers: { Cookie: cookie } })), false, 'tampered');

    const alone = setup({ cookieKey: B }).backend;
    assert.equal(alone.verifyReturn(back()), false, 'B alone');
    assert.equal(alone.verifyReturn(nodeLike()), false, 'B alone, a node request');

    // The new key makes the nonces from now on: B alone accepts a nonce B + [A] made.
    const after = setup({ cookieKey: B, previousCookieKeys: [A] });
    const browser = moved(before.browser, after.backend);
    await browser.start('this-device', { returnUrl: `${SITE}/login` });
    const newUrl = (after.bankid.last('auth') as Record<string, string>)['returnUrl'] as string;
    assert.equal(alone.verifyReturn(new Request(newUrl, { headers: { Cookie: browser.cookieHeader() } })), true);
  });

  test('a new start under B + [A] writes cookies a backend with B alone reads: the new order, and the carried-over one resealed under B', async () => {
    const before = setup({ cookieKey: A });
    const first = (await before.browser.start('other-device')).json['orderRef'] as string;

    const after = setup({ cookieKey: B, previousCookieKeys: [A] });
    const browser = moved(before.browser, after.backend);
    const second = await browser.start('other-device');
    assert.equal(second.status, 200);
    const cookies = orderCookies(second.setCookies);
    assert.equal(cookies.length, 2, second.setCookies.join('\n'));
    const { sealKey: sealA } = deriveKeys(A);
    const { sealKey: sealB } = deriveKeys(B);
    for (const { name, value } of cookies) {
      assert.ok(unseal(sealB, name, value), `${name} is sealed under B`);
      assert.equal(unseal(sealA, name, value), null, `${name} is not sealed under A`);
    }

    const alone = setup({ cookieKey: B });
    const there = moved(browser, alone.backend);
    assert.equal((await there.collect(first)).status, 200, 'the order started under A');
    assert.equal((await there.collect(second.json['orderRef'])).status, 200, 'the order started under B');
    assert.deepEqual(await there.cancel(first).then((answer) => answer.json), {});
  });
});

describe('previousCookieKeys: the option', () => {
  const base = { rp: setup().bankid.rp, cookieKey: B, userVisibleData: 'Logga in' };

  test('bad values are TypeErrors that say what is wrong', () => {
    const cases: Array<[unknown, RegExp]> = [
      [A, /previousCookieKeys must be an array of at most 4 keys \(see previousCookieKeysFromEnv\(\)\)/],
      ['a key', /previousCookieKeys must be an array of at most 4 keys/],
      [null, /previousCookieKeys must be an array/],
      [Array.from({ length: 5 }, () => randomBytes(32)), /previousCookieKeys must be an array of at most 4 keys/],
      [[A, Buffer.alloc(16)], /previousCookieKeys\[1\] must be 32 bytes \(see previousCookieKeysFromEnv\(\)\)/],
      [[A.toString('base64')], /previousCookieKeys\[0\] must be 32 bytes/],
      [[undefined], /previousCookieKeys\[0\] must be 32 bytes/],
      [[A, new Uint8Array(B)], /previousCookieKeys\[1\] is cookieKey itself; put the new key in cookieKey/],
    ];
    for (const [previousCookieKeys, message] of cases) {
      assert.throws(
        () => createBankIdBackend({ ...base, previousCookieKeys } as never),
        (error: unknown) => error instanceof TypeError && message.test(error.message),
        String(message),
      );
    }
  });

  test('none, an empty list, or up to 4 keys of 32 bytes (any Uint8Array) are fine', () => {
    for (const previousCookieKeys of [undefined, [], [A], [A, new Uint8Array(32), randomBytes(32), randomBytes(32)]]) {
      assert.doesNotThrow(() =>
        createBankIdBackend({ ...base, ...(previousCookieKeys ? { previousCookieKeys } : {}) }),
      );
    }
  });
});

describe('previousCookieKeysFromEnv', () => {
  const fromEnv = (value: string | undefined) => previousCookieKeysFromEnv({ BANKID_PREVIOUS_COOKIE_KEYS: value });

  test('reads comma-separated keys in base64 or base64url, spaces around them allowed, in their order', () => {
    const C = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xff - i)); // base64 with + and /
    assert.match(C.toString('base64'), /[+/]/);
    assert.deepEqual(fromEnv(A.toString('base64')), [A]);
    assert.deepEqual(fromEnv(` ${A.toString('base64')} , ${C.toString('base64url')},${B.toString('base64')} `), [
      A,
      C,
      B,
    ]);
    assert.deepEqual(fromEnv(C.toString('base64')), [C]);
  });

  test('unset, empty or blank → no keys, without a warning', () => {
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      assert.deepEqual(previousCookieKeysFromEnv({}), []);
      assert.deepEqual(fromEnv(''), []);
      assert.deepEqual(fromEnv('  '), []);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
  });

  test('a bad key is an error that names its position and never quotes a key', () => {
    const good = A.toString('base64');
    const short = randomBytes(16).toString('base64');
    const cases: Array<[string, RegExp]> = [
      [short, /^BANKID_PREVIOUS_COOKIE_KEYS: key 1 of 1 must be 32 random bytes in base64 \(got 16 bytes\)/],
      [`${good},${short}`, /key 2 of 2 must be 32 random bytes in base64 \(got 16 bytes\)/],
      [`${good},${good.slice(0, 10)}!${good.slice(11)}`, /key 2 of 2 .*\(got text that is not base64\)/],
      [`${good},,${good}`, /key 2 of 3 .*\(got nothing\)/],
      [`${good},`, /key 2 of 2 .*\(got nothing\)/],
      [`${good};${good}`, /key 1 of 1 .*\(got text that is not base64\); separate the keys with commas/],
      [Array(5).fill(good).join(','), /BANKID_PREVIOUS_COOKIE_KEYS holds 5 keys; at most 4 are read/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => fromEnv(value),
        (error: unknown) => error instanceof Error && message.test(error.message) && !error.message.includes(good),
        value.slice(0, 60),
      );
    }
  });

  test('cookieKeyFromEnv unset: an error that says how to make one with NODE_ENV=production, else a random key', (t) => {
    assert.throws(
      () => cookieKeyFromEnv({ NODE_ENV: 'production' }),
      /^Error: BANKID_COOKIE_KEY is not set \(NODE_ENV=production\).* Make one with: node -e/,
    );
    assert.throws(() => cookieKeyFromEnv({ NODE_ENV: 'production', BANKID_COOKIE_KEY: '  ' }), /is not set/);
    const warn = t.mock.method(console, 'warn', () => {});
    const a = cookieKeyFromEnv({});
    const b = cookieKeyFromEnv({ NODE_ENV: 'development' });
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.equal(warn.mock.callCount(), 2);
    assert.match(String(warn.mock.calls[0]!.arguments[0]), /BANKID_COOKIE_KEY is not set, using a random key/);
  });

  test('cookieKeyFromEnv still says what it always said about a bad key', () => {
    assert.deepEqual(cookieKeyFromEnv({ BANKID_COOKIE_KEY: B.toString('base64url') }), B);
    assert.throws(
      () => cookieKeyFromEnv({ BANKID_COOKIE_KEY: randomBytes(16).toString('base64') }),
      /^Error: BANKID_COOKIE_KEY must be 32 random bytes in base64 \(got 16 bytes\)\. Make one with: node -e/,
    );
    assert.throws(
      () => cookieKeyFromEnv({ BANKID_COOKIE_KEY: 'not base64!' }),
      /BANKID_COOKIE_KEY must be 32 random bytes in base64 \(got text that is not base64\)/,
    );
  });
});
