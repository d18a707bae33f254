// BankID's rules for orders, driven through the RP API and the simulated app. Timeouts and collect
// windows are reached by moving the clock (`clock.t`), never by sleeping.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpError } from '../../server/rp-client.js';
import { qrPayload } from '../../server/qr-payload.js';
import {
  COMPLETE_KEPT_MS,
  DEMO_USER,
  FAILED_KEPT_MS,
  startSimulator,
  withCheckDigit,
  type AppRefusalReason,
} from '../index.js';
import { REFUSALS } from '../order-book.js';
import { authBody, b64, IP, rejectsWith, setup, sharedCertificates, T0 } from './support.js';

const refusal = (reason: AppRefusalReason) => ({ ok: false, reason, message: REFUSALS[reason] });
const NOBODY = '00000000-0000-4000-8000-000000000000';

/** The newest order's QR payload (it throws if there is none, which is a bug in the test). */
function shownQr(orders: Array<{ qr: string | null }>): string {
  const qr = orders[0]?.qr;
  assert.ok(qr, 'an order is waiting for a scan');
  return qr;
}

test('autostart: outstandingTransaction → started → userSign → complete with completionData', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  const collect = () => rp.collect(order.orderRef);

  assert.deepEqual(await collect(), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'outstandingTransaction',
  });
  clock.t += 5000;
  assert.deepEqual(sim.app.open({ autoStartToken: order.autoStartToken }), {
    ok: true,
    orderRef: order.orderRef,
    hintCode: 'started',
    replaced: [],
  });
  assert.deepEqual(await collect(), { orderRef: order.orderRef, status: 'pending', hintCode: 'started' });
  assert.equal(
    sim.app.open({ autoStartToken: order.autoStartToken }).ok,
    true,
    're-opening the same token is harmless',
  );
  clock.t += 1000;
  assert.deepEqual(await collect(), { orderRef: order.orderRef, status: 'pending', hintCode: 'userSign' });

  assert.deepEqual(sim.app.identify(order.orderRef), { ok: true, orderRef: order.orderRef, status: 'complete' });
  const done = await collect();
  assert.equal(done.status, 'complete');
  assert.equal('hintCode' in done, false);
  assert.ok(done.status === 'complete');
  const data = done.completionData;
  assert.deepEqual(data.user, DEMO_USER);
  assert.match(data.user.personalNumber, /^\d{12}$/);
  assert.equal(withCheckDigit(data.user.personalNumber.slice(0, 11)), data.user.personalNumber, 'valid check digit');
  assert.equal(data.device.ipAddress, IP, "the app's address defaults to the order's endUserIp");
  assert.equal(typeof data.device.uhi, 'string');
  assert.match(String(data.bankIdIssueDate), /^\d{4}-\d{2}-\d{2}$/);
  assert.match(Buffer.from(data.signature, 'base64').toString('utf8'), /^<\?xml[\s\S]*FAKE/);
  assert.ok(Buffer.from(data.ocspResponse, 'base64').length > 0);
  assert.equal('risk' in data, false, 'no risk without returnRisk');
  assert.equal('stepUp' in data, false, 'no stepUp without mrtd');
});

test('collect gives the final state once: a second collect of a complete or failed order is invalidParameters', async () => {
  const { rp, sim } = await setup();
  const done = await rp.auth(authBody());
  sim.app.open({ autoStartToken: done.autoStartToken });
  sim.app.identify(done.orderRef);
  assert.equal(sim.orders()[0]?.collected, false);
  assert.equal((await rp.collect(done.orderRef)).status, 'complete');
  assert.equal(sim.orders()[0]?.collected, true);
  await rejectsWith(rp.collect(done.orderRef), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /already collected/,
  });
  assert.equal(sim.orders()[0]?.status, 'complete', 'the order still shows in orders() within its window');

  const failed = await rp.auth(authBody());
  sim.app.open({ autoStartToken: failed.autoStartToken });
  sim.app.cancel(failed.orderRef);
  assert.deepEqual(await rp.collect(failed.orderRef), {
    orderRef: failed.orderRef,
    status: 'failed',
    hintCode: 'userCancel',
  });
  await rejectsWith(rp.collect(failed.orderRef), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /already collected/,
  });

  // Pending answers repeat as often as the RP asks.
  const pending = await rp.auth(authBody());
  for (let i = 0; i < 3; i++) assert.equal((await rp.collect(pending.orderRef)).status, 'pending');
});

