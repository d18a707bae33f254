// demo/server.test.js — the demo server and its BankID stack (node:test, `node --test demo/`).
//
// The server runs in process on a free port with the real stack: reference backend → RP client
// over mutual TLS → simulator. Requests are raw node:http, so paths are sent exactly as written.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDemoServer, CSP } from './server.js';
import { createBankIdStack, TEST_ENVIRONMENT_URL } from './stack.js';
import { DEMO_USER } from './simulator.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QR = /^bankid\.([0-9a-f-]{36})\.(0|[1-9]\d*)\.([0-9a-f]{64})$/;

const tempDirs = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bankid-server-test-'));
  tempDirs.push(dir);
  return dir;
}
let certDir;
before(() => {
  certDir = tempDir();
});
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A client of one demo server: raw requests and a cookie jar (one browser). */
function clientOf(port) {
  const jar = new Map();
  function send(method, urlPath, { body, headers = {}, cookies = true } = {}) {
    const cookieHeader = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const all = { Host: `localhost:${port}`, ...(cookies && cookieHeader ? { Cookie: cookieHeader } : {}), ...headers };
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers: all }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair, ...attributes] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            if (attributes.some((a) => /^\s*max-age=0$/i.test(a)) || value === '') jar.delete(name);
            else jar.set(name, value);
          }
          const text = Buffer.concat(chunks).toString('utf8');
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
  const post = (urlPath, value, headers = {}) =>
    send('POST', urlPath, {
      body: typeof value === 'string' ? value : JSON.stringify(value),
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  return { jar, send, post };
}

describe('demo server (simulator mode)', () => {
  let demo;
  let browser;
  let port;
  const backendLog = [];

  before(async () => {
    demo = await createDemoServer({ port: 0, certDir, pickupTimeoutMs: 5000, log: (line) => backendLog.push(line) });
    port = demo.server.address().port;
    browser = clientOf(port);
  });
  after(async () => {
    await demo.close();
  });

  test('createDemoServer: listens on loopback, the stack runs the simulator', () => {
    assert.equal(demo.stack.mode, 'simulator');
    assert.ok(demo.stack.simulator);
    assert.equal(demo.url, `http://localhost:${port}/`);
  });

  test('static files: index and the page files with the security headers', async () => {
    const index = await browser.send('GET', '/');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html/);
    assert.equal(index.headers['content-security-policy'], CSP);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'same-origin');
    assert.equal(index.headers['cache-control'], 'no-store');
    assert.doesNotMatch(index.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(index.text, /\sstyle=/, 'no style attribute');
    assert.match(index.text, /Phone/);
    assert.doesNotMatch(index.text, /scenario/i, 'the fake backend is gone');

    for (const [file, type] of [
      ['/index.html', /^text\/html/],
      ['/demo/demo.js', /^text\/javascript/],
      ['/demo/phone.js', /^text\/javascript/],
      ['/demo/demo.css', /^text\/css/],
    ]) {
      const r = await browser.send('GET', file);
      assert.equal(r.status, 200, file);
      assert.match(r.headers['content-type'], type, file);
      assert.equal(r.headers['content-security-policy'], CSP, file);
    }
    const head = await browser.send('HEAD', '/demo/demo.js');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal((await browser.send('POST', '/demo/demo.js')).status, 405);
  });

  test('/dist serves the built bundle (when built)', async (t) => {
    const bundle = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../dist/bankid-login.bundle.js');
    if (!fs.existsSync(bundle)) return t.skip('dist/ not built');
    const r = await browser.send('GET', '/dist/bankid-login.bundle.js');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/javascript/);
  });

  test('traversal, server modules, tests, certificates and unknown files → 404', async () => {
    for (const urlPath of [
      '/demo/../package.json',
      '/dist/../package.json',
      '/demo/%2e%2e/package.json',
      '/demo/..%2fpackage.json',
      '/dist/%2e%2e/package.json',
      '/dist/..%5cpackage.json',
      '/dist/.hidden.js',
      '/demo/%00index.html',
      '/demo/server.js',
      '/demo/stack.js',
      '/demo/simulator.js',
      '/demo/reference-backend.js',
      '/demo/rp-client.js',
      '/demo/certs.js',
      '/demo/qr-code.js',
      '/demo/server.test.js',
      '/demo/.certs/client.key',
      '/demo/.certs/ca.pem',
      '/demo/fake-backend.js',
      '/demo/missing.js',
      '/demo/index.html',
      '/package.json',
      '/src/bankid-login.ts',
    ]) {
      const r = await browser.send('GET', urlPath);
      assert.equal(r.status, 404, urlPath);
      assert.equal(r.headers['content-security-policy'], CSP, urlPath);
    }
    const api = await browser.post('/api/bankid/nothing', {});
    assert.equal(api.status, 404);
    assert.equal(api.json.errorCode, 'notFound');
  });

  test('a foreign Host header is refused (DNS rebinding guard), loopback names are fine', async () => {
    assert.equal((await browser.send('GET', '/', { headers: { Host: 'evil.example' } })).status, 421);
    assert.equal((await browser.send('GET', '/', { headers: { Host: `evil.example:${port}` } })).status, 421);
    assert.equal((await browser.post('/api/bankid/auth', { flow: 'other-device' }, { Host: 'evil.example' })).status, 421);
    for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      assert.equal((await browser.send('GET', '/', { headers: { Host: host } })).status, 200, host);
    }
  });

  test('a whole QR login over HTTP: start → phone scans the returned qr → identify → collect → complete', async () => {
    const me = clientOf(port);
    const start = await me.post('/api/bankid/auth', { flow: 'other-device' }, { Origin: `http://localhost:${port}` });
    assert.equal(start.status, 200, start.text);
    assert.match(start.json.orderRef, UUID);
    assert.match(start.json.qr, QR);
    assert.ok(!/qrStartSecret|qrStartToken/.test(start.text));
    assert.ok(me.jar.has('bid_session'));

    const pending = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
    assert.equal(pending.json.status, 'pending');
    assert.equal(pending.json.hintCode, 'outstandingTransaction');

    const scan = await me.post('/demo/phone/scan', { payload: start.json.qr });
    assert.equal(scan.status, 200, scan.text);
    assert.equal(scan.json.ok, true);
    assert.equal(scan.json.orderRef, start.json.orderRef);

    const identify = await me.post('/demo/phone/identify', { orderRef: start.json.orderRef });
    assert.equal(identify.status, 200, identify.text);
    assert.equal(identify.json.status, 'complete');

    // The first collect was within 2 s: the backend answers from its cache until BankID may be asked again.
    let done;
    for (let i = 0; i < 40; i++) {
      done = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
      assert.equal(done.status, 200, done.text);
      if (done.json.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(done.json.status, 'complete');
    assert.equal(done.json.completionData.user.name, DEMO_USER.name);
    assert.equal(done.json.completionData.user.personalNumber, DEMO_USER.personalNumber);
    assert.ok(!('qr' in done.json));

    const again = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
    assert.equal(again.status, 400, 'the order cookie is gone after complete');

    // Another browser (no cookies) cannot collect the order.
    const stranger = clientOf(port);
    assert.equal((await stranger.post('/api/bankid/collect', { orderRef: start.json.orderRef })).status, 400);
  });

  test('this-device: open by autostart token, cancel in the app → failed userCancel', async () => {
    const me = clientOf(port);
    const start = await me.post('/api/bankid/auth', { flow: 'this-device' });
    assert.equal(start.status, 200);
    assert.equal(start.json.qr, undefined);
    assert.match(start.json.autoStartToken, UUID);

    const open = await me.post('/demo/phone/open', { autoStartToken: start.json.autoStartToken });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.json.hintCode, 'started');

    // No orderRef: the order the app holds.
    const cancel = await me.post('/demo/phone/cancel', {});
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.json.orderRef, start.json.orderRef);
    assert.equal(cancel.json.hintCode, 'userCancel');

    const collect = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
    assert.deepEqual(collect.json, { orderRef: start.json.orderRef, status: 'failed', hintCode: 'userCancel' });
  });

  test('GET /demo/phone/orders: the simulator view, newest first, with the current QR payload', async () => {
    const me = clientOf(port);
    const first = await me.post('/api/bankid/auth', { flow: 'other-device' });
    const second = await me.post('/api/bankid/sign', { flow: 'other-device' });
    const r = await me.send('GET', '/demo/phone/orders');
    assert.equal(r.status, 200);
    assert.equal(r.json.mode, 'simulator');
    assert.equal(r.json.pickupTimeoutMs, 5000);
    assert.equal(r.json.injection.active, false);
    const refs = r.json.orders.map((o) => o.orderRef);
    assert.ok(refs.indexOf(second.json.orderRef) < refs.indexOf(first.json.orderRef), 'newest first');
    const newest = r.json.orders[0];
    assert.equal(newest.orderRef, second.json.orderRef);
    assert.equal(newest.type, 'sign');
    assert.equal(newest.status, 'pending');
    assert.equal(newest.hintCode, 'outstandingTransaction');
    assert.equal(newest.pickedUpBy, null);
    assert.match(newest.qr, QR);
    assert.ok(!/qrStartSecret/.test(r.text));

    // Scan {orderRef}: the code valid now for that order (what the page shows).
    const chosen = await me.post('/demo/phone/scan', { orderRef: first.json.orderRef });
    assert.equal(chosen.status, 200, chosen.text);
    assert.equal(chosen.json.orderRef, first.json.orderRef);
    assert.equal((await me.post('/demo/phone/scan', { orderRef: first.json.orderRef })).json.reason, 'already-picked-up');
    assert.equal((await me.post('/demo/phone/scan', { orderRef: 'nope' })).json.reason, 'unknown');

    // Scan without a payload: the code valid now for the newest waiting order. Picking it up
    // cancels the user's other live order, as BankID does (hint cancelled).
    const scan = await me.post('/demo/phone/scan', {});
    assert.equal(scan.status, 200, scan.text);
    assert.equal(scan.json.orderRef, second.json.orderRef);
    assert.match(scan.json.payload, QR);
    const after = await me.send('GET', '/demo/phone/orders');
    assert.equal(after.json.orders.find((o) => o.orderRef === second.json.orderRef).pickedUpBy, 'qr');
    assert.deepEqual(scan.json.replaced, [first.json.orderRef]);
    assert.equal(after.json.orders.find((o) => o.orderRef === first.json.orderRef).hintCode, 'cancelled');

    // Wrong security code, then identify (no orderRef: the order in the app).
    const wrong = await me.post('/demo/phone/wrong-code', {});
    assert.equal(wrong.status, 200);
    assert.equal(wrong.json.wrongCodes, 1);
    assert.equal((await me.post('/demo/phone/identify', {})).json.status, 'complete');
    assert.equal((await me.post('/demo/phone/identify', {})).json.reason, 'no-order');
    assert.equal((await me.post('/demo/phone/scan', {})).json.reason, 'no-qr');
  });

  test('phone refusals: 409 with a reason and a message; bad requests 400/404/405/415/403', async () => {
    const me = clientOf(port);
    const stale = await me.post('/demo/phone/scan', { payload: `bankid.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.0.${'a'.repeat(64)}` });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.ok, false);
    assert.equal(stale.json.reason, 'unknown');
    assert.match(stale.json.message, /\w/);
    assert.equal((await me.post('/demo/phone/scan', { payload: 'hello' })).json.reason, 'malformed');
    assert.equal((await me.post('/demo/phone/open', { autoStartToken: 'nope' })).json.reason, 'unknown');
    assert.equal((await me.post('/demo/phone/identify', { orderRef: 'nope' })).json.reason, 'unknown');

    assert.equal((await me.post('/demo/phone/open', {})).status, 400);
    assert.equal((await me.post('/demo/phone/scan', { payload: 42 })).status, 400);
    assert.equal((await me.post('/demo/phone/scan', '{')).status, 400);
    assert.equal((await me.post('/demo/phone/scan', '[]')).status, 400);
    assert.equal((await me.post('/demo/phone/nothing', {})).status, 404);
    const get = await me.send('GET', '/demo/phone/scan');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.equal((await me.send('DELETE', '/demo/phone/orders')).status, 405);
    const form = await me.send('POST', '/demo/phone/identify', {
      body: 'orderRef=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal((await me.post('/demo/phone/inject', { error: 'maintenance' }, { Origin: 'http://evil.example' })).status, 403);
    assert.equal((await me.post('/demo/phone/inject', { error: 'maintenance' }, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    assert.equal((await me.send('GET', '/demo/phone/orders', { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status, 403);
    assert.equal((await me.post('/demo/phone/inject', { error: 'maintenance' }, { Origin: `http://localhost:${port}` })).status, 200);
    assert.equal((await me.post('/demo/phone/inject', { error: null, delayMs: 0 })).json.active, false);
  });

  test('inject: GET/POST, count null = until cleared, counts down, RateLimit headers reach the page', async () => {
    const me = clientOf(port);
    const none = await me.send('GET', '/demo/phone/inject');
    assert.deepEqual(none.json, { error: null, delayMs: 0, endpoints: ['auth', 'sign', 'collect', 'cancel'], count: null, active: false });

    const forever = await me.post('/demo/phone/inject', { error: 'internalError', count: null });
    assert.equal(forever.status, 200);
    assert.equal(forever.json.count, null);
    assert.equal(forever.json.active, true);
    assert.equal((await me.post('/api/bankid/auth', { flow: 'this-device' })).json.errorCode, 'internalError');
    assert.equal((await me.send('GET', '/demo/phone/inject')).json.count, null, 'until cleared');

    const set = await me.post('/demo/phone/inject', { error: 'tooManyRequests', count: 2, endpoints: ['auth'] });
    assert.deepEqual(set.json, { error: 'tooManyRequests', delayMs: 0, endpoints: ['auth'], count: 2, active: true });
    const limited = await me.post('/api/bankid/auth', { flow: 'this-device' });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.errorCode, 'tooManyRequests');
    assert.equal(limited.headers['retry-after'], '2');
    assert.equal((await me.send('GET', '/demo/phone/inject')).json.count, 1);
    assert.equal((await me.post('/api/bankid/auth', { flow: 'this-device' })).status, 429);
    assert.equal((await me.send('GET', '/demo/phone/inject')).json.active, false, 'cleared itself at zero');
    const ok = await me.post('/api/bankid/auth', { flow: 'this-device' });
    assert.equal(ok.status, 200);

    for (const bad of [{ error: 'nonsense' }, { delayMs: -1 }, { delayMs: 'slow' }, { count: 0 }, { count: 1.5 }, { endpoints: ['x'] }]) {
      const r = await me.post('/demo/phone/inject', { error: 'maintenance', ...bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal((await me.send('GET', '/demo/phone/inject')).json.active, false, 'a refused setting changes nothing');
    await me.post('/api/bankid/cancel', { orderRef: ok.json.orderRef });
  });

  test('maintenance on collect: 503 to the browser, then the order goes on', async () => {
    const me = clientOf(port);
    const start = await me.post('/api/bankid/auth', { flow: 'this-device' });
    await me.post('/demo/phone/inject', { error: 'maintenance', count: 1, endpoints: ['collect'] });
    const failed = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
    assert.equal(failed.status, 503);
    assert.equal(failed.json.errorCode, 'maintenance');
    assert.match(backendLog.at(-1), /collect: 503 maintenance/);
    const ok = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.hintCode, 'outstandingTransaction');
    await me.post('/api/bankid/cancel', { orderRef: start.json.orderRef });
  });
});

describe('BankID stack configuration', () => {
  test('BANKID_ENV=test without the files: one clear error naming what is missing', async () => {
    await assert.rejects(
      createBankIdStack({ env: { BANKID_ENV: 'test' }, certDir }),
      (error) => /BANKID_PFX, BANKID_PASSPHRASE, BANKID_CA/.test(error.message) && /qwerty123/.test(error.message),
    );
    await assert.rejects(
      createBankIdStack({ env: { BANKID_ENV: 'test', BANKID_PFX: '/nonexistent.p12', BANKID_PASSPHRASE: 'x', BANKID_CA: '/nonexistent.pem' } }),
      /BANKID_PFX: cannot read/,
    );
    await assert.rejects(createBankIdStack({ env: { BANKID_ENV: 'production' } }), /not supported/);
  });

  test('BANKID_ENV=test: the backend points at the test environment; no simulator, the phone API is 404', async () => {
    const dir = tempDir();
    const certs = (await import('./certs.js')).ensureCertificates(certDir);
    fs.writeFileSync(path.join(dir, 'rp.key'), certs.clientKey, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'rp.pem'), certs.clientCert);
    fs.writeFileSync(path.join(dir, 'ca.pem'), certs.caCert);
    execFileSync('openssl', [
      'pkcs12', '-export', '-inkey', path.join(dir, 'rp.key'), '-in', path.join(dir, 'rp.pem'),
      '-passout', 'pass:qwerty123', '-out', path.join(dir, 'rp.p12'),
    ]);
    const env = {
      BANKID_ENV: 'test',
      BANKID_PFX: path.join(dir, 'rp.p12'),
      BANKID_PASSPHRASE: 'qwerty123',
      BANKID_CA: path.join(dir, 'ca.pem'),
      BANKID_COOKIE_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    assert.equal(TEST_ENVIRONMENT_URL, 'https://appapi2.test.bankid.com/rp/v6.0/');
    await assert.rejects(createBankIdStack({ env: { ...env, BANKID_PASSPHRASE: 'hunter2-xyz' } }), (error) => !error.message.includes('hunter2-xyz'));

    const demo = await createDemoServer({ port: 0, env });
    try {
      assert.equal(demo.stack.mode, 'test');
      assert.equal(demo.stack.simulator, null);
      const me = clientOf(demo.server.address().port);
      const orders = await me.send('GET', '/demo/phone/orders');
      assert.equal(orders.status, 404);
      assert.equal(orders.json.mode, 'test');
      assert.equal((await me.post('/demo/phone/scan', {})).status, 404);
      assert.equal((await me.send('GET', '/')).status, 200);
    } finally {
      await demo.close();
    }
  });

  test('a stack closes cleanly: the simulator stops listening', async () => {
    const stack = await createBankIdStack({ env: {}, certDir });
    assert.equal(stack.mode, 'simulator');
    assert.match(stack.rpBaseUrl, /^https:\/\/127\.0\.0\.1:\d+\/rp\/v6\.0\/$/);
    const { port } = new URL(stack.rpBaseUrl);
    await stack.close();
    await stack.close(); // twice is harmless
    const refused = await new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    assert.ok(refused, 'nothing listens on the simulator port any more');
  });
});
