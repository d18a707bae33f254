// The app API over HTTP: the same operations as sim.app, JSON in and out, behind a secret path.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qrPayload } from '../../server/qr-payload.js';
import { DEMO_USER } from '../index.js';
import { REFUSALS } from '../order-book.js';
import { appCall, authBody, setup } from './support.js';

test('appUrl is http on loopback under a 32-byte base64url secret', async () => {
  const { sim } = await setup();
  assert.match(sim.appSecret, /^[A-Za-z0-9_-]{43}$/);
  assert.match(sim.appUrl, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${sim.appSecret}/$`));
  const other = await setup();
  assert.notEqual(other.sim.appSecret, sim.appSecret);
});

test('GET orders: {orders, injection, pickupTimeoutMs}; HEAD too, without a body', async () => {
  const { sim, rp } = await setup({ pickupTimeoutMs: 12_000 });
  const order = await rp.auth(authBody());
  const answer = await appCall(sim, 'GET', 'orders');
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(answer.body).sort(), ['injection', 'orders', 'pickupTimeoutMs']);
  assert.equal(answer.body['pickupTimeoutMs'], 12_000);
  assert.deepEqual(answer.body['orders'], JSON.parse(JSON.stringify(sim.orders())));
  assert.equal((answer.body['orders'] as Array<{ orderRef: string }>)[0]?.orderRef, order.orderRef);
  assert.deepEqual(answer.body['injection'], {
    error: null,
    delayMs: 0,
    endpoints: ['auth', 'sign', 'collect', 'cancel'],
    count: null,
    active: false,
  });
  assert.ok(!JSON.stringify(answer.body).includes(order.qrStartSecret));

  const head = await fetch(new URL('orders', sim.appUrl), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

test('a whole login over HTTP: scan (no payload = the code shown now), identify; the RP collects complete', async () => {
  const { sim, rp } = await setup();
  const order = await rp.auth(authBody());
  const scan = await appCall(sim, 'POST', 'scan', {});
  assert.equal(scan.status, 200);
  assert.deepEqual(scan.body, {
    ok: true,
    orderRef: order.orderRef,
    hintCode: 'userSign',
    replaced: [],
    payload: qrPayload(order.qrStartToken, order.qrStartSecret, 0),
  });
  const identify = await appCall(sim, 'POST', 'identify', {});
  assert.deepEqual(identify, {
    ...identify,
    status: 200,
    body: { ok: true, orderRef: order.orderRef, status: 'complete' },
  });
  const done = await rp.collect(order.orderRef);
  assert.ok(done.status === 'complete');
  assert.deepEqual(done.completionData.user, DEMO_USER);
});

test('scan: a given payload, an orderRef, an ipAddress; refusals are 409 with a reason and a message', async () => {
  const { sim, rp, clock } = await setup();
  assert.deepEqual((await appCall(sim, 'POST', 'scan', {})).body, {
    ok: false,
    reason: 'no-qr',
    message: REFUSALS['no-qr'],
  });

  const first = await rp.auth(authBody());
  clock.t += 10;
  const second = await rp.auth(authBody());
  const byRef = await appCall(sim, 'POST', 'scan', { orderRef: first.orderRef, ipAddress: '203.0.113.9' });
  assert.equal(byRef.status, 200);
  assert.equal(byRef.body['orderRef'], first.orderRef, 'the order named, not the newest');

  const again = await appCall(sim, 'POST', 'scan', { orderRef: first.orderRef });
  assert.equal(again.status, 409);
  assert.deepEqual(again.body, { ok: false, reason: 'already-picked-up', message: REFUSALS['already-picked-up'] });
  const unknown = await appCall(sim, 'POST', 'scan', { orderRef: 'nope' });
  assert.deepEqual([unknown.status, unknown.body['reason']], [409, 'unknown']);

  clock.t += 2000;
  const stale = await appCall(sim, 'POST', 'scan', {
    payload: qrPayload(second.qrStartToken, second.qrStartSecret, 0),
  });
  assert.equal(stale.status, 409);
  assert.deepEqual(stale.body, {
    ok: false,
    reason: 'stale',
    message: REFUSALS.stale,
    payload: qrPayload(second.qrStartToken, second.qrStartSecret, 0),
  });
  assert.equal(typeof stale.body['message'], 'string');

  sim.app.identify(first.orderRef);
  const done = await rp.collect(first.orderRef);
  assert.ok(done.status === 'complete');
  assert.equal(done.completionData.device.ipAddress, '203.0.113.9');

  const ended = await appCall(sim, 'POST', 'scan', { orderRef: first.orderRef });
  assert.deepEqual([ended.status, ended.body['reason']], [409, 'ended']);

  for (const body of [{ payload: 42 }, { payload: 'x'.repeat(301) }, { ipAddress: 'my phone' }, { orderRef: 7 }]) {
    const bad = await appCall(sim, 'POST', 'scan', body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.equal(bad.body['errorCode'], 'invalidParameters');
  }
});

test('open, wrong-code, cancel and identify with risk over HTTP', async () => {
  const { sim, rp } = await setup();
  const order = await rp.auth(authBody({ returnRisk: true }));
  const open = await appCall(sim, 'POST', 'open', { autoStartToken: order.autoStartToken, ipAddress: '2001:db8::9' });
  assert.deepEqual(
    [open.status, open.body],
    [200, { ok: true, orderRef: order.orderRef, hintCode: 'started', replaced: [] }],
  );
  const wrong = await appCall(sim, 'POST', 'wrong-code', { orderRef: order.orderRef });
  assert.deepEqual(wrong.body, {
    ok: true,
    orderRef: order.orderRef,
    wrongCodes: 1,
    status: 'pending',
    hintCode: 'userSign',
  });
  const identify = await appCall(sim, 'POST', 'identify', { risk: 'moderate' });
  assert.equal(identify.status, 200);
  const done = await rp.collect(order.orderRef);
  assert.ok(done.status === 'complete');
  assert.equal(done.completionData.risk, 'moderate');
  assert.equal(done.completionData.device.ipAddress, '2001:db8::9');

  const cancelled = await rp.auth(authBody());
  await appCall(sim, 'POST', 'open', { autoStartToken: cancelled.autoStartToken });
  const cancel = await appCall(sim, 'POST', 'cancel', {});
  assert.deepEqual(cancel.body, { ok: true, orderRef: cancelled.orderRef, status: 'failed', hintCode: 'userCancel' });
  const none = await appCall(sim, 'POST', 'cancel', {});
  assert.deepEqual([none.status, none.body], [409, { ok: false, reason: 'no-order', message: REFUSALS['no-order'] }]);

  for (const [operation, body] of [
    ['open', {}],
    ['open', { autoStartToken: 'x', ipAddress: '1.2.3' }],
    ['identify', { risk: 'extreme' }],
    ['wrong-code', { orderRef: '' }],
    ['cancel', { orderRef: 'x'.repeat(101) }],
  ] as const) {
    const bad = await appCall(sim, 'POST', operation, body);
    assert.equal(bad.status, 400, `${operation} ${JSON.stringify(body)}`);
    assert.equal(bad.body['errorCode'], 'invalidParameters');
  }
  const gone = await appCall(sim, 'POST', 'open', { autoStartToken: 'no-such-token' });
  assert.deepEqual([gone.status, gone.body['reason']], [409, 'unknown']);
});

test('check-qr and leaks over HTTP', async () => {
  const { sim, rp, clock } = await setup();
  const order = await rp.auth(authBody());
  clock.t += 1000;
  const now = qrPayload(order.qrStartToken, order.qrStartSecret, 1);
  assert.deepEqual((await appCall(sim, 'POST', 'check-qr', { payload: now })).body, {
    ok: true,
    orderRef: order.orderRef,
    qrTime: 1,
  });
  const bad = await appCall(sim, 'POST', 'check-qr', { payload: qrPayload(order.qrStartToken, 'guess', 1) });
  assert.deepEqual([bad.status, bad.body['reason']], [409, 'bad-code']);
  assert.equal((await appCall(sim, 'POST', 'check-qr', {})).status, 400);
  assert.equal(sim.orders()[0]?.pickedUpBy, null);

  const page = `<html>${'x'.repeat(100_000)}<script>const s = "${order.qrStartSecret}"</script></html>`;
  const leaks = await appCall(sim, 'POST', 'leaks', { text: page });
  assert.deepEqual(
    [leaks.status, leaks.body],
    [200, { leaks: [{ orderRef: order.orderRef, field: 'qrStartSecret' }] }],
  );
  assert.deepEqual((await appCall(sim, 'POST', 'leaks', { text: 'nothing here' })).body, { leaks: [] });
  assert.equal((await appCall(sim, 'POST', 'leaks', {})).status, 400);
  const huge = await appCall(sim, 'POST', 'leaks', { text: 'x'.repeat(300 * 1024) });
  assert.equal(huge.status, 413);
});

test('inject over HTTP: GET the setting, POST a new one (count null = until cleared), bad values are 400', async () => {
  const { sim, rp } = await setup();
  const set = await appCall(sim, 'POST', 'inject', {
    error: 'maintenance',
    delayMs: 0,
    count: 2,
    endpoints: ['collect'],
  });
  assert.deepEqual(
    [set.status, set.body],
    [200, { error: 'maintenance', delayMs: 0, endpoints: ['collect'], count: 2, active: true }],
  );
  assert.deepEqual(sim.injection(), { error: 'maintenance', delayMs: 0, endpoints: ['collect'], count: 2 });
  await assert.rejects(rp.collect('x'), { status: 503 });
  assert.equal((await appCall(sim, 'GET', 'inject')).body['count'], 1);

  const forever = await appCall(sim, 'POST', 'inject', { error: 'tooManyRequests', delayMs: 10, count: null });
  assert.deepEqual(forever.body, {
    error: 'tooManyRequests',
    delayMs: 10,
    endpoints: ['auth', 'sign', 'collect', 'cancel'],
    count: null,
    active: true,
  });
  assert.equal(sim.injection().count, Infinity);
  const cleared = await appCall(sim, 'POST', 'inject', { error: 'none', delayMs: 0 });
  assert.deepEqual(cleared.body, {
    error: null,
    delayMs: 0,
    endpoints: ['auth', 'sign', 'collect', 'cancel'],
    count: null,
    active: false,
  });

  for (const body of [
    { error: 'teapot' },
    { error: 'maintenance', delayMs: '5' },
    { error: 'maintenance', delayMs: -1 },
    { error: 'maintenance', count: 0 },
    { error: 'maintenance', count: 'many' },
    { error: 'maintenance', endpoints: ['payment'] },
    { error: 'maintenance', endpoints: 'collect' },
    { error: 42 },
  ]) {
    const bad = await appCall(sim, 'POST', 'inject', body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.equal(bad.body['errorCode'], 'invalidParameters');
  }
  assert.equal(sim.injection().error, null, 'refused settings changed nothing');
});

test('HTTP rules: wrong secret or unknown operation 404, wrong method 405 with Allow, not JSON 415, bad JSON 400, too large 413', async () => {
  const { sim } = await setup();
  const origin = new URL(sim.appUrl).origin;
  const wrongSecret = sim.appSecret.slice(0, -1) + (sim.appSecret.endsWith('A') ? 'B' : 'A');
  for (const where of [
    `/${wrongSecret}/orders`,
    `/${sim.appSecret}/payment`,
    `/${sim.appSecret}/`,
    `/${sim.appSecret}/orders/x`,
    '/orders',
    `/x/${sim.appSecret}/orders`,
  ]) {
    const answer = await fetch(new URL(where, origin));
    assert.equal(answer.status, 404, where);
    assert.equal(((await answer.json()) as Record<string, unknown>)['errorCode'], 'notFound');
  }

  const get = await appCall(sim, 'GET', 'scan');
  assert.deepEqual([get.status, get.headers.get('allow'), get.body['errorCode']], [405, 'POST', 'methodNotAllowed']);
  const post = await appCall(sim, 'POST', 'orders', {});
  assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
  const put = await appCall(sim, 'PUT', 'inject', {});
  assert.deepEqual([put.status, put.headers.get('allow')], [405, 'GET, HEAD, POST']);

  const text = await fetch(new URL('identify', sim.appUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: '{}',
  });
  assert.equal(text.status, 415);
  const none = await fetch(new URL('identify', sim.appUrl), { method: 'POST' });
  assert.equal(none.status, 415, 'no Content-Type is not JSON either');

  const empty = await fetch(new URL('identify', sim.appUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
  });
  assert.deepEqual(
    await empty.json(),
    { ok: false, reason: 'no-order', message: REFUSALS['no-order'] },
    'an empty body is {}',
  );
  const broken = await appCall(sim, 'POST', 'identify', '{"orderRef": ');
  assert.deepEqual([broken.status, broken.body['errorCode']], [400, 'invalidParameters']);
  const list = await appCall(sim, 'POST', 'identify', '[]');
  assert.deepEqual([list.status, list.body['errorCode']], [400, 'invalidParameters']);
  const large = await appCall(sim, 'POST', 'scan', { payload: 'x'.repeat(5000) });
  assert.deepEqual([large.status, large.body['errorCode']], [413, 'invalidParameters']);
});

test('cross-site requests are 403: a foreign Origin, or Sec-Fetch-Site other than same-origin or none', async () => {
  const { sim, rp } = await setup();
  await rp.auth(authBody());
  const origin = new URL(sim.appUrl).origin;
  for (const headers of [
    { Origin: 'https://evil.example' },
    { Origin: 'null' },
    { Origin: origin.replace('127.0.0.1', 'localhost') },
    { 'Sec-Fetch-Site': 'cross-site' },
    { 'Sec-Fetch-Site': 'same-site' },
  ]) {
    const scan = await appCall(sim, 'POST', 'scan', {}, headers);
    assert.equal(scan.status, 403, JSON.stringify(headers));
    assert.equal(scan.body['errorCode'], 'forbidden');
    assert.equal((await appCall(sim, 'GET', 'orders', undefined, headers)).status, 403);
  }
  assert.equal(sim.orders()[0]?.pickedUpBy, null, 'no cross-site scan went through');
  assert.equal(
    (await appCall(sim, 'GET', 'orders', undefined, { Origin: origin, 'Sec-Fetch-Site': 'same-origin' })).status,
    200,
  );
  assert.equal((await appCall(sim, 'GET', 'orders', undefined, { 'Sec-Fetch-Site': 'none' })).status, 200);
});

test('appApi: the same API as a Fetch handler under a base path; anything else is 404', async () => {
  const { sim, rp } = await setup();
  const order = await rp.auth(authBody());
  const at = (path: string, init?: RequestInit) => new Request(`http://shop.example${path}`, init);

  const list = await sim.appApi(at(`/simulator/${sim.appSecret}/orders`), '/simulator/');
  assert.equal(list.status, 200);
  assert.equal(((await list.json()) as { orders: Array<{ orderRef: string }> }).orders[0]?.orderRef, order.orderRef);
  assert.equal(
    (await sim.appApi(at(`/simulator/${sim.appSecret}/orders`), '/simulator')).status,
    200,
    'the trailing slash is optional',
  );
  assert.equal((await sim.appApi(at(`/${sim.appSecret}/orders`))).status, 200, "basePath defaults to '/'");
  assert.equal((await sim.appApi(at(`/${sim.appSecret}/orders`), '/simulator/')).status, 404);
  assert.equal((await sim.appApi(at('/elsewhere'))).status, 404);

  const scan = await sim.appApi(
    at(`/simulator/${sim.appSecret}/scan`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'http://shop.example' },
      body: '{}',
    }),
    '/simulator/',
  );
  assert.equal(scan.status, 200, 'same origin as the request');
  assert.equal(sim.orders()[0]?.pickedUpBy, 'qr');
  await assert.rejects(sim.appApi(at('/x'), 'no-slash'), TypeError);
});

test('show-hint and fail-with over HTTP: the app plays a new step, then fails with a new hint', async () => {
  const { sim, rp } = await setup();
  const order = await rp.auth(authBody());
  await appCall(sim, 'POST', 'open', { autoStartToken: order.autoStartToken });
  const shown = await appCall(sim, 'POST', 'show-hint', { hintCode: 'userFace' });
  assert.deepEqual([shown.status, shown.body['hintCode']], [200, 'userFace']);
  assert.equal(hintOf(await rp.collect(order.orderRef)), 'userFace');
  const failed = await appCall(sim, 'POST', 'fail-with', {
    hintCode: 'facialRecognitionFailed',
    orderRef: order.orderRef,
  });
  assert.deepEqual([failed.status, failed.body['status']], [200, 'failed']);
  assert.equal(hintOf(await rp.collect(order.orderRef)), 'facialRecognitionFailed');
  assert.equal((await appCall(sim, 'POST', 'show-hint', { hintCode: 'x y' })).status, 400);
  assert.equal((await appCall(sim, 'POST', 'fail-with', {})).status, 400);
});

/** The hint code of a collect answer, whatever its status. */
function hintOf(answer: object): string | undefined {
  return (answer as { hintCode?: string }).hintCode;
}
