// Collecting: the animated QR code, the pace of BankID's collect, the end of an order, onComplete,
// the device and risk checks, and cancel.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  API,
  Browser,
  FakeNetworkError,
  FakeRpError,
  PERSONAL_NUMBER,
  completionData,
  qrAt,
  setup,
  startedOrder,
} from './support.js';
import type { Completion, CompletionReply } from '../index.js';

const pending = (hintCode: string) => (orderRef: unknown) => ({ orderRef, status: 'pending', hintCode });
const complete =
  (overrides: Parameters<typeof completionData>[0] = {}) =>
  (orderRef: unknown) => ({ orderRef, status: 'complete', completionData: completionData(overrides) });

describe('collect', () => {
  test('the animated QR code follows the §5.1 test vector as time passes (qrTime 0, 1, 2)', async () => {
    const { browser, advance } = setup();
    const orderRef = await startedOrder(browser);
    for (const t of [0, 1, 2] as const) {
      const answer = await browser.collect(orderRef);
      assert.equal(answer.json['qr'], qrAt(t));
      assert.equal(answer.json['hintCode'], 'outstandingTransaction');
      advance(1000);
    }
  });

  test('BankID is asked at most every 2 s; in between the last answer comes back with a newer QR code, and no cookie', async () => {
    const { browser, bankid, advance } = setup();
    const orderRef = await startedOrder(browser);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await browser.collect(orderRef);
      assert.equal(answer.status, 200);
      assert.equal(answer.json['status'], 'pending');
      assert.deepEqual(answer.setCookies, [], 'no cookie on a pending answer: nothing the cookie holds changed');
      seen.push(bankid.count('collect'));
      advance(1000);
    }
    assert.deepEqual(seen, [1, 1, 2, 2, 3, 3]);
  });

  test('the pace lives in the store, so replaying an old cookie does not buy an extra BankID collect', async () => {
    const { browser, bankid } = setup();
    const orderRef = await startedOrder(browser);
    const cookies = browser.cookieHeader();
    for (let i = 0; i < 5; i++) {
      await browser.post(`${API}/collect`, { orderRef }, { cookies: false, headers: { Cookie: cookies } });
    }
    assert.equal(bankid.count('collect'), 1);
  });

  test('collectEveryMs is configurable (at least 1000)', async () => {
    const { browser, bankid, advance } = setup({ collectEveryMs: 5000 });
    const orderRef = await startedOrder(browser);
    for (let i = 0; i < 6; i++) {
      await browser.collect(orderRef);
      advance(1000);
    }
    assert.equal(bankid.count('collect'), 2);
  });

  test('this-device pending answers carry no qr; a scanned QR order shows none either', async () => {
    const { browser, bankid } = setup();
    const self = await startedOrder(browser, 'this-device');
    assert.ok(!('qr' in (await browser.collect(self)).json));
    const other = await startedOrder(browser, 'other-device');
    bankid.queue('collect', pending('userSign'));
    const answer = await browser.collect(other);
    assert.equal(answer.json['hintCode'], 'userSign');
    assert.ok(!('qr' in answer.json));
  });

  test("a QR order's pending answers carry a fresh qr until a hint says the app has it, also for a hint BankID adds later", async () => {
    const { browser, bankid, advance } = setup();
    const orderRef = await startedOrder(browser, 'other-device');
    for (const hint of ['outstandingTransaction', 'noClient', 'someNewHint']) {
      advance(2000);
      bankid.queue('collect', pending(hint));
      const answer = await browser.collect(orderRef);
      assert.equal(answer.json['hintCode'], hint);
      assert.match(String(answer.json['qr']), /^bankid\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64}$/, hint);
    }
    for (const hint of ['started', 'userSign', 'userMrtd', 'userFace', 'userStepUp', 'processing']) {
      advance(2000);
      bankid.queue('collect', pending(hint));
      const answer = await browser.collect(orderRef);
      assert.equal(answer.json['hintCode'], hint);
      assert.ok(!('qr' in answer.json), hint);
    }
  });

  test('complete: {orderRef, status} only (completionData stays on the server); the cookie goes; the next collect → 400 without BankID', async () => {
    const { browser, bankid } = setup();
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', complete());
    const answer = await browser.collect(orderRef);
    assert.deepEqual(answer.json, { orderRef, status: 'complete' });
    assert.ok(!answer.text.includes(PERSONAL_NUMBER));
    assert.ok(answer.setCookies.some((line) => /^bankid-order-[0-9a-f]{10}=; .*Max-Age=0/.test(line)));
    const again = await browser.collect(orderRef);
    assert.equal(again.status, 400);
    assert.equal(bankid.count('collect'), 1);
  });

  test('failed: {status, hintCode} passed on, the cookie goes, later collects → 400 without BankID', async () => {
    const { browser, bankid, advance } = setup();
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', (ref: unknown) => ({ orderRef: ref, status: 'failed', hintCode: 'userCancel' }));
    const answer = await browser.collect(orderRef);
    assert.deepEqual(answer.json, { orderRef, status: 'failed', hintCode: 'userCancel' });
    assert.ok(answer.setCookies.some((line) => /Max-Age=0/.test(line)));
    advance(5000);
    assert.equal((await browser.collect(orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 1);
  });

  test('BankID errors: maintenance → 503 and the order lives on; invalidParameters → 400 and the order is forgotten', async () => {
    const { browser, bankid, advance } = setup();
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', new FakeRpError(503, 'maintenance'), new FakeNetworkError('down'));
    assert.equal((await browser.collect(orderRef)).json['errorCode'], 'maintenance');
    advance(2000);
    assert.equal((await browser.collect(orderRef)).json['errorCode'], 'bankidUnavailable');
    advance(2000);
    assert.equal((await browser.collect(orderRef)).status, 200, 'the order lives on');
    advance(2000);
    bankid.queue('collect', new FakeRpError(400, 'invalidParameters'));
    const gone = await browser.collect(orderRef);
    assert.equal(gone.status, 400);
    assert.ok(gone.setCookies.some((line) => /Max-Age=0/.test(line)));
  });

  test('an answer with an unknown status → 503; nothing crashes', async () => {
    const { browser, bankid } = setup();
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', { orderRef, status: 'weird' }, null);
    assert.equal((await browser.collect(orderRef)).status, 503);
  });

  test("an answer about another order → 503; that order's completion reaches no one", async () => {
    let completions = 0;
    const { browser, bankid, advance } = setup({ onComplete: () => ((completions += 1), {}) });
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', complete()('9b1f5c1e-7a1d-4f7e-9d59-0c3f2b9e1a44'));
    const answer = await browser.collect(orderRef);
    assert.equal(answer.status, 503);
    assert.equal(completions, 0);
    // The order itself lives on: the next answer, about it, completes it.
    advance(2000);
    bankid.queue('collect', complete()(orderRef));
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
    assert.equal(completions, 1);
  });
});