test('completionData.risk: only with returnRisk; the value identify was given, else low', async () => {
  const { rp, sim } = await setup();
  const risky = await rp.auth(authBody({ returnRisk: true }));
  sim.app.open({ autoStartToken: risky.autoStartToken });
  sim.app.identify(risky.orderRef); // acting ends `started` at once
  const low = await rp.collect(risky.orderRef);
  assert.ok(low.status === 'complete');
  assert.equal(low.completionData.risk, 'low');

  const high = await rp.auth(authBody({ returnRisk: true }));
  sim.app.open({ autoStartToken: high.autoStartToken });
  assert.equal(sim.app.identify(undefined, { risk: 'high' }).ok, true);
  const answer = await rp.collect(high.orderRef);
  assert.ok(answer.status === 'complete');
  assert.equal(answer.completionData.risk, 'high');

  const silent = await rp.auth(authBody());
  sim.app.open({ autoStartToken: silent.autoStartToken });
  sim.app.identify(silent.orderRef, { risk: 'moderate' });
  const none = await rp.collect(silent.orderRef);
  assert.ok(none.status === 'complete');
  assert.equal('risk' in none.completionData, false, 'no returnRisk, no risk');

  assert.throws(() => sim.app.identify(undefined, { risk: 'extreme' as never }), TypeError);
});

test("device.ipAddress: the address the user's app has; default the order's endUserIp; not an IP is a TypeError", async () => {
  const { rp, sim } = await setup();
  const byQr = await rp.auth(authBody());
  assert.equal(sim.app.scan(shownQr(sim.orders()), { ipAddress: '198.51.100.7' }).ok, true);
  sim.app.identify(byQr.orderRef);
  const qrDone = await rp.collect(byQr.orderRef);
  assert.ok(qrDone.status === 'complete');
  assert.equal(qrDone.completionData.device.ipAddress, '198.51.100.7');

  const byLink = await rp.auth(authBody());
  assert.equal(sim.app.open({ autoStartToken: byLink.autoStartToken, ipAddress: '2001:db8::7' }).ok, true);
  sim.app.identify(byLink.orderRef);
  const linkDone = await rp.collect(byLink.orderRef);
  assert.ok(linkDone.status === 'complete');
  assert.equal(linkDone.completionData.device.ipAddress, '2001:db8::7');

  const other = await rp.auth(authBody());
  assert.throws(() => sim.app.open({ autoStartToken: other.autoStartToken, ipAddress: 'phone' }), TypeError);
  assert.throws(() => sim.app.scan(shownQr(sim.orders()), { ipAddress: '300.1.1.1' }), TypeError);
  assert.equal(sim.orders()[0]?.pickedUpBy, null, 'a refused argument picks nothing up');
});

test("QR: a scan of the current payload picks the order up (userSign); the RP's lagging second is accepted", async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  clock.t += 1500;
  const shown = shownQr(sim.orders());
  assert.equal(shown, qrPayload(order.qrStartToken, order.qrStartSecret, 1), 'orders() shows the payload valid now');
  assert.equal(sim.app.scan(shown).ok, true);
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userSign',
  });
  assert.equal(sim.orders()[0]?.qr, null, 'no QR once picked up');
  assert.equal(sim.orders()[0]?.pickedUpBy, 'qr');
  assert.deepEqual(sim.app.scan(shown), refusal('already-picked-up'));

  const second = await rp.auth(authBody());
  clock.t += 2500; // the simulator is at qrTime 2; an RP that started counting a bit later shows 1
  assert.equal(sim.app.scan(qrPayload(second.qrStartToken, second.qrStartSecret, 1)).ok, true);
});

