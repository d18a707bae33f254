// demo/simulator.test.js — the RP API simulator and the RP client, over real HTTPS with mutual
// TLS on loopback. Run: node --test demo/simulator.test.js
//
// Each test gets a fresh simulator on port 0 with a mutable clock (`clock.t`), so timeouts and
// retention windows are reached by moving the clock, never by sleeping. Only the "slow BankID"
// tests wait, for a few real milliseconds.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureCertificates } from './certs.js';
import { qrAuthCode, qrPayload } from './qr-code.js';
import { createRpClient, RpError, RpNetworkError } from './rp-client.js';
import { createSimulator, DEMO_USER, withCheckDigit, COMPLETE_KEPT_MS, FAILED_KEPT_MS } from './simulator.js';

const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);
const IP = '192.0.2.10';
const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');

/** @type {import('./certs.js').CertificateSet} */ let certs;
/** @type {import('./certs.js').CertificateSet} */ let otherCerts; // a second, unrelated CA
const tempDirs = [];
const cleanups = [];

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bankid-sim-test-'));
  tempDirs.push(dir);
  return dir;
}

before(() => {
  certs = ensureCertificates(tempDir());
  otherCerts = ensureCertificates(tempDir());
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()();
});

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh simulator + RP client pair; `clock.t` is the simulator's now(). */
async function setup({ simulator = {}, client = {} } = {}) {
  const clock = { t: T0 };
  const sim = createSimulator({ ...certs, now: () => clock.t, ...simulator });
  const baseUrl = await sim.listen();
  const rp = createRpClient({ baseUrl, ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert, ...client });
  cleanups.push(() => sim.close(), () => rp.close());
  return { sim, rp, clock, baseUrl };
}

