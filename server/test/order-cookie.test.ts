// The order cookie's sealed value: the compact binary form (version 2) that every usual order gets,
// the JSON form (version 1) that cookies held before and that odd answers still get, and what a
// value that does not decode exactly as it should is worth: nothing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cookieNames, deriveKeys, seal, unseal } from '../cookies.js';
import type { Completion } from '../index.js';
import {
  Browser,
  KEY,
  QR_CODES,
  QR_SECRET,
  QR_TOKEN,
  T0,
  completionData,
  parseSetCookie,
  qrAt,
  setup,
} from './support.js';

const { sealKey } = deriveKeys(KEY);

/** The order cookie a start answer sets: its name and value, from the real Set-Cookie line. */
function orderCookieOf(setCookies: string[]) {
  const cookie = setCookies.map(parseSetCookie).find((c) => /^(__Host-)?bankid-order-[0-9a-f]{10}$/.test(c.name));
  assert.ok(cookie, setCookies.join('\n'));
  return cookie;
}

/** What the cookie's value holds, decrypted with the test key. */
function plainOf(name: string, value: string): Buffer {
  const plain = unseal(sealKey, name, value);
  assert.ok(plain, 'the value unseals');
  return plain;
}

describe('the order cookie: compact (version 2), old cookies still read (version 1)', () => {
  test('a QR start sets an order cookie value of at most 160 characters (138 for IPv4, 154 for IPv6 on HTTPS) that collects', async () => {
    for (const [site, address, length] of [
      ['http://localhost:8000', '127.0.0.1', 138],
      ['https://shop.example', '2001:db8:85a3::8a2e:370:7334', 154],
    ] as const) {
      const { backend } = setup();
      const browser = new Browser(backend, address, site);
      const answer = await browser.start('other-device');
      assert.equal(answer.status, 200);
      const { name, value } = orderCookieOf(answer.setCookies);
      assert.ok(value.length <= 160, `${value.length} characters`);
      assert.equal(value.length, length);
      const plain = plainOf(name, value);
      assert.equal(plain[0], 0x02 | 0x20 | (address.includes(':') ? 0x40 : 0), 'version 2, other device');
      const collected = await browser.collect(answer.json['orderRef']);
      assert.equal(collected.status, 200);
      assert.deepEqual(collected.json, { status: 'pending', hintCode: 'outstandingTransaction', qr: qrAt(0) });
    }
  });

  test('a cookie sealed in the old JSON form (version 1) still collects, and moves to the compact form on the next start', async () => {
    const { browser, advance } = setup({ rateLimits: false });
    const started = await browser.start('other-device');
    const orderRef = started.json['orderRef'] as string;
    const { name } = orderCookieOf(started.setCookies);
    const sid = browser.jar.get('bankid-session')!;
    // What a backend before version 2 sealed for this very order.
    const v1 = [1, 'auth', orderRef, sid, QR_TOKEN, QR_SECRET, T0, 'other-device', '127.0.0.1'];
    const old = seal(sealKey, name, JSON.stringify(v1));
    assert.ok(old.length > 280, `${old.length} characters`);
    browser.jar.set(name, old);
    advance(1000);
    const collected = await browser.collect(orderRef);
    assert.equal(collected.status, 200);
    assert.equal(collected.json['qr'], qrAt(1), 'qrTime counts from the startedAt in the old cookie');
    assert.ok(!collected.setCookies.some((line) => line.startsWith(`${name}=`)), 'collect leaves the cookie as it is');

    // A second order rotates the session: the old order is sealed again under the new id, compactly.
    const second = await browser.start('other-device');
    const carried = second.setCookies.map(parseSetCookie).find((c) => c.name === name);
    assert.ok(carried && carried.value.length <= 160, `${carried?.value.length} characters`);
    assert.equal(plainOf(name, carried.value)[0], 0x22);
    advance(1000);
    assert.equal((await browser.collect(orderRef)).json['qr'], qrAt(2));
  });

  test('a state that would not come back in the same spelling (an old cookie with an uncompressed IPv6 address) stays in the JSON form', async () => {
    const completions: Completion[] = [];
    const { backend, bankid } = setup({ rateLimits: false, onComplete: (c) => void completions.push(c) });
    const browser = new Browser(backend, '2001:db8::1');
    const started = await browser.start('this-device');
    const orderRef = started.json['orderRef'] as string;
    const { name } = orderCookieOf(started.setCookies);
    const sid = browser.jar.get('bankid-session')!;
    const spelled = '2001:db8:0:0:0:0:0:1';
    const v1 = [1, 'auth', orderRef, sid, QR_TOKEN, QR_SECRET, T0, 'this-device', spelled];
    browser.jar.set(name, seal(sealKey, name, JSON.stringify(v1)));
    // The next start seals it again, under the new session id.
    const carried = (await browser.start('other-device')).setCookies.map(parseSetCookie).find((c) => c.name === name);
    assert.ok(carried);
    assert.equal(plainOf(name, carried.value)[0], 0x5b, 'version 1');
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData({ device: { ipAddress: '2001:db8::1' } }),
    }));
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
    assert.equal(completions[0]?.startAddress, spelled);
  });

  test('a version-2 cookie flipped, truncated, or of a wrong length or version inside the seal → the answer of an unknown order', async () => {
    const { browser, bankid } = setup({ rateLimits: false });
    const started = await browser.start('other-device');
    const orderRef = started.json['orderRef'] as string;
    const { name, value } = orderCookieOf(started.setCookies);
    const plain = plainOf(name, value);
    assert.equal(plain.length, 75);
    const unknown = await browser.collect(randomUUID());
    assert.equal(unknown.status, 400);

    const flipped = Buffer.from(value, 'base64url');
    flipped[30]! ^= 0x01;
    const resealed = (bytes: Buffer) => seal(sealKey, name, bytes);
    const values: Record<string, string> = {
      'a flipped byte': flipped.toString('base64url'),
      'cut by 4 characters': value.slice(0, -4),
      'cut to 40 characters': value.slice(0, 40),
      'one byte more inside': resealed(Buffer.concat([plain, Buffer.of(0)])),
      'one byte less inside': resealed(plain.subarray(0, -1)),
      'the IPv6 bit on an IPv4 address': resealed(Buffer.concat([Buffer.of(plain[0]! | 0x40), plain.subarray(1)])),
      'version 3': resealed(Buffer.concat([Buffer.of((plain[0]! & 0xf0) | 0x03), plain.subarray(1)])),
      'the high bit set': resealed(Buffer.concat([Buffer.of(plain[0]! | 0x80), plain.subarray(1)])),
      'nothing inside': resealed(Buffer.alloc(0)),
      'version 1 that is not JSON': resealed(Buffer.from('[1,"auth"', 'utf8')),
    };
    for (const [what, bad] of Object.entries(values)) {
      browser.jar.set(name, bad);
      const answer = await browser.collect(orderRef);
      assert.equal(answer.status, unknown.status, what);
      assert.equal(answer.text, unknown.text, what);
    }
    assert.equal(bankid.count('collect'), 0, 'BankID is not asked');

    browser.jar.set(name, resealed(plain)); // the same bytes sealed afresh: the control
    assert.equal((await browser.collect(orderRef)).status, 200);
  });

  test('an orderRef or QR token that is not a lower-case UUID keeps the JSON form (version 1) and comes back exactly', async () => {
    const upperToken = QR_TOKEN.toUpperCase();
    const cases = [
      { orderRef: 'ORDER-odd-1', qrStartToken: QR_TOKEN, qrStartSecret: QR_SECRET },
      { orderRef: randomUUID().toUpperCase(), qrStartToken: QR_TOKEN, qrStartSecret: QR_SECRET },
      { orderRef: randomUUID(), qrStartToken: upperToken, qrStartSecret: QR_SECRET },
      { orderRef: randomUUID(), qrStartToken: QR_TOKEN, qrStartSecret: QR_SECRET.toUpperCase() },
    ];
    for (const odd of cases) {
      const { browser, bankid } = setup();
      bankid.queue('auth', { ...odd, autoStartToken: randomUUID() });
      const started = await browser.start('other-device');
      assert.equal(started.status, 200);
      assert.equal(started.json['orderRef'], odd.orderRef);
      const { name, value } = orderCookieOf(started.setCookies);
      assert.equal(name, cookieNames(false).order(odd.orderRef));
      const plain = plainOf(name, value).toString('utf8');
      assert.ok(plain.startsWith('[1,'), plain);
      assert.deepEqual(JSON.parse(plain).slice(2, 6), [
        odd.orderRef,
        browser.jar.get('bankid-session'),
        odd.qrStartToken,
        odd.qrStartSecret,
      ]);
      const collected = await browser.collect(odd.orderRef);
      assert.equal(collected.status, 200);
      assert.equal(collected.json['qr'], started.json['qr'], 'the same token and secret make the same code');
      assert.equal(bankid.last('collect') as unknown, odd.orderRef);
    }
    // The token in the code is the one BankID gave, in its own spelling.
    const { browser, bankid } = setup();
    bankid.queue('auth', {
      orderRef: randomUUID(),
      autoStartToken: randomUUID(),
      qrStartToken: upperToken,
      qrStartSecret: QR_SECRET,
    });
    assert.equal((await browser.start('other-device')).json['qr'], `bankid.${upperToken}.0.${QR_CODES[0]}`);
  });

  test('the start address comes back from the cookie: IPv6 compactly, a zone id through JSON; deviceIpMatches as before', async () => {
    for (const [address, canonical, compact] of [
      ['2001:0DB8:0:0::1', '2001:db8::1', true],
      ['::', '::', true],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', true],
      ['fe80::a:0:0:1', 'fe80::a:0:0:1', true],
      ['::ffff:192.0.2.1', '192.0.2.1', true],
      ['fe80::1%eth0', 'fe80::1%eth0', false],
    ] as const) {
      const completions: Completion[] = [];
      const { backend, bankid } = setup({ onComplete: (c) => void completions.push(c) });
      const browser = new Browser(backend, address);
      const started = await browser.start('this-device');
      assert.equal(started.status, 200, address);
      const { name, value } = orderCookieOf(started.setCookies);
      assert.equal(plainOf(name, value)[0] !== 0x5b, compact, `${address}: ${value.length} characters`);
      assert.ok(!compact || value.length <= 160);
      // The browser has moved on to another network: only the cookie remembers where it started.
      browser.address = '198.51.100.77';
      bankid.queue('collect', (orderRef: unknown) => ({
        orderRef,
        status: 'complete',
        completionData: completionData({ device: { ipAddress: canonical } }),
      }));
      const collected = await browser.collect(started.json['orderRef']);
      assert.equal(collected.json['status'], 'complete', address);
      assert.equal(completions[0]?.startAddress, canonical);
      assert.equal(completions[0]?.clientAddress, '198.51.100.77');
      assert.equal(completions[0]?.deviceIpMatches, true, address);
    }
  });
});
