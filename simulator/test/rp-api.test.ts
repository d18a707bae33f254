// The RP API over real HTTPS with mutual TLS on loopback: the handshake, BankID's request rules,
// its error shapes, and injected faults. The RP client is bankid-login/server's.

import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createRpClient, RpError, RpNetworkError } from '../../server/rp-client.js';
import { qrAuthCode, qrPayload } from '../../server/qr-payload.js';
import { ensureCertificates } from '../certificates.js';
import { createOrderBook } from '../order-book.js';
import { createRpApi, serveRpApi } from '../rp-api.js';
import { DEMO_USER } from '../user.js';
import { authBody, b64, onCleanup, raw, rejectsWith, setup, sharedCertificates, tempDir, UUID } from './support.js';

const json = { 'Content-Type': 'application/json' };

function otherCertificates() {
  return ensureCertificates(tempDir());
}

// ---------------------------------------------------------------------------------------------
// Mutual TLS

test('mTLS: a client without a certificate cannot complete a request', async () => {
  const { sim } = await setup();
  await assert.rejects(
    raw(new URL('auth', sim.url), { key: null, cert: null, headers: json, body: JSON.stringify(authBody()) }),
    // TLS 1.3: the server's "certificate required" alert; older stacks see the connection drop.
    (error: NodeJS.ErrnoException) =>
      /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|ECONNRESET|EPIPE/.test(String(error.code)),
  );
  assert.equal(sim.orders().length, 0);
});

test('mTLS: a client certificate from another CA is refused', async () => {
  const { sim } = await setup();
  const other = otherCertificates();
  const stranger = createRpClient({
    url: sim.url,
    ca: sim.certificates.ca,
    key: other.clientKey,
    cert: other.clientCert,
  });
  onCleanup(() => stranger.close());
  await rejectsWith(stranger.auth(authBody()), RpNetworkError, { endpoint: 'auth' });
  assert.equal(sim.orders().length, 0);
});

test('mTLS: the RP client refuses a server whose certificate is not from the pinned CA', async () => {
  const certs = sharedCertificates();
  const other = otherCertificates();
  // This server accepts our client certificate but presents one from another CA.
  let requests = 0;
  const book = createOrderBook({
    now: Date.now,
    pickupTimeoutMs: 30_000,
    signTimeoutMs: 180_000,
    random: () => crypto.randomUUID(),
    user: DEMO_USER,
  });
  const api = createRpApi(book);
  const impostor = serveRpApi(
    (request) => {
      requests += 1;
      return api.handle(request);
    },
    { ca: certs.ca, key: other.serverKey, cert: other.serverCert },
  );
  await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => impostor.close(resolve)));
  const url = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}/rp/v6.0/`;
  const rp = createRpClient({ url, ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
  onCleanup(() => rp.close());
  await rejectsWith(rp.auth(authBody()), RpNetworkError, { message: /TLS handshake or certificate check failed/ });
  assert.equal(requests, 0, 'no request reached the impostor');
});

test('mTLS: the server certificate is valid for "localhost" too', async () => {
  const { sim } = await setup();
  const rp = createRpClient({ ...sim.rpClientOptions, url: sim.url.replace('127.0.0.1', 'localhost') });
  onCleanup(() => rp.close());
  assert.match((await rp.auth(authBody())).orderRef, UUID);
});

test('mTLS: a PEM key + certificate works as well as the PKCS#12', async () => {
  const { sim } = await setup();
  const { ca, clientKey, clientCert } = sim.certificates;
  const rp = createRpClient({ url: sim.url, ca, key: clientKey, cert: clientCert });
  onCleanup(() => rp.close());
  assert.match((await rp.auth(authBody())).orderRef, UUID);
});

// ---------------------------------------------------------------------------------------------
// The RP client against the simulator's certificates

test('rp-client: refuses unsafe or incomplete configuration', () => {
  const certs = sharedCertificates();
  const base = { url: 'https://127.0.0.1:1/rp/v6.0/', ca: certs.ca, key: certs.clientKey, cert: certs.clientCert };
  assert.throws(() => createRpClient({ ...base, ca: '' }), /ca/);
  assert.throws(() => createRpClient({ ...base, url: 'http://127.0.0.1:1/rp/v6.0/' }), /https/);
  const { key: _key, ...withoutKey } = base;
  assert.throws(() => createRpClient(withoutKey), /key/);
  assert.throws(() => createRpClient({ ...base, timeoutMs: 0 }), /timeoutMs/);
});

test("rp-client: a 200 that is not JSON is an RpNetworkError; an error without BankID's shape keeps its status", async () => {
  const certs = sharedCertificates();
  const server = https.createServer(
    { key: certs.serverKey, cert: certs.serverCert, ca: [certs.ca], requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      req.resume();
      if (String(req.url).endsWith('/auth'))
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>');
      else res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  );
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/rp/v6.0`;
  const rp = createRpClient({ url, ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
  onCleanup(() => rp.close());
  await rejectsWith(rp.auth(authBody()), RpNetworkError, { message: /invalid answer/, code: 'invalid-answer' });
  await rejectsWith(rp.collect('x'), RpError, { status: 502, errorCode: null, details: '', retryAfterMs: null });
});