/** One HTTPS request without the RP client, to look at raw statuses and headers. */
function raw(url, { method = 'POST', headers = {}, body, ca = certs.caCert, key = certs.clientKey, cert = certs.clientCert } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, key, cert, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Assert that `promise` rejects with an instance of `type` whose fields match `fields`. */
async function rejectsWith(promise, type, fields = {}) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error?.name}: ${error?.message}`);
    for (const [key, want] of Object.entries(fields)) {
      if (want instanceof RegExp) assert.match(String(error[key]), want, key);
      else assert.deepEqual(error[key], want, key);
    }
    return true;
  });
}

const authBody = (extra = {}) => ({ endUserIp: IP, ...extra });

// ---------------------------------------------------------------------------------------------
// Certificates

test('ensureCertificates: makes a consistent set once, files 0600, reuses it, remakes a broken one', () => {
  const dir = tempDir();
  const first = ensureCertificates(dir);
  assert.deepEqual(Object.keys(first).sort(), ['caCert', 'clientCert', 'clientKey', 'serverCert', 'serverKey']);
  for (const file of fs.readdirSync(dir)) {
    assert.equal(fs.statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
  }
  assert.ok(!fs.readdirSync(dir).some((f) => f.includes('ca.key') || f.startsWith('.tmp-')), 'CA key and temp files are gone');

  const again = ensureCertificates(dir);
  assert.deepEqual(again, first, 'a valid set is reused as is');

  fs.writeFileSync(path.join(dir, 'server.pem'), 'garbage');
  const remade = ensureCertificates(dir);
  assert.notEqual(remade.caCert, first.caCert, 'a broken set is made again as a whole');

  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: remade.serverCert }).toString();
  assert.match(text, /DNS:localhost/);
  assert.match(text, /IP Address:127\.0\.0\.1/);
  assert.match(text, /TLS Web Server Authentication/);
  const client = execFileSync('openssl', ['x509', '-noout', '-text'], { input: remade.clientCert }).toString();
  assert.match(client, /CN ?= ?Demo RP/);
  assert.match(client, /TLS Web Client Authentication/);
});

test('ensureCertificates: says how to install openssl when it is missing', () => {
  const script = `import(${JSON.stringify(path.join(DEMO_DIR, 'certs.js'))}).then((m) => m.ensureCertificates(${JSON.stringify(
    path.join(tempDir(), 'certs'),
  )}))`;
  const result = spawnSync(process.execPath, ['-e', script], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /install it: apt-get install openssl/);
});

// ---------------------------------------------------------------------------------------------
// Mutual TLS

test('mTLS: a client without a certificate cannot complete a request', async () => {
  const { sim, baseUrl } = await setup();
  await assert.rejects(
    raw(new URL('auth', baseUrl), { key: null, cert: null, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(authBody()) }),
    // TLS 1.3: the server's "certificate required" alert; older stacks see the connection drop.
    (error) => /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|ECONNRESET|EPIPE/.test(error.code),
  );
  assert.equal(sim.orders().length, 0);
});

test('mTLS: a client certificate from another CA is refused', async () => {
  const { sim, baseUrl } = await setup();
  const stranger = createRpClient({ baseUrl, ca: certs.caCert, key: otherCerts.clientKey, cert: otherCerts.clientCert });
  cleanups.push(() => stranger.close());
  await rejectsWith(stranger.auth(authBody()), RpNetworkError, { endpoint: 'auth' });
  assert.equal(sim.orders().length, 0);
});

test('mTLS: the RP client refuses a server whose certificate is not from the pinned CA', async () => {
  // This server accepts our client certificate but presents one from another CA.
  const impostor = createSimulator({ caCert: certs.caCert, serverKey: otherCerts.serverKey, serverCert: otherCerts.serverCert });
  const baseUrl = await impostor.listen();
  cleanups.push(() => impostor.close());
  const rp = createRpClient({ baseUrl, ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert });
  cleanups.push(() => rp.close());
  await rejectsWith(rp.auth(authBody()), RpNetworkError, { message: /TLS handshake or certificate check failed/ });
  assert.equal(impostor.orders().length, 0, 'no request reached the impostor');
});

test('mTLS: the server certificate is valid for "localhost" too; a PKCS#12 client certificate works', async () => {
  const { baseUrl } = await setup();
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'client.key'), certs.clientKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'client.pem'), certs.clientCert);
  execFileSync('openssl', [
    'pkcs12', '-export', '-inkey', path.join(dir, 'client.key'), '-in', path.join(dir, 'client.pem'),
    '-passout', 'pass:qwerty123', '-out', path.join(dir, 'client.p12'),
  ]);
  const pfx = fs.readFileSync(path.join(dir, 'client.p12'));
  const rp = createRpClient({ baseUrl: baseUrl.replace('127.0.0.1', 'localhost'), ca: certs.caCert, pfx, passphrase: 'qwerty123' });
  cleanups.push(() => rp.close());
  const answer = await rp.auth(authBody());
  assert.match(answer.orderRef, UUID);

  assert.throws(
    () => createRpClient({ baseUrl, ca: certs.caCert, pfx, passphrase: 'not-the-passphrase' }),
    (error) => error instanceof TypeError && !error.message.includes('not-the-passphrase'),
  );
});

test('rp-client: refuses unsafe or incomplete configuration', () => {
  const base = { baseUrl: 'https://127.0.0.1:1/rp/v6.0/', ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert };
  assert.throws(() => createRpClient({ ...base, ca: undefined }), /ca/);
  assert.throws(() => createRpClient({ ...base, baseUrl: 'http://127.0.0.1:1/rp/v6.0/' }), /https/);
  assert.throws(() => createRpClient({ ...base, key: undefined }), /key/);
  assert.throws(() => createRpClient({ ...base, timeoutMs: 0 }), /timeoutMs/);
});

test('rp-client: a 200 that is not JSON is an RpNetworkError; an error without BankID\'s shape keeps its status', async () => {
  const server = https.createServer(
    { key: certs.serverKey, cert: certs.serverCert, ca: [certs.caCert], requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      req.resume();
      if (req.url.endsWith('/auth')) res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>');
      else res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
    },
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  const rp = createRpClient({ baseUrl: `https://127.0.0.1:${server.address().port}/rp/v6.0`, ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert });
  cleanups.push(() => rp.close());
  await rejectsWith(rp.auth(authBody()), RpNetworkError, { message: /invalid answer/, code: 'invalid-answer' });
  await rejectsWith(rp.collect('x'), RpError, { status: 502, errorCode: null, details: '', retryAfterMs: null });
});

test("rp-client: BankID's details stay out of RpError.message (it ends up in logs) but are kept as a property", async () => {
  const { rp } = await setup();
  await assert.rejects(rp.sign(authBody({ userVisibleData: 'not base64!' })), (error) => {
    assert.ok(error instanceof RpError);
    assert.equal(error.message, 'BankID sign: HTTP 400 invalidParameters');
    assert.ok(error.details.length > 0, 'details kept');
    assert.ok(!String(error.stack).includes(error.details));
    return true;
  });
});