test('QR: stale, wrong, unknown and malformed payloads are refused and leave the order untouched', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  const first = shownQr(sim.orders()); // qrTime 0
  clock.t += 2000;
  assert.deepEqual(sim.app.scan(first), refusal('stale'));
  assert.deepEqual(
    sim.app.scan(qrPayload(order.qrStartToken, order.qrStartSecret, 3)),
    refusal('stale'),
    'not from the future either',
  );
  assert.deepEqual(sim.app.scan(qrPayload(order.qrStartToken, 'another-secret', 2)), refusal('bad-code'));
  assert.deepEqual(sim.app.scan(qrPayload(NOBODY, order.qrStartSecret, 2)), refusal('unknown'));
  assert.deepEqual(sim.app.scan('bankid:///?autostarttoken=x'), refusal('malformed'));
  assert.deepEqual(sim.app.scan(undefined as unknown as string), refusal('malformed'));
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'outstandingTransaction',
  });
  assert.equal(sim.orders()[0]?.pickedUpBy, null);
});

test('checkQr: says what a scan would say without picking the order up', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  clock.t += 3200;
  const now = qrPayload(order.qrStartToken, order.qrStartSecret, 3);
  assert.deepEqual(sim.app.checkQr(now), { ok: true, orderRef: order.orderRef, qrTime: 3 });
  assert.deepEqual(sim.app.checkQr(qrPayload(order.qrStartToken, order.qrStartSecret, 2)), {
    ok: true,
    orderRef: order.orderRef,
    qrTime: 2,
  });
  assert.deepEqual(sim.app.checkQr(qrPayload(order.qrStartToken, order.qrStartSecret, 1)), refusal('stale'));
  assert.deepEqual(sim.app.checkQr(qrPayload(order.qrStartToken, 'wrong', 3)), refusal('bad-code'));
  assert.deepEqual(sim.app.checkQr(qrPayload(NOBODY, order.qrStartSecret, 3)), refusal('unknown'));
  assert.deepEqual(sim.app.checkQr('hello'), refusal('malformed'));
  assert.equal(sim.orders()[0]?.pickedUpBy, null, 'checking picked nothing up');
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');

  sim.app.scan(now);
  assert.deepEqual(sim.app.checkQr(now), refusal('already-picked-up'));
});

test('mrtd: userMrtd first, identify passes it, then userSign, then complete with stepUp', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody({ requirement: { mrtd: true } }));
  sim.app.scan(shownQr(sim.orders()));
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userMrtd',
  });
  assert.deepEqual(sim.app.wrongCode(order.orderRef), refusal('not-at-security-code'));
  assert.deepEqual(sim.app.identify(order.orderRef), {
    ok: true,
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userSign',
  });
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userSign',
  });
  sim.app.identify(order.orderRef);
  const done = await rp.collect(order.orderRef);
  assert.ok(done.status === 'complete');
  assert.deepEqual(done.completionData.stepUp, { mrtd: true });
});

test('startFailed once pickupTimeoutMs passes without pickup', async () => {
  const { rp, sim, clock } = await setup({ pickupTimeoutMs: 30_000 });
  const order = await rp.auth(authBody());
  clock.t += 29_999;
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');
  const lastQr = shownQr(sim.orders());
  clock.t += 1;
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'failed',
    hintCode: 'startFailed',
  });
  assert.deepEqual(sim.app.scan(lastQr), refusal('unknown'));
  assert.deepEqual(sim.app.open({ autoStartToken: order.autoStartToken }), refusal('unknown'));
});

