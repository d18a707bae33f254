// @ts-check
// The demo server and its stack (node:test): the page and its security headers, the backend and
// the simulator's app API mounted the way demo/stack.js wires them, and BANKID_ENV=test.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { request } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { checkBackend, DEMO_USER } from 'bankid-login/simulator';
import { TEST_URL } from 'bankid-login/server';
import { createDemoServer, CSP, SERVER_LIMITS } from './server.js';
import { createBankIdStack } from './stack.js';

const tempDirs = /** @type {string[]} */ ([]);
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bankid-demo-test-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A client of one demo server: a cookie jar (one browser) and raw requests.
 * @param {number} port
 */
function clientOf(port) {
  const jar = new Map();
  /**
   * @param {string} method
   * @param {string} urlPath
   * @param {{ body?: string, headers?: Record<string, string> }} [init]
   * @returns {Promise<{ status: number, headers: Headers, text: string, json: any }>}
   */
  function send(method, urlPath, { body, headers = {} } = {}) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const all = { Host: `localhost:${port}`, ...(cookie ? { Cookie: cookie } : {}), ...headers };
    // node:http rather than fetch: fetch would not send our Host header.
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers: all }, (res) => {
        const chunks = /** @type {Buffer[]} */ ([]);
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair = ''] = line.split(';');
            const eq = pair.indexOf('=');
            if (/Max-Age=0/.test(line)) jar.delete(pair.slice(0, eq));
            else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === 'string') headers.set(name, value);
          resolve({ status: res.statusCode ?? 0, headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  /** @param {string} urlPath @param {unknown} value @param {Record<string, string>} [headers] */
  const post = (urlPath, value, headers = {}) =>
    send('POST', urlPath, {
      body: typeof value === 'string' ? value : JSON.stringify(value),
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  return { jar, send, post };
}

describe('demo server (simulator mode)', () => {
  /** @type {Awaited<ReturnType<typeof createDemoServer>>} */
  let demo;
  /** @type {ReturnType<typeof clientOf>} */
  let browser;
  let port = 0;
  let app = '';

  before(async () => {
    demo = await createDemoServer({ port: 0, certDir: tempDir(), pickupTimeoutMs: 5000, log: () => {} });
    port = /** @type {net.AddressInfo} */ (demo.server.address()).port;
    browser = clientOf(port);
    app = demo.stack.appPath;
  });
  after(() => demo.close());

  test('listens on loopback with the simulator behind it, and with timeouts and a connection cap', () => {
    assert.equal(demo.stack.mode, 'simulator');
    assert.ok(demo.stack.simulator);
    assert.equal(demo.url, `http://localhost:${port}/`);
    assert.equal(demo.server.headersTimeout, SERVER_LIMITS.headersTimeout);
    assert.equal(demo.server.requestTimeout, SERVER_LIMITS.requestTimeout);
    assert.equal(demo.server.maxConnections, SERVER_LIMITS.maxConnections);
  });

  test('the page and its files come with the security headers; the page names its app API path', async () => {
    const index = await browser.send('GET', '/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('content-security-policy'), CSP);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('referrer-policy'), 'same-origin');
    assert.equal(index.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(index.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(index.text, /\sstyle=/, 'no style attribute');
    assert.match(app, /^\/demo\/app\/[A-Za-z0-9_-]{43}\/$/);
    assert.equal(/<meta name="bankid-demo-app" content="([^"]*)"/.exec(index.text)?.[1], app);
    for (const [file, type] of [
      ['/index.html', /^text\/html/],
      ['/demo/demo.js', /^text\/javascript/],
      ['/demo/phone.js', /^text\/javascript/],
      ['/demo/demo.css', /^text\/css/],
    ]) {
      const r = await browser.send('GET', /** @type {string} */ (file));
      assert.equal(r.status, 200, String(file));
      assert.match(r.headers.get('content-type') ?? '', /** @type {RegExp} */ (type));
      assert.equal(r.headers.get('content-security-policy'), CSP);
    }
    assert.equal((await browser.send('HEAD', '/demo/demo.js')).text, '');
    assert.equal((await browser.send('POST', '/demo/demo.js')).status, 405);
  });

  test("the backend's JSON answers: no-store and nosniff, no document policy (bytes on every poll)", async () => {
    const answer = await browser.post('/api/bankid/auth', { flow: 'other-device' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(answer.headers.get('content-security-policy'), null);
  });

  test('traversal, server modules, tests, certificates and unknown files → 404', async () => {
    for (const urlPath of [
      '/demo/../package.json',
      '/dist/../package.json',
      '/demo/%2e%2e/package.json',
      '/dist/%2e%2e/package.json',
      '/dist/..%5cpackage.json',
      '/dist/.hidden.js',
      '/demo/%00index.html',
      '/demo/server.js',
      '/demo/stack.js',
      '/demo/server.test.js',
      '/demo/index.html',
      '/package.json',
      '/src/bankid-login.ts',
      '/lib/server/backend.js',
    ]) {
      const r = await browser.send('GET', urlPath);
      assert.equal(r.status, 404, urlPath);
      assert.equal(r.headers.get('content-security-policy'), CSP, urlPath);
    }
    assert.equal((await browser.post('/api/bankid/nothing', {})).status, 404);
  });

  test('a foreign Host header is refused (DNS rebinding guard); loopback names are fine', async () => {
    assert.equal((await browser.send('GET', '/', { headers: { Host: 'evil.example' } })).status, 421);
    assert.equal(
      (await browser.post('/api/bankid/auth', { flow: 'other-device' }, { Host: 'evil.example' })).status,
      421,
    );
    for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      assert.equal((await browser.send('GET', '/', { headers: { Host: host } })).status, 200, host);
    }
  });

  test("the app API answers only under this run's secret, and only to the page's own origin", async () => {
    assert.equal((await browser.send('GET', `${app}orders`)).status, 200);
    const otherLast = app.at(-2) === 'A' ? 'B' : 'A'; // the secret with its last character changed
    for (const wrong of [
      '/demo/app/orders',
      '/demo/app/x/orders',
      `${app.slice(0, -2)}${otherLast}/orders`,
      '/demo/phone/orders',
    ]) {
      assert.equal((await browser.send('GET', wrong)).status, 404, wrong);
    }
    const crossSite = await browser.post(`${app}inject`, { error: 'maintenance' }, { 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    const foreign = await browser.post(`${app}inject`, { error: 'maintenance' }, { Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal((await browser.send('GET', `${app}inject`)).json.active, false);
  });

  test('a QR login through the page server: start → the app scans the returned qr → identify → complete with the user', async () => {
    const me = clientOf(port);
    const start = await me.post('/api/bankid/auth', { flow: 'other-device' }, { Origin: `http://localhost:${port}` });
    assert.equal(start.status, 200, start.text);
    assert.equal((await me.post(`${app}scan`, { payload: start.json.qr })).json.ok, true);
    assert.equal((await me.post(`${app}identify`, { orderRef: start.json.orderRef })).json.status, 'complete');
    let done;
    for (let i = 0; i < 40; i++) {
      done = await me.post('/api/bankid/collect', { orderRef: start.json.orderRef });
      if (done.json?.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(done?.json.status, 'complete');
    assert.equal(
      done?.json.completionData.user.personalNumber,
      DEMO_USER.personalNumber,
      'the demo shows completionData',
    );
  });

  test('bankid-login-check passes against the demo backend', async () => {
    const results = await checkBackend({
      api: `http://localhost:${port}/api/bankid`,
      simulator: `http://127.0.0.1:${port}${app}`,
    });
    assert.deepEqual(
      results.filter((r) => !r.passed),
      [],
    );
  });
});

describe('BankID stack configuration', () => {
  test('BANKID_ENV=test without the files: one clear error naming what is missing', async () => {
    await assert.rejects(
      createBankIdStack({ env: { BANKID_ENV: 'test' } }),
      (error) => /BANKID_PFX, BANKID_PASSPHRASE, BANKID_CA/.test(String(error)) && /qwerty123/.test(String(error)),
    );
    await assert.rejects(
      createBankIdStack({
        env: {
          BANKID_ENV: 'test',
          BANKID_PFX: '/nonexistent.p12',
          BANKID_PASSPHRASE: 'x',
          BANKID_CA: '/nonexistent.pem',
        },
      }),
      /BANKID_PFX: cannot read/,
    );
    await assert.rejects(createBankIdStack({ env: { BANKID_ENV: 'production' } }), /not supported/);
  });

  test('BANKID_ENV=test: the backend points at the test environment; no simulator, the app API is 404', async () => {
    const dir = tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        path.join(dir, 'rp.key'),
        '-out',
        path.join(dir, 'rp.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=test RP',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-inkey',
        path.join(dir, 'rp.key'),
        '-in',
        path.join(dir, 'rp.pem'),
        '-passout',
        'pass:qwerty123',
        '-out',
        path.join(dir, 'rp.p12'),
      ],
      { stdio: 'ignore' },
    );
    const env = {
      BANKID_ENV: 'test',
      BANKID_PFX: path.join(dir, 'rp.p12'),
      BANKID_PASSPHRASE: 'qwerty123',
      BANKID_CA: path.join(dir, 'rp.pem'),
      BANKID_COOKIE_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    await assert.rejects(
      createBankIdStack({ env: { ...env, BANKID_PASSPHRASE: 'hunter2-xyz' } }),
      (error) => !String(error).includes('hunter2-xyz'),
    );
    const demo = await createDemoServer({ port: 0, env });
    try {
      assert.equal(demo.stack.mode, 'test');
      assert.equal(demo.stack.simulator, null);
      assert.equal(demo.stack.rpUrl, TEST_URL);
      const me = clientOf(/** @type {net.AddressInfo} */ (demo.server.address()).port);
      const orders = await me.send('GET', `${demo.stack.appPath}orders`);
      assert.equal(orders.status, 404);
      assert.equal(orders.json.mode, 'test');
      assert.equal((await me.send('GET', '/')).status, 200);
    } finally {
      await demo.close();
    }
  });

  test('a stack closes cleanly: the simulator stops listening', async () => {
    const stack = await createBankIdStack({ env: {}, certDir: tempDir() });
    assert.equal(stack.mode, 'simulator');
    const { port } = new URL(stack.rpUrl);
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