// ---------------------------------------------------------------------------------------------
// QR code

test('QR: the test vectors of BANKID-REFERENCE §5.1 hold', () => {
  const token = '67df3917-fa0d-44e5-b327-edcc928297f8';
  const secret = 'd28db9a7-4cde-429e-a983-359be676944c';
  assert.equal(qrAuthCode(secret, 0), 'dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8');
  assert.equal(qrAuthCode(secret, 1), '949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2');
  assert.equal(qrAuthCode(secret, '2'), 'a9e5ec59cb4eee4ef4117150abc58fad7a85439a6a96ccbecc3668b41795b3f3');
  assert.equal(
    qrPayload(token, secret, 0),
    'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
  );
  for (const bad of [-1, 1.5, '01', '1e3', '', NaN]) {
    assert.throws(() => qrAuthCode(secret, bad), TypeError, String(bad));
  }
});

// ---------------------------------------------------------------------------------------------
// auth / sign: answers and validation

test('auth and sign answer {orderRef, autoStartToken, qrStartToken, qrStartSecret} as UUIDs', async () => {
  const { rp } = await setup();
  const auth = await rp.auth(authBody({ userVisibleData: b64('Logga in på **Exempel**'), userVisibleDataFormat: 'simpleMarkdownV1' }));
  assert.deepEqual(Object.keys(auth).sort(), ['autoStartToken', 'orderRef', 'qrStartSecret', 'qrStartToken']);
  for (const value of Object.values(auth)) assert.match(value, UUID);
  assert.equal(new Set(Object.values(auth)).size, 4);

  const sign = await rp.sign({
    endUserIp: '2001:db8::1',
    userVisibleData: b64('Jag godkänner avtalet'),
    userNonVisibleData: b64('<hash/>'),
    returnUrl: 'https://example.com/return?nonce=abc',
    returnRisk: true,
    web: { referringDomain: 'example.com', userAgent: 'Mozilla/5.0', deviceIdentifier: 'a'.repeat(64) },
    requirement: { pinCode: true, certificatePolicies: ['1.2.3.4.25'] },
  });
  assert.match(sign.orderRef, UUID);
});

test('auth/sign: misuse answers 400 invalidParameters with helpful details', async () => {
  const { rp, sim } = await setup();
  const cases = [
    ['auth', {}, /endUserIp/],
    ['auth', { endUserIp: '999.1.1.1' }, /endUserIp/],
    ['auth', { endUserIp: 42 }, /endUserIp/],
    ['sign', authBody(), /userVisibleData is required/],
    ['sign', authBody({ userVisibleData: 'not base64!' }), /base64/],
    ['sign', authBody({ userVisibleData: 'QQ' }), /base64/], // no padding
    ['sign', authBody({ userVisibleData: b64('x'.repeat(1200)) }), /userVisibleData.*1–1500/],
    ['sign', authBody({ userVisibleData: Buffer.from([0xff, 0xfe]).toString('base64') }), /UTF-8/],
    ['auth', authBody({ userVisibleData: b64('hej'), userVisibleDataFormat: 'markdown' }), /simpleMarkdownV1/],
    ['auth', authBody({ returnUrl: 'ftp://example.com/' }), /returnUrl/],
    ['auth', authBody({ returnUrl: 'not a url' }), /returnUrl/],
    ['auth', authBody({ returnRisk: 'yes' }), /returnRisk/],
    ['auth', authBody({ web: { userAgent: 'x'.repeat(257) } }), /web\.userAgent/],
    ['auth', authBody({ web: { referringDomain: 'ab' } }), /web\.referringDomain/],
    ['auth', authBody({ web: { deviceIdentifier: 'x'.repeat(65) } }), /web\.deviceIdentifier/],
    ['auth', authBody({ web: {}, app: {} }), /either web or app/],
    ['auth', authBody({ requirement: { personalNumber: '8808089983' } }), /personalNumber/],
    ['auth', authBody({ requirement: { mrtd: 'true' } }), /requirement\.mrtd/],
    ['auth', authBody({ requirement: { cardReader: 'class3' } }), /cardReader/],
  ];
  for (const [endpoint, body, details] of cases) {
    await rejectsWith(rp[endpoint](body), RpError, { status: 400, errorCode: 'invalidParameters', details });
  }
  assert.equal(sim.orders().length, 0, 'no order was made by a refused request');
});