test('expiredTransaction once signTimeoutMs passes after pickup', async () => {
  const { rp, sim, clock } = await setup({ signTimeoutMs: 180_000 });
  const order = await rp.auth(authBody());
  clock.t += 20_000;
  sim.app.open({ autoStartToken: order.autoStartToken });
  clock.t += 179_999;
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userSign',
  });
  clock.t += 1;
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'failed',
    hintCode: 'expiredTransaction',
  });
  assert.deepEqual(sim.app.identify(order.orderRef), refusal('ended'));
});

test('a timeout is dated to when it was due, not to when someone looked', async () => {
  const { rp, sim, clock } = await setup({ pickupTimeoutMs: 30_000 });
  const order = await rp.auth(authBody());
  clock.t += 30_000 + FAILED_KEPT_MS - 1; // nobody looked in between
  assert.equal((await rp.collect(order.orderRef)).status, 'failed');
  const late = await rp.auth(authBody());
  clock.t += 1;
  await rejectsWith(rp.collect(order.orderRef), RpError, { errorCode: 'invalidParameters', details: /No such order/ });
  assert.deepEqual(
    sim.orders().map((o) => o.orderRef),
    [late.orderRef],
  );
});

test('userCancel when the user cancels in the app (only once the app has the order)', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  assert.deepEqual(sim.app.cancel(order.orderRef), refusal('not-picked-up'));
  assert.deepEqual(sim.app.identify(order.orderRef), refusal('not-picked-up'));
  sim.app.scan(shownQr(sim.orders()));
  assert.deepEqual(sim.app.cancel(order.orderRef), {
    ok: true,
    orderRef: order.orderRef,
    status: 'failed',
    hintCode: 'userCancel',
  });
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'failed',
    hintCode: 'userCancel',
  });
  assert.deepEqual(sim.app.cancel('no-such-order'), refusal('unknown'));
});

test('wrong security codes: still userSign, the third in a row → certificateErr', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  sim.app.open({ autoStartToken: order.autoStartToken });
  const first = sim.app.wrongCode(order.orderRef);
  assert.ok(first.ok);
  assert.equal(first.wrongCodes, 1);
  assert.deepEqual(
    await rp.collect(order.orderRef),
    { orderRef: order.orderRef, status: 'pending', hintCode: 'userSign' },
    'a wrong code ends `started`',
  );
  const second = sim.app.wrongCode(order.orderRef);
  assert.ok(second.ok);
  assert.equal(second.hintCode, 'userSign');
  assert.deepEqual(sim.app.wrongCode(order.orderRef), {
    ok: true,
    orderRef: order.orderRef,
    wrongCodes: 3,
    status: 'failed',
    hintCode: 'certificateErr',
  });
  assert.deepEqual(await rp.collect(order.orderRef), {
    orderRef: order.orderRef,
    status: 'failed',
    hintCode: 'certificateErr',
  });
});

test('without an orderRef the app acts on the newest order it holds; with none it says no-order', async () => {
  const { rp, sim, clock } = await setup();
  assert.deepEqual(sim.app.identify(), refusal('no-order'));
  assert.deepEqual(sim.app.wrongCode(), refusal('no-order'));
  assert.deepEqual(sim.app.cancel(), refusal('no-order'));
  const waiting = await rp.auth(authBody());
  assert.deepEqual(sim.app.identify(), refusal('no-order'), 'an order nobody picked up is not in the app');

  clock.t += 10;
  const held = await rp.auth(authBody());
  sim.app.open({ autoStartToken: held.autoStartToken });
  assert.equal(sim.app.wrongCode().ok, true);
  assert.deepEqual(sim.app.identify(), { ok: true, orderRef: held.orderRef, status: 'complete' });
  assert.deepEqual(sim.app.cancel(), refusal('no-order'), 'the completed order is no longer pending');
  assert.equal((await rp.collect(waiting.orderRef)).status, 'pending');
  assert.throws(() => sim.app.identify(''), TypeError);
});

