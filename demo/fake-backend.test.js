// demo/fake-backend.test.js — tests of the demo server and its fake backend (node:test).
// Run with `node --test demo/`. Time is injected (a fake `now()`), so nothing sleeps.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createDemoServer, CSP } from './server.js';
import { SCENARIOS, qrPayload, stepAt } from './fake-backend.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QR = /^bankid\.([0-9a-f-]{36})\.(0|[1-9]\d*)\.([0-9a-f]{64})$/;

/** A demo server on a free port with a hand-driven clock. */
async function startServer() {
  const clock = { t: 1_700_000_000_000 };
  const server = createDemoServer({ now: () => clock.t });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const bodies = []; // every raw API answer, to check that no secret ever leaves the server

  /** A raw request (the path is sent as is, no URL normalisation). */
  function send(method, path, { body, headers = {} } = {}) {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { Host: `localhost:${port}`, ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          bodies.push(text);
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const post = (path, value, headers = {}) =>
    send('POST', path, {
      body: typeof value === 'string' ? value : JSON.stringify(value),
      headers: { 'Content-Type': 'application/json', ...headers },
    });

  return {
    clock,
    server,
    bodies,
    send,
    post,
    advance: (ms) => (clock.t += ms),
    start: (flow = 'other-device', operation = 'auth') => post(`/api/bankid/${operation}`, { flow }),
    collect: (orderRef) => post('/api/bankid/collect', { orderRef }),
    cancel: (orderRef) => post('/api/bankid/cancel', { orderRef }),
    scenario: (name) => post('/demo/scenario', { name }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('QR payload', () => {
  test('matches the published test vector (BANKID-REFERENCE §5.1)', () => {
    const token = '67df3917-fa0d-44e5-b327-edcc928297f8';
    const secret = 'd28db9a7-4cde-429e-a983-359be676944c';
    assert.equal(
      qrPayload(token, secret, 0),
      `bankid.${token}.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8`,
    );
    assert.equal(qrPayload(token, secret, 1).split('.')[3], '949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2');
    assert.equal(qrPayload(token, secret, 2).split('.')[3], 'a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3');
  });
});

describe('scenario table', () => {
  test('every scenario has ascending steps ending in a terminal status', () => {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      const { steps } = scenario;
      assert.ok(steps.length > 0, name);
      const last = steps.at(-1);
      assert.equal(last.until, undefined, `${name}: the last step has no until`);
      assert.ok(['complete', 'failed'].includes(last.status), `${name}: ends complete or failed`);
      for (let i = 1; i < steps.length - 1; i++) assert.ok(steps[i].until > steps[i - 1].until, `${name}: ascending`);
    }
  });
  test('stepAt picks the step by age', () => {
    const steps = SCENARIOS.success.steps;
    assert.equal(stepAt(steps, 0).hintCode, 'outstandingTransaction');
    assert.equal(stepAt(steps, 6000).hintCode, 'userSign');
    assert.equal(stepAt(steps, 60_000).status, 'complete');
  });
});

describe('demo server + fake backend', () => {
  let s;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    // No answer may ever carry the qrStartSecret or the raw qrStartToken field.
    const secrets = [...s.server.backend.orders.values()].map((o) => o.qrStartSecret);
    assert.ok(secrets.length > 5);
    for (const text of s.bodies) {
      assert.ok(!/qrStartSecret|qrStartToken/.test(text), 'no qrStart* field in an answer');
      for (const secret of secrets) assert.ok(!text.includes(secret), 'no qrStartSecret in an answer');
    }
    await s.close();
  });

  test('start this-device → {orderRef, autoStartToken}', async () => {
    const r = await s.start('this-device');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['autoStartToken', 'orderRef']);
    assert.match(r.json.orderRef, UUID);
    assert.match(r.json.autoStartToken, UUID);
  });

  test('start other-device (sign) → {orderRef, autoStartToken, qr} with a qrTime 0 payload', async () => {
    const r = await s.start('other-device', 'sign');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['autoStartToken', 'orderRef', 'qr']);
    const m = QR.exec(r.json.qr);
    assert.ok(m, r.json.qr);
    assert.match(m[1], UUID);
    assert.equal(m[2], '0');
    const order = s.server.backend.orders.get(r.json.orderRef);
    assert.equal(r.json.qr, qrPayload(order.qrStartToken, order.qrStartSecret, 0));
  });

  test('the QR animates with whole seconds since creation and stops once picked up', async () => {
    const { json } = await s.start('other-device');
    const order = s.server.backend.orders.get(json.orderRef);
    const seen = [];
    for (const step of [0, 999, 1, 1500, 1000]) {
      s.advance(step);
      const r = await s.collect(json.orderRef);
      assert.equal(r.json.status, 'pending');
      assert.equal(r.json.hintCode, 'outstandingTransaction');
      seen.push(r.json.qr);
    }
    const times = seen.map((qr) => QR.exec(qr)[2]);
    assert.deepEqual(times, ['0', '0', '1', '2', '3']);
    assert.equal(new Set(seen).size, 4);
    assert.ok(seen.every((qr) => qr.startsWith(`bankid.${order.qrStartToken}.`)));
    assert.equal(seen[4], qrPayload(order.qrStartToken, order.qrStartSecret, 3));

    s.advance(3000); // 7.5 s: the app has the order (userSign)
    const r = await s.collect(json.orderRef);
    assert.equal(r.json.hintCode, 'userSign');
    assert.equal(r.json.qr, undefined);
  });

  test('this-device collects never carry a qr', async () => {
    const { json } = await s.start('this-device');
    const r = await s.collect(json.orderRef);
    assert.deepEqual(r.json, { orderRef: json.orderRef, status: 'pending', hintCode: 'outstandingTransaction' });
  });

  test('success: outstandingTransaction → userSign → complete with completionData', async () => {
    assert.equal((await s.scenario('success')).status, 200);
    const { json } = await s.start('this-device');
    const seen = [];
    for (let i = 0; i < 12; i++) {
      const r = await s.collect(json.orderRef);
      assert.equal(r.status, 200);
      seen.push(r.json.hintCode ?? r.json.status);
      if (r.json.status === 'complete') {
        assert.equal(r.json.orderRef, json.orderRef);
        const { user, device, bankIdIssueDate, signature, ocspResponse } = r.json.completionData;
        assert.deepEqual(Object.keys(user).sort(), ['givenName', 'name', 'personalNumber', 'surname']);
        assert.match(user.personalNumber, /^\d{12}$/);
        assert.equal(user.name, 'Test Testsson');
        assert.equal(device.ipAddress, '127.0.0.1');
        assert.equal(typeof device.uhi, 'string');
        assert.match(bankIdIssueDate, /^\d{4}-\d{2}-\d{2}$/);
        assert.match(signature, /^[A-Za-z0-9+/]+=*$/);
        assert.match(ocspResponse, /^[A-Za-z0-9+/]+=*$/);
        break;
      }
      s.advance(1000);
    }
    assert.deepEqual([...new Set(seen)], ['outstandingTransaction', 'userSign', 'complete']);
  });

  test('start-failed: pending, then failed startFailed', async () => {
    await s.scenario('start-failed');
    const { json } = await s.start('other-device');
    assert.equal((await s.collect(json.orderRef)).json.status, 'pending');
    s.advance(8000);
    const r = await s.collect(json.orderRef);
    assert.deepEqual(r.json, { orderRef: json.orderRef, status: 'failed', hintCode: 'startFailed' });
  });

  test('user-cancel: ends failed userCancel', async () => {
    await s.scenario('user-cancel');
    const { json } = await s.start('this-device');
    s.advance(60_000);
    assert.deepEqual((await s.collect(json.orderRef)).json, { orderRef: json.orderRef, status: 'failed', hintCode: 'userCancel' });
  });

  test('a running order keeps the scenario it was created with', async () => {
    await s.scenario('certificate-error');
    const { json } = await s.start('this-device');
    await s.scenario('success');
    s.advance(60_000);
    assert.equal((await s.collect(json.orderRef)).json.hintCode, 'certificateErr');
  });

  test('already-in-progress and start-error fail the start request', async () => {
    await s.scenario('already-in-progress');
    let r = await s.start('this-device');
    assert.equal(r.status, 400);
    assert.equal(r.json.errorCode, 'alreadyInProgress');
    assert.equal(typeof r.json.details, 'string');
    await s.scenario('start-error');
    r = await s.start('other-device');
    assert.equal(r.status, 500);
    assert.equal(r.json.errorCode, 'internalError');
    await s.scenario('success');
  });

  test('maintenance-recovers: 503 maintenance, then pending with a QR', async () => {
    await s.scenario('maintenance-recovers');
    const { json } = await s.start('other-device');
    let r = await s.collect(json.orderRef);
    assert.equal(r.status, 503);
    assert.equal(r.json.errorCode, 'maintenance');
    s.advance(6000);
    r = await s.collect(json.orderRef);
    assert.equal(r.status, 200);
    assert.equal(r.json.hintCode, 'outstandingTransaction');
    assert.equal(QR.exec(r.json.qr)[2], '6');
    s.advance(60_000);
    assert.equal((await s.collect(json.orderRef)).json.status, 'complete');
  });

  test('garbled: a 200 HTML page, then JSON again', async () => {
    await s.scenario('garbled');
    const { json } = await s.start('this-device');
    let r = await s.collect(json.orderRef);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.equal(r.json, undefined);
    s.advance(5000);
    r = await s.collect(json.orderRef);
    assert.equal(r.json.status, 'pending');
  });

  test('unknown-hint: pending someNewHint, then complete', async () => {
    await s.scenario('unknown-hint');
    const { json } = await s.start('this-device');
    s.advance(5000);
    assert.equal((await s.collect(json.orderRef)).json.hintCode, 'someNewHint');
    s.advance(60_000);
    assert.equal((await s.collect(json.orderRef)).json.status, 'complete');
    await s.scenario('success');
  });

  test('cancel → {}; then collect and a second cancel → 400 invalidParameters', async () => {
    const { json } = await s.start('other-device');
    const c = await s.cancel(json.orderRef);
    assert.equal(c.status, 200);
    assert.deepEqual(c.json, {});
    for (const r of [await s.collect(json.orderRef), await s.cancel(json.orderRef)]) {
      assert.equal(r.status, 400);
      assert.equal(r.json.errorCode, 'invalidParameters');
      assert.equal(typeof r.json.details, 'string');
    }
  });

  test('bad input is refused with the contract error shape', async () => {
    const cases = [
      [await s.post('/api/bankid/auth', { flow: 'sideways' }), 400, 'invalidParameters'],
      [await s.post('/api/bankid/auth', {}), 400, 'invalidParameters'],
      [await s.post('/api/bankid/auth', { flow: 'this-device', returnUrl: 'javascript:alert(1)' }), 400, 'invalidParameters'],
      [await s.post('/api/bankid/auth', '{not json'), 400, 'invalidParameters'],
      [await s.post('/api/bankid/auth', '"this-device"'), 400, 'invalidParameters'],
      [await s.post('/api/bankid/collect', {}), 400, 'invalidParameters'],
      [await s.post('/api/bankid/collect', { orderRef: 42 }), 400, 'invalidParameters'],
      [await s.post('/api/bankid/collect', { orderRef: 'no-such-order' }), 400, 'invalidParameters'],
      [await s.post('/api/bankid/cancel', { orderRef: ['x'] }), 400, 'invalidParameters'],
      [await s.post('/api/bankid/collect', 'x'.repeat(20_000)), 400, 'invalidParameters'],
      [await s.post('/api/bankid/auth', { flow: 'this-device' }, { 'Content-Type': 'text/plain' }), 415, 'unsupportedMediaType'],
      [await s.send('GET', '/api/bankid/collect'), 405, 'methodNotAllowed'],
      [await s.post('/api/bankid/nothing', {}), 404, 'notFound'],
      [await s.post('/demo/scenario', { name: 'no-such-scenario' }), 400, 'invalidParameters'],
    ];
    for (const [r, status, errorCode] of cases) {
      assert.equal(r.status, status, r.text);
      assert.deepEqual(Object.keys(r.json).sort(), ['details', 'errorCode']);
      assert.equal(r.json.errorCode, errorCode);
    }
  });

  test('GET /demo/scenario lists the scenarios and the current one', async () => {
    await s.scenario('slow-app');
    const r = await s.send('GET', '/demo/scenario');
    assert.equal(r.json.name, 'slow-app');
    assert.deepEqual(r.json.scenarios.map((x) => x.name), Object.keys(SCENARIOS));
    await s.scenario('success');
  });

  test('static files: index, assets, headers; traversal and server files → 404', async () => {
    const index = await s.send('GET', '/');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html/);
    assert.equal(index.headers['content-security-policy'], CSP);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'same-origin');
    assert.equal(index.headers['cache-control'], 'no-store');
    assert.doesNotMatch(index.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(index.text, /\sstyle=/, 'no style attribute');

    assert.match((await s.send('GET', '/demo/demo.js')).headers['content-type'], /^text\/javascript/);
    assert.match((await s.send('GET', '/demo/demo.css')).headers['content-type'], /^text\/css/);

    for (const path of [
      '/demo/../package.json',
      '/dist/../package.json',
      '/demo/%2e%2e/package.json',
      '/demo/..%2fpackage.json',
      '/dist/%2e%2e/package.json',
      '/dist/..%5cpackage.json',
      '/demo/%00index.html',
      '/demo/server.js',
      '/demo/fake-backend.js',
      '/demo/fake-backend.test.js',
      '/demo/.hidden.js',
      '/demo/missing.js',
      '/package.json',
    ]) {
      assert.equal((await s.send('GET', path)).status, 404, path);
    }
  });

  test('a foreign Host header is refused (DNS rebinding guard)', async () => {
    const r = await s.send('GET', '/', { headers: { Host: 'evil.example' } });
    assert.equal(r.status, 421);
  });
});