test('HTTP: 405 for GET (with Allow), 415 without JSON, 404 for other paths, 400 for bad JSON', async () => {
  const { baseUrl } = await setup();
  const json = { 'Content-Type': 'application/json' };

  const get = await raw(new URL('auth', baseUrl), { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  assert.equal(get.body.errorCode, 'methodNotAllowed');
  assert.equal(typeof get.body.details, 'string');

  const text = await raw(new URL('auth', baseUrl), { headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(authBody()) });
  assert.equal(text.status, 415);
  assert.deepEqual(Object.keys(text.body), ['errorCode', 'details']);
  assert.equal(text.body.errorCode, 'unsupportedMediaType');

  const charset = await raw(new URL('auth', baseUrl), { headers: { 'Content-Type': 'application/json; charset=UTF-8' }, body: JSON.stringify(authBody()) });
  assert.equal(charset.status, 200, 'a charset parameter is fine');

  for (const where of ['payment', 'phone/auth', 'auth/', '../v5.1/auth', '/']) {
    const answer = await raw(new URL(where, baseUrl), { headers: json, body: '{}' });
    assert.equal(answer.status, 404, where);
    assert.equal(answer.body.errorCode, 'notFound');
  }

  const broken = await raw(new URL('collect', baseUrl), { headers: json, body: '{"orderRef": ' });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.errorCode, 'invalidParameters');
  assert.match(broken.body.details, /JSON/);

  const notObject = await raw(new URL('collect', baseUrl), { headers: json, body: '[]' });
  assert.equal(notObject.body.errorCode, 'invalidParameters');
});

// ---------------------------------------------------------------------------------------------
// Order life cycle

test('autostart: outstandingTransaction → started → userSign → complete with completionData', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  const collect = () => rp.collect(order.orderRef);

  assert.deepEqual(await collect(), { orderRef: order.orderRef, status: 'pending', hintCode: 'outstandingTransaction' });
  clock.t += 5000;
  assert.deepEqual(sim.phone.open(order.autoStartToken), { ok: true, orderRef: order.orderRef, hintCode: 'started', replaced: [] });
  assert.equal((await collect()).hintCode, 'started');
  assert.equal(sim.phone.open(order.autoStartToken).ok, true, 're-opening the same token is harmless');
  clock.t += 1000;
  assert.equal((await collect()).hintCode, 'userSign');

  assert.deepEqual(sim.phone.identify(order.orderRef), { ok: true, orderRef: order.orderRef, status: 'complete' });
  const done = await collect();
  assert.equal(done.status, 'complete');
  assert.equal(done.hintCode, undefined);
  const data = done.completionData;
  assert.deepEqual(data.user, DEMO_USER);
  assert.match(data.user.personalNumber, /^\d{12}$/);
  assert.equal(withCheckDigit(data.user.personalNumber.slice(0, 11)), data.user.personalNumber, 'valid check digit');
  assert.equal(data.device.ipAddress, IP);
  assert.equal(typeof data.device.uhi, 'string');
  assert.match(data.bankIdIssueDate, /^\d{4}-\d{2}-\d{2}$/);
  assert.match(Buffer.from(data.signature, 'base64').toString('utf8'), /^<\?xml[\s\S]*FAKE/);
  assert.ok(Buffer.from(data.ocspResponse, 'base64').length > 0);
  assert.equal('risk' in data, false, 'no risk without returnRisk');
  assert.equal('stepUp' in data, false, 'no stepUp without mrtd');
  assert.deepEqual(await collect(), done, 'a completed order answers the same while it is kept');

  const risky = await rp.auth(authBody({ returnRisk: true }));
  sim.phone.open(risky.autoStartToken);
  sim.phone.identify(risky.orderRef); // acting ends `started` at once
  assert.equal((await rp.collect(risky.orderRef)).completionData.risk, 'low');
});