describe('completion: onComplete, the device, the risk', () => {
  test('onComplete gets the completion, the request and a reply; its object goes to the browser with its headers', async () => {
    const calls: Array<[Completion, Request, CompletionReply]> = [];
    const { browser, bankid } = setup({
      onComplete: (completion, request, reply) => {
        calls.push([completion, request, reply]);
        reply.headers.append('Set-Cookie', 'shop-session=abc; Path=/; HttpOnly; Secure; SameSite=Lax');
        return { redirect: '/mina-sidor', status: 'overridden?', orderRef: 'nope' };
      },
    });
    const orderRef = await startedOrder(browser, 'this-device');
    bankid.queue('collect', complete());
    const answer = await browser.collect(orderRef);
    assert.deepEqual(answer.json, { redirect: '/mina-sidor', orderRef, status: 'complete' });
    assert.ok(answer.setCookies.includes('shop-session=abc; Path=/; HttpOnly; Secure; SameSite=Lax'));
    assert.equal(calls.length, 1);
    const [completion, request] = calls[0]!;
    assert.equal(completion.orderRef, orderRef);
    assert.equal(completion.operation, 'auth');
    assert.equal(completion.flow, 'this-device');
    assert.equal(completion.completionData.user.personalNumber, PERSONAL_NUMBER);
    assert.equal(completion.deviceIpMatches, true);
    assert.equal(completion.startAddress, '127.0.0.1');
    assert.equal(completion.clientAddress, '127.0.0.1');
    assert.equal(new URL(request.url).pathname, `${API}/collect`);
  });

  test('onComplete throws → failed internalError, one log line without the error text; the order is not completable again', async () => {
    const { browser, bankid, logs } = setup({
      onComplete: () => {
        throw new Error(`database down for ${PERSONAL_NUMBER}`);
      },
    });
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', complete());
    const answer = await browser.collect(orderRef);
    assert.deepEqual(answer.json, { orderRef, status: 'failed', hintCode: 'internalError' });
    assert.match(logs.join('\n'), /onComplete threw/);
    assert.ok(!logs.join('\n').includes(PERSONAL_NUMBER));
  });

  test('exposeCompletionData: true sends completionData to the browser (the demo)', async () => {
    const { browser, bankid } = setup({ exposeCompletionData: true });
    const orderRef = await startedOrder(browser);
    bankid.queue('collect', complete());
    const answer = await browser.collect(orderRef);
    assert.equal((answer.json['completionData'] as any).user.personalNumber, PERSONAL_NUMBER);
  });

  test('a this-device order completed by an app at another IPv4 address → failed deviceMismatch; onComplete not called', async () => {
    let called = 0;
    const { browser, bankid, logs } = setup({ onComplete: () => void called++ });
    const orderRef = await startedOrder(browser, 'this-device');
    bankid.queue('collect', complete({ device: { ipAddress: '203.0.113.50' } }));
    const answer = await browser.collect(orderRef);
    assert.deepEqual(answer.json, { orderRef, status: 'failed', hintCode: 'deviceMismatch' });
    assert.equal(called, 0);
    assert.match(logs.join('\n'), /deviceMismatch/);
    assert.equal((await browser.collect(orderRef)).status, 400, 'and it stays refused');
  });

  test('a this-device order: the same address in another spelling matches; IPv6 vs IPv4 is flagged null to onComplete', async () => {
    const completions: Completion[] = [];
    const { backend, bankid } = setup({ onComplete: (completion) => void completions.push(completion) });
    const v6 = new Browser(backend, '2001:db8:0:0::1');
    const same = await startedOrder(v6, 'this-device');
    bankid.queue('collect', complete({ device: { ipAddress: '2001:DB8::1' } }));
    assert.equal((await v6.collect(same)).json['status'], 'complete');
    const other = await startedOrder(v6, 'this-device');
    bankid.queue('collect', complete({ device: { ipAddress: '198.51.100.4' } }));
    assert.equal((await v6.collect(other)).json['status'], 'complete');
    assert.deepEqual(
      completions.map((c) => c.deviceIpMatches),
      [true, null],
    );
  });

  test("deviceAddressCheck 'flag': onComplete decides, with deviceIpMatches false", async () => {
    const completions: Completion[] = [];
    const { browser, bankid } = setup({ deviceAddressCheck: 'flag', onComplete: (c) => void completions.push(c) });
    const orderRef = await startedOrder(browser, 'this-device');
    bankid.queue('collect', complete({ device: { ipAddress: '203.0.113.50' } }));
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
    assert.equal(completions[0]?.deviceIpMatches, false);
  });

  test('other-device orders complete wherever the phone is (deviceIpMatches is information only)', async () => {
    const completions: Completion[] = [];
    const { browser, bankid } = setup({ onComplete: (c) => void completions.push(c) });
    const orderRef = await startedOrder(browser, 'other-device');
    bankid.queue('collect', complete({ device: { ipAddress: '203.0.113.50' } }));
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
    assert.equal(completions[0]?.deviceIpMatches, false);
  });

  test("risk 'high' → failed highRisk unless acceptHighRisk; 'moderate' completes", async () => {
    for (const [risk, acceptHighRisk, status] of [
      ['high', false, 'failed'],
      ['high', true, 'complete'],
      ['moderate', false, 'complete'],
    ] as const) {
      const { browser, bankid } = setup({ acceptHighRisk });
      const orderRef = await startedOrder(browser);
      bankid.queue('collect', complete({ risk }));
      const answer = await browser.collect(orderRef);
      assert.equal(answer.json['status'], status, `${risk} ${acceptHighRisk}`);
      if (status === 'failed') assert.equal(answer.json['hintCode'], 'highRisk');
    }
  });
});

describe('cancel', () => {
  test("answers {}, calls BankID, deletes that order's cookie; later collects → 400 without BankID", async () => {
    const { browser, bankid, advance } = setup();
    const orderRef = await startedOrder(browser);
    const answer = await browser.cancel(orderRef);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, {});
    assert.equal(bankid.last('cancel') as unknown, orderRef);
    assert.ok(answer.setCookies.some((line) => /Max-Age=0/.test(line)));
    advance(3000);
    assert.equal((await browser.collect(orderRef)).status, 400);
    assert.equal(bankid.count('collect'), 0);
  });

  test("BankID's invalidParameters (already gone) is fine; other errors are passed on and the cookie stays", async () => {
    const { browser, bankid } = setup();
    const first = await startedOrder(browser);
    bankid.queue('cancel', new FakeRpError(400, 'invalidParameters'));
    assert.equal((await browser.cancel(first)).status, 200);
    const second = await startedOrder(browser);
    bankid.queue('cancel', new FakeRpError(503, 'maintenance'));
    const answer = await browser.cancel(second);
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.setCookies, []);
    assert.equal((await browser.collect(second)).status, 200);
  });
});