test("rp-client: BankID's details stay out of RpError.message (it ends up in logs) but are kept as a property", async () => {
  const { rp } = await setup();
  await assert.rejects(rp.sign(authBody({ userVisibleData: 'not base64!' })), (error: unknown) => {
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
  const auth = await rp.auth(
    authBody({ userVisibleData: b64('Logga in på **Exempel**'), userVisibleDataFormat: 'simpleMarkdownV1' }),
  );
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
  const cases: Array<['auth' | 'sign', Record<string, unknown>, RegExp]> = [
    ['auth', {}, /endUserIp/],
    ['auth', { endUserIp: '999.1.1.1' }, /endUserIp/],
    ['auth', { endUserIp: 42 }, /endUserIp/],
    ['sign', authBody(), /userVisibleData is required/],
    ['sign', authBody({ userVisibleData: 'not base64!' }), /base64/],
    ['sign', authBody({ userVisibleData: 'QQ' }), /base64/], // no padding
    ['sign', authBody({ userVisibleData: b64('x'.repeat(1200)) }), /userVisibleData.*1–1500/],
    ['sign', authBody({ userVisibleData: Buffer.from([0xff, 0xfe]).toString('base64') }), /UTF-8/],
    ['auth', authBody({ userVisibleData: b64('hej'), userVisibleDataFormat: 'markdown' }), /simpleMarkdownV1/],
    ['auth', authBody({ userNonVisibleData: 'x' }), /userNonVisibleData/],
    ['auth', authBody({ returnRisk: 'yes' }), /returnRisk/],
    ['auth', authBody({ web: 'Mozilla' }), /web must be an object/],
    ['auth', authBody({ web: { userAgent: 'x'.repeat(257) } }), /web\.userAgent/],
    ['auth', authBody({ web: { userAgent: '' } }), /web\.userAgent/],
    ['auth', authBody({ web: { referringDomain: 'ab' } }), /web\.referringDomain/],
    ['auth', authBody({ web: { deviceIdentifier: 'x'.repeat(65) } }), /web\.deviceIdentifier/],
    ['auth', authBody({ web: {}, app: {} }), /either web or app/],
    ['auth', authBody({ app: { deviceOS: 7 } }), /app\.deviceOS/],
    ['auth', authBody({ requirement: 'strict' }), /requirement must be an object/],
    ['auth', authBody({ requirement: { personalNumber: '8808089983' } }), /personalNumber/],
    ['auth', authBody({ requirement: { mrtd: 'true' } }), /requirement\.mrtd/],
    ['auth', authBody({ requirement: { pinCode: 1 } }), /requirement\.pinCode/],
    ['auth', authBody({ requirement: { cardReader: 'class3' } }), /cardReader/],
    ['auth', authBody({ requirement: { certificatePolicies: ['not an oid'] } }), /certificatePolicies/],
    ['auth', authBody({ requirement: { risk: 'high' } }), /requirement\.risk/],
  ];
  for (const [endpoint, body, details] of cases) {
    await rejectsWith(rp[endpoint](body as never), RpError, { status: 400, errorCode: 'invalidParameters', details });
  }
  assert.equal(sim.orders().length, 0, 'no order was made by a refused request');
});

test('web.userAgent: 256 characters are fine, 257 are invalidParameters', async () => {
  const { rp } = await setup();
  assert.match((await rp.auth(authBody({ web: { userAgent: 'x'.repeat(256) } }))).orderRef, UUID);
  await rejectsWith(rp.auth(authBody({ web: { userAgent: 'x'.repeat(257) } })), RpError, {
    status: 400,
    errorCode: 'invalidParameters',
    details: /web\.userAgent must be a string of 1–256 characters/,
  });
});

test('returnUrl: https, http and app schemes up to 512 characters; javascript:, data:, relative and longer ones are refused', async () => {
  const { rp, sim } = await setup();
  const accepted = [
    'https://shop.example/login?state=abc',
    'http://localhost:8000/',
    'googlechromes://',
    'firefox://open-url?url=https%3A%2F%2Fshop.example%2F',
    'com.example.app://bankid/return',
    'ftp://example.com/',
    `https://shop.example/${'a'.repeat(512 - 'https://shop.example/'.length)}`,
  ];
  for (const returnUrl of accepted) {
    assert.equal(returnUrl.length <= 512, true);
    const { orderRef } = await rp.auth(authBody({ returnUrl }));
    assert.equal(sim.orders().find((o) => o.orderRef === orderRef)?.returnUrl, returnUrl, returnUrl);
  }
  const refused: unknown[] = [
    `https://shop.example/${'a'.repeat(513 - 'https://shop.example/'.length)}`,
    'javascript:alert(1)',
    'javascript://example.com/%0aalert(1)',
    'JavaScript://x',
    'data:text/html,<script>alert(1)</script>',
    'data://text/html,x',
    'mailto:someone@example.com',
    'shop.example/login',
    '/login',
    'not a url',
    'https://',
    'https://exa mple.com/',
    '1http://example.com/',
    42,
    '',
  ];
  for (const returnUrl of refused) {
    await rejectsWith(rp.auth(authBody({ returnUrl })), RpError, {
      status: 400,
      errorCode: 'invalidParameters',
      details: /returnUrl/,
    });
  }
});

test('HTTP: 405 for GET (with Allow), 415 without JSON, 404 for other paths, 400 for bad JSON or a too large body', async () => {
  const { sim } = await setup();

  const get = await raw(new URL('auth', sim.url), { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  assert.equal(get.body?.['errorCode'], 'methodNotAllowed');
  assert.equal(typeof get.body?.['details'], 'string');

  const text = await raw(new URL('auth', sim.url), {
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify(authBody()),
  });
  assert.equal(text.status, 415);
  assert.deepEqual(Object.keys(text.body ?? {}), ['errorCode', 'details']);
  assert.equal(text.body?.['errorCode'], 'unsupportedMediaType');

  const charset = await raw(new URL('auth', sim.url), {
    headers: { 'Content-Type': 'application/json; charset=UTF-8' },
    body: JSON.stringify(authBody()),
  });
  assert.equal(charset.status, 200, 'a charset parameter is fine');
  assert.equal(charset.headers['cache-control'], 'no-store');

  for (const where of ['payment', 'phone/auth', 'auth/', '../v5.1/auth', '/']) {
    const answer = await raw(new URL(where, sim.url), { headers: json, body: '{}' });
    assert.equal(answer.status, 404, where);
    assert.equal(answer.body?.['errorCode'], 'notFound');
  }

  const broken = await raw(new URL('collect', sim.url), { headers: json, body: '{"orderRef": ' });
  assert.equal(broken.status, 400);
  assert.equal(broken.body?.['errorCode'], 'invalidParameters');
  assert.match(String(broken.body?.['details']), /JSON/);

  const notObject = await raw(new URL('collect', sim.url), { headers: json, body: '[]' });
  assert.equal(notObject.status, 400);
  assert.equal(notObject.body?.['errorCode'], 'invalidParameters');

  const large = await raw(new URL('auth', sim.url), {
    headers: json,
    body: JSON.stringify(authBody({ userNonVisibleData: 'A'.repeat(300_000) })),
  });
  assert.equal(large.status, 400);
  assert.equal(large.body?.['errorCode'], 'invalidParameters');
  assert.match(String(large.body?.['details']), /larger than 262144 bytes/);
  assert.equal(sim.orders().length, 1, 'only the charset request made an order');
});

// ---------------------------------------------------------------------------------------------
// Injected faults

test('inject: maintenance 503, internalError 500, tooManyRequests 429 with RateLimit headers', async () => {
  const { rp, sim } = await setup();

  sim.inject({ error: 'maintenance' });
  await rejectsWith(rp.auth(authBody()), RpError, {
    status: 503,
    errorCode: 'maintenance',
    details: /maintenance/,
    retryAfterMs: null,
  });
  await rejectsWith(rp.collect('x'), RpError, { status: 503, errorCode: 'maintenance' });

  sim.inject({ error: 'internalError' });
  await rejectsWith(rp.sign(authBody()), RpError, { status: 500, errorCode: 'internalError' });

  sim.inject({ error: 'tooManyRequests' });
  const answer = await raw(new URL('collect', sim.url), { headers: json, body: '{"orderRef":"x"}' });
  assert.equal(answer.status, 429);
  assert.equal(answer.body?.['errorCode'], 'tooManyRequests');
  assert.equal(answer.headers['ratelimit-limit'], '10');
  assert.equal(answer.headers['ratelimit-remaining'], '0');
  assert.equal(answer.headers['ratelimit-reset'], '2');
  assert.equal(answer.headers['retry-after'], '2');
  await rejectsWith(rp.cancel('x'), RpError, { status: 429, errorCode: 'tooManyRequests', retryAfterMs: 2000 });

  assert.equal(sim.inject({ error: null, delayMs: 0 }).error, null);
  assert.deepEqual(sim.injection(), {
    error: null,
    delayMs: 0,
    endpoints: ['auth', 'sign', 'collect', 'cancel'],
    count: Infinity,
  });
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
  assert.equal(sim.orders()[0]?.rpCollects.length, 3, 'collects that got a fault count as calls too');

  assert.throws(() => sim.inject({ error: 'teapot' as never }), TypeError);
  assert.throws(() => sim.inject({ delayMs: -1 }), TypeError);
  assert.throws(() => sim.inject({ delayMs: 120_001 }), TypeError);
  assert.throws(() => sim.inject({ error: 'maintenance', endpoints: ['payment' as never] }), TypeError);
  assert.throws(() => sim.inject({ error: 'maintenance', count: 0 }), TypeError);
  assert.throws(() => sim.inject({ error: 'maintenance', count: 1.5 }), TypeError);
  assert.equal(sim.injection().error, null, 'a refused setting changes nothing');
});

test("inject: delayMs slows answers; the client's timeout turns a slow answer into RpNetworkError", async () => {
  const { rp, sim } = await setup();
  sim.inject({ delayMs: 50, count: 1 });
  const started = performance.now();
  await rp.auth(authBody());
  assert.ok(performance.now() - started >= 45, 'the answer was delayed');
  assert.equal(sim.injection().delayMs, 0, 'count 1 was used up');

  const order = await rp.auth(authBody());
  sim.inject({ delayMs: 10, count: 1, endpoints: ['collect'] });
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');
  assert.equal(sim.orders()[0]?.rpCollects.length, 1, 'a slow collect counts once');

  const impatient = createRpClient({ ...sim.rpClientOptions, timeoutMs: 20 });
  onCleanup(() => impatient.close());
  sim.inject({ delayMs: 200 });
  await rejectsWith(impatient.collect('x'), RpNetworkError, { code: 'timeout', message: /20 ms/ });
  sim.inject({ error: null, delayMs: 0 });
  await rejectsWith(rp.collect('x'), RpError, { errorCode: 'invalidParameters' }); // the simulator is fine
});

test('close() drops a delayed answer at once and resolves', async () => {
  const { rp, sim } = await setup();
  sim.inject({ delayMs: 60_000, count: 1 });
  const pending = rp.auth(authBody());
  // The fault is used up once the request has arrived and is waiting out its delay.
  while (sim.injection().delayMs !== 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await sim.close();
  await rejectsWith(pending, RpNetworkError, { endpoint: 'auth' });
  assert.ok(performance.now() - started < 5000, 'close did not wait for the delay');
});