test('QR: a scan of the current payload picks the order up (userSign); the RP\'s lagging second is accepted', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  clock.t += 1500;
  const shown = sim.orders()[0];
  assert.equal(shown.qr, qrPayload(order.qrStartToken, order.qrStartSecret, 1), 'orders() shows the payload valid now');
  assert.equal(sim.phone.scan(shown.qr).ok, true);
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'pending', hintCode: 'userSign' });
  assert.equal(sim.orders()[0].qr, null, 'no QR once picked up');
  assert.equal(sim.orders()[0].pickedUpBy, 'qr');
  assert.deepEqual(sim.phone.scan(shown.qr), { ok: false, reason: 'already-picked-up' });

  const second = await rp.auth(authBody());
  clock.t += 2500; // the simulator is at qrTime 2; an RP that started counting a bit later shows 1
  assert.equal(sim.phone.scan(qrPayload(second.qrStartToken, second.qrStartSecret, 1)).ok, true);
});

test('QR: stale, wrong, unknown and malformed payloads are refused and leave the order untouched', async () => {
  const { rp, sim, clock } = await setup();
  const order = await rp.auth(authBody());
  const first = sim.orders()[0].qr; // qrTime 0
  clock.t += 2000;
  assert.deepEqual(sim.phone.scan(first), { ok: false, reason: 'stale' });
  assert.deepEqual(sim.phone.scan(qrPayload(order.qrStartToken, order.qrStartSecret, 3)), { ok: false, reason: 'stale' }, 'not from the future either');
  assert.deepEqual(sim.phone.scan(qrPayload(order.qrStartToken, 'another-secret', 2)), { ok: false, reason: 'bad-code' });
  assert.deepEqual(sim.phone.scan(qrPayload('00000000-0000-4000-8000-000000000000', order.qrStartSecret, 2)), { ok: false, reason: 'unknown' });
  assert.deepEqual(sim.phone.scan('bankid:///?autostarttoken=x'), { ok: false, reason: 'malformed' });
  assert.deepEqual(sim.phone.scan(undefined), { ok: false, reason: 'malformed' });
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'pending', hintCode: 'outstandingTransaction' });
  assert.equal(sim.orders()[0].pickedUpBy, null);
});

test('mrtd: userMrtd first, identify passes it, then userSign, then complete with stepUp', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody({ requirement: { mrtd: true } }));
  sim.phone.scan(sim.orders()[0].qr);
  assert.equal((await rp.collect(order.orderRef)).hintCode, 'userMrtd');
  assert.deepEqual(sim.phone.wrongCode(order.orderRef), { ok: false, reason: 'not-at-security-code' });
  assert.deepEqual(sim.phone.identify(order.orderRef), { ok: true, orderRef: order.orderRef, status: 'pending', hintCode: 'userSign' });
  assert.equal((await rp.collect(order.orderRef)).hintCode, 'userSign');
  sim.phone.identify(order.orderRef);
  assert.deepEqual((await rp.collect(order.orderRef)).completionData.stepUp, { mrtd: true });
});

test('startFailed once pickupTimeoutMs passes without pickup', async () => {
  const { rp, sim, clock } = await setup({ simulator: { pickupTimeoutMs: 30000 } });
  const order = await rp.auth(authBody());
  clock.t += 29_999;
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');
  const lastQr = sim.orders()[0].qr;
  clock.t += 1;
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'failed', hintCode: 'startFailed' });
  assert.deepEqual(sim.phone.scan(lastQr), { ok: false, reason: 'unknown' });
  assert.deepEqual(sim.phone.open(order.autoStartToken), { ok: false, reason: 'unknown' });
});

test('expiredTransaction once signTimeoutMs passes after pickup', async () => {
  const { rp, sim, clock } = await setup({ simulator: { signTimeoutMs: 180_000 } });
  const order = await rp.auth(authBody());
  clock.t += 20_000;
  sim.phone.open(order.autoStartToken);
  clock.t += 179_999;
  assert.equal((await rp.collect(order.orderRef)).hintCode, 'userSign');
  clock.t += 1;
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'failed', hintCode: 'expiredTransaction' });
  assert.deepEqual(sim.phone.identify(order.orderRef), { ok: false, reason: 'ended' });
});