test('alreadyInProgress for a second order with the same requirement.personalNumber', async () => {
  const { rp } = await setup();
  const pnr = DEMO_USER.personalNumber;
  const first = await rp.auth(authBody({ requirement: { personalNumber: pnr } }));
  await rejectsWith(rp.sign(authBody({ userVisibleData: b64('x'), requirement: { personalNumber: pnr } })), RpError, {
    status: 400,
    errorCode: 'alreadyInProgress',
  });
  await rp.auth(authBody({ requirement: { personalNumber: withCheckDigit('19900101123') } })); // someone else: fine
  await rp.cancel(first.orderRef);
  await rp.auth(authBody({ requirement: { personalNumber: pnr } })); // no longer live: fine
});

test('a new order picked up by the same user cancels the earlier one (cancelled)', async () => {
  const { rp, sim } = await setup();
  const first = await rp.auth(authBody());
  sim.app.open({ autoStartToken: first.autoStartToken });
  const bystander = await rp.auth(authBody()); // nobody has it: not the user's
  const second = await rp.auth(authBody());
  const picked = sim.app.open({ autoStartToken: second.autoStartToken });
  assert.ok(picked.ok);
  assert.deepEqual(picked.replaced, [first.orderRef]);
  assert.deepEqual(await rp.collect(first.orderRef), {
    orderRef: first.orderRef,
    status: 'failed',
    hintCode: 'cancelled',
  });
  assert.deepEqual(await rp.collect(bystander.orderRef), {
    orderRef: bystander.orderRef,
    status: 'pending',
    hintCode: 'outstandingTransaction',
  });
  assert.deepEqual(await rp.collect(second.orderRef), {
    orderRef: second.orderRef,
    status: 'pending',
    hintCode: 'started',
  });

  // An order restricted to another person cannot be picked up by this app.
  const other = await rp.auth(authBody({ requirement: { personalNumber: withCheckDigit('19900101123') } }));
  assert.deepEqual(sim.app.open({ autoStartToken: other.autoStartToken }), refusal('wrong-user'));
});

test('collect windows: complete for 3 min, failed for 5 min, then invalidParameters; orders are pruned', async () => {
  const { rp, sim, clock } = await setup();
  const done = await rp.auth(authBody());
  sim.app.open({ autoStartToken: done.autoStartToken });
  sim.app.identify(done.orderRef);
  const failed = await rp.auth(authBody()); // startFailed at +30 s
  const failedAt = clock.t + 30_000;
  const expired = await rp.auth(authBody());

  clock.t += COMPLETE_KEPT_MS - 1;
  assert.equal((await rp.collect(done.orderRef)).status, 'complete', 'the final answer is there until the window ends');
  clock.t += 1;
  assert.ok(
    sim.orders().every((o) => o.orderRef !== done.orderRef),
    'gone from orders() after 3 min',
  );
  await rejectsWith(rp.collect(done.orderRef), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /No such order/,
  });

  clock.t = failedAt + FAILED_KEPT_MS - 1;
  assert.deepEqual(await rp.collect(failed.orderRef), {
    orderRef: failed.orderRef,
    status: 'failed',
    hintCode: 'startFailed',
  });
  clock.t += 1;
  await rejectsWith(rp.collect(failed.orderRef), RpError, { status: 400, errorCode: 'invalidParameters' });
  await rejectsWith(rp.collect(expired.orderRef), RpError, { status: 400, errorCode: 'invalidParameters' });
  assert.deepEqual(sim.orders(), []);

  await rejectsWith(rp.collect(NOBODY), RpError, { errorCode: 'invalidParameters' });
  await rejectsWith(rp.collect(''), RpError, { errorCode: 'invalidParameters', details: /orderRef/ });
});