test('userCancel when the user cancels in the app (only once the app has the order)', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  assert.deepEqual(sim.phone.cancel(order.orderRef), { ok: false, reason: 'not-picked-up' });
  assert.deepEqual(sim.phone.identify(order.orderRef), { ok: false, reason: 'not-picked-up' });
  sim.phone.scan(sim.orders()[0].qr);
  assert.equal(sim.phone.cancel(order.orderRef).ok, true);
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'failed', hintCode: 'userCancel' });
  assert.deepEqual(sim.phone.cancel('no-such-order'), { ok: false, reason: 'unknown' });
});

test('wrong security codes: still userSign, the third in a row → certificateErr', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  sim.phone.open(order.autoStartToken);
  assert.equal(sim.phone.wrongCode(order.orderRef).wrongCodes, 1);
  assert.equal((await rp.collect(order.orderRef)).hintCode, 'userSign', 'a wrong code ends `started`');
  assert.equal(sim.phone.wrongCode(order.orderRef).hintCode, 'userSign');
  assert.deepEqual(sim.phone.wrongCode(order.orderRef), { ok: true, orderRef: order.orderRef, wrongCodes: 3, status: 'failed', hintCode: 'certificateErr' });
  assert.deepEqual(await rp.collect(order.orderRef), { orderRef: order.orderRef, status: 'failed', hintCode: 'certificateErr' });
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
  sim.phone.open(first.autoStartToken);
  const bystander = await rp.auth(authBody()); // nobody has it: not the user's
  const second = await rp.auth(authBody());
  const picked = sim.phone.open(second.autoStartToken);
  assert.deepEqual(picked.replaced, [first.orderRef]);
  assert.deepEqual(await rp.collect(first.orderRef), { orderRef: first.orderRef, status: 'failed', hintCode: 'cancelled' });
  assert.equal((await rp.collect(bystander.orderRef)).hintCode, 'outstandingTransaction');
  assert.equal((await rp.collect(second.orderRef)).hintCode, 'started');

  // An order restricted to another person cannot be picked up by this phone.
  const other = await rp.auth(authBody({ requirement: { personalNumber: withCheckDigit('19900101123') } }));
  assert.deepEqual(sim.phone.open(other.autoStartToken), { ok: false, reason: 'wrong-user' });
});

test('collect windows: complete for 3 min, failed for 5 min, then invalidParameters; orders are pruned', async () => {
  const { rp, sim, clock } = await setup();
  const done = await rp.auth(authBody());
  sim.phone.open(done.autoStartToken);
  sim.phone.identify(done.orderRef);
  const failed = await rp.auth(authBody()); // will be startFailed at +30 s
  const failedAt = clock.t + 30_000;

  clock.t += COMPLETE_KEPT_MS - 1;
  assert.equal((await rp.collect(done.orderRef)).status, 'complete');
  clock.t += 1;
  await rejectsWith(rp.collect(done.orderRef), RpError, { status: 400, errorCode: 'invalidParameters', details: /No such order/ });

  clock.t = failedAt + FAILED_KEPT_MS - 1;
  assert.equal((await rp.collect(failed.orderRef)).hintCode, 'startFailed');
  clock.t += 1;
  await rejectsWith(rp.collect(failed.orderRef), RpError, { status: 400, errorCode: 'invalidParameters' });
  assert.deepEqual(sim.orders(), []);

  await rejectsWith(rp.collect('00000000-0000-4000-8000-000000000000'), RpError, { errorCode: 'invalidParameters' });
  await rejectsWith(rp.collect(''), RpError, { errorCode: 'invalidParameters', details: /orderRef/ });
});

test('cancel: {} for a pending order, then collect and a second cancel answer invalidParameters', async () => {
  const { rp, sim } = await setup();
  const order = await rp.auth(authBody());
  assert.deepEqual(await rp.cancel(order.orderRef), {});
  await rejectsWith(rp.cancel(order.orderRef), RpError, { status: 400, errorCode: 'invalidParameters' });
  await rejectsWith(rp.collect(order.orderRef), RpError, { status: 400, errorCode: 'invalidParameters', details: /No such order/ });
  assert.deepEqual(sim.orders(), []);

  const finished = await rp.auth(authBody());
  sim.phone.open(finished.autoStartToken);
  sim.phone.identify(finished.orderRef);
  await rejectsWith(rp.cancel(finished.orderRef), RpError, { status: 400, errorCode: 'invalidParameters', details: /complete/ });
  await rejectsWith(rp.cancel('unknown'), RpError, { errorCode: 'invalidParameters' });
});