test('cancel: {} for a pending order, then collect and a second cancel answer invalidParameters', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  assert.deepEqual(await rp.cancel(order.orderRef), {});
  await rejectsWith(rp.cancel(order.orderRef), RpError, { status: 400, errorCode: 'invalidParameters' });
  await rejectsWith(rp.collect(order.orderRef), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /No such order/,
  });
  assert.deepEqual(sim.orders(), []);

  const finished = await rp.auth(authBody());
  sim.app.open({ autoStartToken: finished.autoStartToken });
  sim.app.identify(finished.orderRef);
  await rejectsWith(rp.cancel(finished.orderRef), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /complete/,
  });
  await rejectsWith(rp.cancel('unknown'), RpError, { errorCode: 'invalidParameters' });
});

test("orders(): the simulator's view, newest first, with what the RP sent and never the secret", async () => {
  const { rp, sim, clock } = await setup();
  const web = { referringDomain: 'shop.example', userAgent: 'Mozilla/5.0 (X11)', deviceIdentifier: 'abc' };
  const a = await rp.sign(
    authBody({
      userVisibleData: b64('Signera avtal nr 7'),
      returnUrl: 'https://shop.example/back',
      returnRisk: true,
      web,
    }),
  );
  clock.t += 10;
  const b = await rp.auth({ endUserIp: '2001:db8::5' });
  const list = sim.orders();
  assert.deepEqual(
    list.map((o) => o.orderRef),
    [b.orderRef, a.orderRef],
  );
  assert.deepEqual(list[1], {
    orderRef: a.orderRef,
    type: 'sign',
    status: 'pending',
    hintCode: 'outstandingTransaction',
    createdAt: T0,
    pickedUpBy: null,
    qr: qrPayload(a.qrStartToken, a.qrStartSecret, 0),
    autoStartToken: a.autoStartToken,
    userVisibleText: 'Signera avtal nr 7',
    endUserIp: IP,
    returnUrl: 'https://shop.example/back',
    returnRisk: true,
    web,
    collected: false,
    rpCollects: [],
  });
  assert.deepEqual(
    {
      endUserIp: list[0]?.endUserIp,
      returnUrl: list[0]?.returnUrl,
      returnRisk: list[0]?.returnRisk,
      web: list[0]?.web,
      type: list[0]?.type,
    },
    { endUserIp: '2001:db8::5', returnUrl: null, returnRisk: false, web: null, type: 'auth' },
  );
  assert.ok(!JSON.stringify(list).includes(a.qrStartSecret));
  assert.ok(!JSON.stringify(list).includes(b.qrStartSecret));

  (list[1]?.web as Record<string, unknown>)['userAgent'] = 'changed';
  assert.deepEqual(sim.orders()[1]?.web, web, 'a view is a copy');
});

test('orders(): rpCollects holds the now() times of the last 50 collects', async () => {
  const { rp, sim, clock } = await setup({ pickupTimeoutMs: 120_000 });
  const order = await rp.auth(authBody());
  for (let i = 0; i < 55; i++) {
    await rp.collect(order.orderRef);
    clock.t += 1000;
  }
  const times = sim.orders()[0]?.rpCollects ?? [];
  assert.equal(times.length, 50);
  assert.equal(times[0], T0 + 5000);
  assert.equal(times[49], T0 + 54_000);
  await rejectsWith(rp.collect('another'), RpError, { errorCode: 'invalidParameters' });
  assert.equal(sim.orders()[0]?.rpCollects.length, 50, 'a collect of another order is not counted here');
});