test('orders(): the demo page\'s view, newest first, without the secret', async () => {
  const { rp, sim, clock } = await setup();
  const a = await rp.sign(authBody({ userVisibleData: b64('Signera avtal nr 7') }));
  clock.t += 10;
  const b = await rp.auth(authBody());
  const list = sim.orders();
  assert.deepEqual(list.map((o) => o.orderRef), [b.orderRef, a.orderRef]);
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
  });
  assert.ok(!JSON.stringify(list).includes(a.qrStartSecret));
});

// ---------------------------------------------------------------------------------------------
// Injected faults

test('inject: maintenance 503, internalError 500, tooManyRequests 429 with RateLimit headers', async () => {
  const { rp, sim, baseUrl } = await setup();

  sim.inject({ error: 'maintenance' });
  await rejectsWith(rp.auth(authBody()), RpError, { status: 503, errorCode: 'maintenance', details: /maintenance/, retryAfterMs: null });
  await rejectsWith(rp.collect('x'), RpError, { status: 503, errorCode: 'maintenance' });

  sim.inject({ error: 'internalError' });
  await rejectsWith(rp.sign(authBody()), RpError, { status: 500, errorCode: 'internalError' });

  sim.inject({ error: 'tooManyRequests' });
  const answer = await raw(new URL('collect', baseUrl), { headers: { 'Content-Type': 'application/json' }, body: '{"orderRef":"x"}' });
  assert.equal(answer.status, 429);
  assert.equal(answer.body.errorCode, 'tooManyRequests');
  assert.equal(answer.headers['ratelimit-limit'], '10');
  assert.equal(answer.headers['ratelimit-remaining'], '0');
  assert.equal(answer.headers['ratelimit-reset'], '2');
  assert.equal(answer.headers['retry-after'], '2');
  await rejectsWith(rp.cancel('x'), RpError, { status: 429, errorCode: 'tooManyRequests', retryAfterMs: 2000 });

  assert.equal(sim.inject({ error: null, delayMs: 0 }).error, null);
  assert.deepEqual(sim.injection(), { error: null, delayMs: 0, endpoints: ['auth', 'sign', 'collect', 'cancel'], count: Infinity });
  assert.match((await rp.auth(authBody())).orderRef, UUID);
});

test('inject: limited to endpoints and a count, then it clears itself; bad settings are refused', async () => {
  const { rp, sim } = await setup();
  sim.inject({ error: 'maintenance', endpoints: ['collect'], count: 2 });
  assert.deepEqual(sim.injection(), { error: 'maintenance', delayMs: 0, endpoints: ['collect'], count: 2 });
  const order = await rp.auth(authBody()); // not a matching endpoint
  await rejectsWith(rp.collect(order.orderRef), RpError, { status: 503 });
  assert.equal(sim.injection().count, 1);
  await rejectsWith(rp.collect(order.orderRef), RpError, { status: 503 });
  assert.equal(sim.injection().error, null);
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');

  assert.throws(() => sim.inject({ error: 'teapot' }), TypeError);
  assert.throws(() => sim.inject({ delayMs: -1 }), TypeError);
  assert.throws(() => sim.inject({ error: 'maintenance', endpoints: ['payment'] }), TypeError);
  assert.throws(() => sim.inject({ error: 'maintenance', count: 0 }), TypeError);
});

test('inject: delayMs slows answers; the client\'s timeout turns a slow answer into RpNetworkError', async () => {
  const { rp, sim, baseUrl } = await setup();
  sim.inject({ delayMs: 50, count: 1 });
  const started = performance.now();
  await rp.auth(authBody());
  assert.ok(performance.now() - started >= 45, 'the answer was delayed');
  assert.equal(sim.injection().delayMs, 0, 'count 1 was used up');

  const impatient = createRpClient({ baseUrl, ca: certs.caCert, key: certs.clientKey, cert: certs.clientCert, timeoutMs: 20 });
  cleanups.push(() => impatient.close());
  sim.inject({ delayMs: 200 });
  await rejectsWith(impatient.collect('x'), RpNetworkError, { code: 'timeout', message: /20 ms/ });
  sim.inject({ error: null, delayMs: 0 });
  await rejectsWith(rp.collect('x'), RpError, { errorCode: 'invalidParameters' }); // the simulator is fine
});