test('findLeaks: the qrStartSecret of an order, and the personal number or name of the user, in a text', async () => {
  const { rp, sim, clock } = await setup();
  const a = await rp.auth(authBody());
  clock.t += 10;
  const b = await rp.auth(authBody());
  const pnr = DEMO_USER.personalNumber;

  assert.deepEqual(sim.app.findLeaks('{"status":"pending","qr":"bankid.x.0.abc"}'), []);
  assert.deepEqual(sim.app.findLeaks(`{"secret":"${a.qrStartSecret}"}`), [
    { orderRef: a.orderRef, field: 'qrStartSecret' },
  ]);
  const personal = sim.app.findLeaks(`<p>${DEMO_USER.name}, ${pnr.slice(2, 8)}-${pnr.slice(8)}</p>`);
  assert.deepEqual(personal, [
    { orderRef: b.orderRef, field: 'personalNumber' },
    { orderRef: b.orderRef, field: 'name' },
    { orderRef: a.orderRef, field: 'personalNumber' },
    { orderRef: a.orderRef, field: 'name' },
  ]);
  for (const spelling of [pnr, `${pnr.slice(0, 8)}-${pnr.slice(8)}`, pnr.slice(2)]) {
    assert.equal(sim.app.findLeaks(spelling).filter((leak) => leak.field === 'personalNumber').length, 2, spelling);
  }
  assert.throws(() => sim.app.findLeaks(42 as unknown as string), TypeError);
});

test('user: another simulated user shows in completionData and findLeaks; a broken one is a TypeError', async () => {
  const user = { personalNumber: withCheckDigit('19700101123'), name: 'Åsa Öberg', givenName: 'Åsa', surname: 'Öberg' };
  const { rp, sim } = await setup({ user });
  assert.deepEqual(sim.app.user, user);
  const order = await rp.auth(authBody());
  sim.app.open({ autoStartToken: order.autoStartToken });
  sim.app.identify();
  const done = await rp.collect(order.orderRef);
  assert.ok(done.status === 'complete');
  assert.deepEqual(done.completionData.user, user);
  assert.deepEqual(sim.app.findLeaks('Åsa Öberg'), [{ orderRef: order.orderRef, field: 'name' }]);

  const certDir = sharedCertificates().dir;
  await assert.rejects(startSimulator({ certDir, user: { ...user, personalNumber: '123' } }), TypeError);
  await assert.rejects(startSimulator({ certDir, user: { ...user, name: '' } }), TypeError);
});

test('random: orderRefs and tokens come from the injected maker', async () => {
  let n = 0;
  const { rp } = await setup({ random: () => `id-${++n}` });
  const order = await rp.auth(authBody());
  assert.deepEqual(order, { orderRef: 'id-2', autoStartToken: 'id-3', qrStartToken: 'id-4', qrStartSecret: 'id-5' });
});

test("the app's own steps and failures (face recognition, step-up, no NFC …): showHint, then identify or failWith", async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  assert.equal(sim.app.showHint('userFace').ok, false, 'nobody has the order yet');
  sim.app.open({ autoStartToken: order.autoStartToken });
  assert.deepEqual(sim.app.showHint('userFace'), {
    ok: true,
    orderRef: order.orderRef,
    status: 'pending',
    hintCode: 'userFace',
  });
  assert.equal(hintOf(await rp.collect(order.orderRef)), 'userFace');
  sim.app.showHint('processing', order.orderRef);
  assert.equal(hintOf(await rp.collect(order.orderRef)), 'processing');
  assert.equal(statusOf(sim.app.identify(order.orderRef)), 'complete', 'identify finishes from any step');

  const second = await rp.auth(authBody());
  sim.app.open({ autoStartToken: second.autoStartToken });
  sim.app.showHint('userStepUp');
  assert.deepEqual(sim.app.failWith('stepUpFailed'), {
    ok: true,
    orderRef: second.orderRef,
    status: 'failed',
    hintCode: 'stepUpFailed',
  });
  assert.deepEqual(await rp.collect(second.orderRef), {
    orderRef: second.orderRef,
    status: 'failed',
    hintCode: 'stepUpFailed',
  });

  assert.throws(() => sim.app.showHint('<b>'), /hintCode must be a hint code/);
  assert.throws(() => sim.app.failWith(''), /hintCode/);
});

/** The hint code of a collect answer, whatever its status. */
function hintOf(answer: object): string | undefined {
  return (answer as { hintCode?: string }).hintCode;
}

/** The status in an app's answer, if it has one. */
function statusOf(result: object): string | undefined {
  return (result as { status?: string }).status;
}
