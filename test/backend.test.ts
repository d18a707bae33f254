import { expect } from '@open-wc/testing';
import sinon from 'sinon';
import {
  REQUEST_TIMEOUT_MS,
  _resetSecretWarningForTests,
  requestCancel,
  requestCollect,
  requestStart,
} from '../src/backend.js';
import type { BackendResult } from '../src/backend.js';

const API = '/api/bankid';
const ORDER_REF = '131daac9-16c6-4618-beb0-365768f37288';
const TOKEN = '7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6';
const QR =
  'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8';
const SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';

function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    ...init,
    headers: { 'Content-Type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
}

function text(body: string, init: ResponseInit = {}): Response {
  return new Response(body, { status: 200, ...init });
}

/** A fetch that never answers but rejects like the real one when its signal aborts. */
function hangingFetch(_input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return new Promise((_, reject) => {
    init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
}

function failureOf<T>(result: BackendResult<T>): unknown {
  expect(result.ok, 'expected a failure').to.equal(false);
  return result.ok ? undefined : result.failure;
}

function valueOf<T>(result: BackendResult<T>): T {
  if (!result.ok) throw new Error(`expected a value, got ${JSON.stringify(result.failure)}`);
  return result.value;
}

describe('backend', () => {
  let fetchStub: sinon.SinonStub<Parameters<typeof fetch>, ReturnType<typeof fetch>>;
  let warnStub: sinon.SinonStub;

  beforeEach(() => {
    fetchStub = sinon.stub(window, 'fetch');
    warnStub = sinon.stub(console, 'warn');
    _resetSecretWarningForTests();
  });

  afterEach(() => {
    sinon.restore();
  });

  function call(index = 0): { url: string; init: RequestInit; headers: Headers; body: unknown } {
    const args = fetchStub.getCall(index).args;
    const init = args[1] ?? {};
    return {
      url: String(args[0]),
      init,
      headers: new Headers(init.headers),
      body: JSON.parse(String(init.body)) as unknown,
    };
  }

  describe('requests', () => {
    it('start (auth) posts the flow with JSON headers, the host headers and same-origin credentials', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF }));
      await requestStart(API, 'auth', { flow: 'other-device' }, { headers: { 'X-CSRF-Token': 'abc123' } });
      expect(fetchStub.callCount).to.equal(1);
      const { url, init, headers, body } = call();
      expect(url).to.equal('/api/bankid/auth');
      expect(init.method).to.equal('POST');
      expect(init.credentials).to.equal('same-origin');
      expect(headers.get('Content-Type')).to.equal('application/json');
      expect(headers.get('Accept')).to.equal('application/json');
      expect(headers.get('X-CSRF-Token')).to.equal('abc123');
      expect(body).to.deep.equal({ flow: 'other-device' });
      expect(init.keepalive).to.equal(false);
      expect(init.signal).to.be.instanceOf(AbortSignal);
    });

    it('start (sign) sends returnUrl when given', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF }));
      await requestStart(API, 'sign', { flow: 'this-device', returnUrl: 'https://example.com/login#x' });
      const { url, body } = call();
      expect(url).to.equal('/api/bankid/sign');
      expect(body).to.deep.equal({ flow: 'this-device', returnUrl: 'https://example.com/login#x' });
    });

    it('start leaves returnUrl out when it is undefined', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF }));
      const body: { flow: 'this-device'; returnUrl?: string } = { flow: 'this-device' };
      await requestStart(API, 'auth', body);
      expect(String(call().init.body)).to.equal('{"flow":"this-device"}');
    });

    it('collect posts the orderRef', async () => {
      fetchStub.resolves(json({ status: 'pending' }));
      await requestCollect(API, ORDER_REF, { headers: { 'X-CSRF-Token': 't' } });
      const { url, init, headers, body } = call();
      expect(url).to.equal('/api/bankid/collect');
      expect(init.method).to.equal('POST');
      expect(init.credentials).to.equal('same-origin');
      expect(headers.get('Content-Type')).to.equal('application/json');
      expect(headers.get('Accept')).to.equal('application/json');
      expect(headers.get('X-CSRF-Token')).to.equal('t');
      expect(body).to.deep.equal({ orderRef: ORDER_REF });
    });

    it('cancel posts the orderRef and passes keepalive through', async () => {
      fetchStub.resolves(new Response(null, { status: 204 }));
      const ok = await requestCancel(API, ORDER_REF, { keepalive: true, headers: { 'X-CSRF-Token': 'c' } });
      expect(ok).to.equal(true);
      const { url, init, headers, body } = call();
      expect(url).to.equal('/api/bankid/cancel');
      expect(init.method).to.equal('POST');
      expect(init.credentials).to.equal('same-origin');
      expect(init.keepalive).to.equal(true);
      expect(headers.get('Content-Type')).to.equal('application/json');
      expect(headers.get('X-CSRF-Token')).to.equal('c');
      expect(body).to.deep.equal({ orderRef: ORDER_REF });
    });

    it('strips trailing slashes from api', async () => {
      fetchStub.callsFake(() => Promise.resolve(json({ status: 'pending' })));
      await requestCollect('/api/bankid/', ORDER_REF);
      await requestCollect('https://example.com/bankid//', ORDER_REF);
      expect(call(0).url).to.equal('/api/bankid/collect');
      expect(call(1).url).to.equal('https://example.com/bankid/collect');
    });

    it('keeps its own Content-Type and Accept over a host header of the same name', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF }));
      await requestStart(
        API,
        'auth',
        { flow: 'other-device' },
        { headers: { 'content-type': 'text/plain', accept: '*/*' } },
      );
      expect(call().headers.get('Content-Type')).to.equal('application/json');
      expect(call().headers.get('Accept')).to.equal('application/json');
    });
  });

  describe('start answer', () => {
    it('returns a valid answer', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF, autoStartToken: TOKEN, qr: QR }));
      const result = await requestStart(API, 'auth', { flow: 'this-device' });
      expect(result).to.deep.equal({ ok: true, value: { orderRef: ORDER_REF, autoStartToken: TOKEN, qr: QR } });
    });

    it('accepts an upper-case UUID token', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF, autoStartToken: TOKEN.toUpperCase() }));
      const value = valueOf(await requestStart(API, 'auth', { flow: 'this-device' }));
      expect(value.autoStartToken).to.equal(TOKEN.toUpperCase());
    });

    it('turns absent or null token and qr into null, and drops unknown fields', async () => {
      fetchStub.onFirstCall().resolves(json({ orderRef: ORDER_REF }));
      fetchStub.onSecondCall().resolves(json({ orderRef: ORDER_REF, autoStartToken: null, qr: null, extra: 1 }));
      const expected = { orderRef: ORDER_REF, autoStartToken: null, qr: null };
      expect(valueOf(await requestStart(API, 'auth', { flow: 'other-device' }))).to.deep.equal(expected);
      expect(valueOf(await requestStart(API, 'auth', { flow: 'other-device' }))).to.deep.equal(expected);
    });

    const invalidBodies: Array<[string, string]> = [
      ['not JSON', 'orderRef=abc'],
      ['an HTML page', '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>'],
      ['an empty body', ''],
      ['JSON null', 'null'],
      ['a JSON string', '"abc"'],
      ['an array', JSON.stringify([{ orderRef: ORDER_REF }])],
      ['a missing orderRef', JSON.stringify({ autoStartToken: TOKEN })],
      ['an empty orderRef', JSON.stringify({ orderRef: '' })],
      ['a numeric orderRef', JSON.stringify({ orderRef: 12345 })],
      ['an orderRef with a space', JSON.stringify({ orderRef: 'abc def' })],
      ['an orderRef with a control character', JSON.stringify({ orderRef: 'abc\ndef' })],
      ['an orderRef with non-ASCII', JSON.stringify({ orderRef: 'abcå' })],
      ['an orderRef longer than 128', JSON.stringify({ orderRef: 'a'.repeat(129) })],
      ['a token "abc"', JSON.stringify({ orderRef: ORDER_REF, autoStartToken: 'abc' })],
      ['a token "<img src=x>"', JSON.stringify({ orderRef: ORDER_REF, autoStartToken: '<img src=x>' })],
      ['an empty token', JSON.stringify({ orderRef: ORDER_REF, autoStartToken: '' })],
      ['a numeric token', JSON.stringify({ orderRef: ORDER_REF, autoStartToken: 123 })],
      [
        'a UUID token with extra text',
        JSON.stringify({ orderRef: ORDER_REF, autoStartToken: `${TOKEN}&redirect=evil` }),
      ],
      ['a qr that is markup', JSON.stringify({ orderRef: ORDER_REF, qr: '<script>alert(1)</script>' })],
      ['a qr without the auth code', JSON.stringify({ orderRef: ORDER_REF, qr: 'bankid.abc.0.' })],
      ['a qr with a bad prefix', JSON.stringify({ orderRef: ORDER_REF, qr: QR.replace('bankid.', 'evil.') })],
      ['a numeric qr', JSON.stringify({ orderRef: ORDER_REF, qr: 42 })],
    ];
    for (const [name, body] of invalidBodies) {
      it(`is invalid for ${name}`, async () => {
        fetchStub.resolves(text(body, { headers: { 'Content-Type': 'application/json' } }));
        expect(failureOf(await requestStart(API, 'auth', { flow: 'this-device' }))).to.deep.equal({ kind: 'invalid' });
      });
    }

    it('accepts an orderRef of exactly 128 printable characters', async () => {
      fetchStub.resolves(json({ orderRef: `${'a'.repeat(127)}~` }));
      expect(valueOf(await requestStart(API, 'auth', { flow: 'this-device' })).orderRef).to.have.length(128);
    });
  });

  describe('collect answer', () => {
    it('returns a pending answer with hint and qr', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF, status: 'pending', hintCode: 'outstandingTransaction', qr: QR }));
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value).to.deep.equal({
        status: 'pending',
        hintCode: 'outstandingTransaction',
        qr: QR,
        body: { orderRef: ORDER_REF, status: 'pending', hintCode: 'outstandingTransaction', qr: QR },
      });
    });

    it('passes a complete body through untouched, completionData included', async () => {
      const answer = {
        orderRef: ORDER_REF,
        status: 'complete',
        completionData: {
          user: { personalNumber: '190000000000', name: 'Karl Karlsson', givenName: 'Karl', surname: 'Karlsson' },
          device: { ipAddress: '192.168.0.1', uhi: 'OZvYM9VvyiAmG7NA5jU5zRGcR8nx' },
          bankIdIssueDate: '2020-02-01',
          signature: '<base64>',
          ocspResponse: '<base64>',
        },
        sessionId: 42,
      };
      fetchStub.resolves(json(answer));
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value.status).to.equal('complete');
      expect(value.hintCode).to.equal(null);
      expect(value.qr).to.equal(null);
      expect(value.body).to.deep.equal(answer);
    });

    it('returns a failed answer with its hint', async () => {
      fetchStub.resolves(json({ status: 'failed', hintCode: 'userCancel' }));
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value.status).to.equal('failed');
      expect(value.hintCode).to.equal('userCancel');
    });

    const invalidBodies: Array<[string, string]> = [
      ['not JSON', 'status=pending'],
      ['an HTML page', '<html><body>Please log in</body></html>'],
      ['an array', '["pending"]'],
      ['a missing status', JSON.stringify({ hintCode: 'started' })],
      ['an unknown status', JSON.stringify({ status: 'done' })],
      ['a numeric status', JSON.stringify({ status: 1 })],
      ['a numeric hint code', JSON.stringify({ status: 'pending', hintCode: 5 })],
      ['a bad qr on a pending order', JSON.stringify({ status: 'pending', qr: 'javascript:alert(1)' })],
    ];
    for (const [name, body] of invalidBodies) {
      it(`is invalid for ${name}`, async () => {
        fetchStub.resolves(text(body));
        expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({ kind: 'invalid' });
      });
    }

    it('stops reading an endless body past 1 MB: invalid, and the stream is cancelled', async () => {
      let sent = 0;
      let cancelled = false;
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += 65_536;
          controller.enqueue(new Uint8Array(65_536).fill(0x20));
        },
        cancel() {
          cancelled = true;
        },
      });
      fetchStub.resolves(new Response(endless, { status: 200 }));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({ kind: 'invalid' });
      expect(cancelled).to.equal(true);
      expect(sent).to.be.below(2 * 1024 * 1024);
    });

    it('reads an answer that declares its length, and one that is compressed', async () => {
      const answer = { status: 'pending', hintCode: 'started' };
      const body = JSON.stringify(answer);
      fetchStub.resolves(text(body, { headers: { 'Content-Length': String(body.length) } }));
      expect(valueOf(await requestCollect(API, ORDER_REF)).hintCode).to.equal('started');
      fetchStub.resolves(text(body, { headers: { 'Content-Length': '20', 'Content-Encoding': 'gzip' } }));
      expect(valueOf(await requestCollect(API, ORDER_REF)).hintCode).to.equal('started');
    });

    it('reads a large complete body (a signature of 900 KB) in full', async () => {
      const answer = { status: 'complete', completionData: { signature: 'A'.repeat(900_000) } };
      fetchStub.resolves(json(answer));
      expect(valueOf(await requestCollect(API, ORDER_REF)).body).to.deep.equal(answer);
    });

    // New hint codes appear over time: an odd one is still a hint (the flow shows RFA21 / RFA22).
    const oddHints: Array<[string, unknown, string]> = [
      ['a new hint code is passed on', 'someNewHint', 'someNewHint'],
      ['a hyphenated hint code is passed on', 'user-sign', 'user-sign'],
      ['markup becomes "unknown"', '<b>x</b>', 'unknown'],
      ['an empty hint code becomes "unknown"', '', 'unknown'],
      ['a very long hint code becomes "unknown"', 'x'.repeat(101), 'unknown'],
    ];
    for (const [name, hintCode, expected] of oddHints) {
      it(name, async () => {
        fetchStub.resolves(json({ status: 'failed', hintCode }));
        expect(valueOf(await requestCollect(API, ORDER_REF)).hintCode).to.equal(expected);
      });
    }

    it('ignores the qr of an ended order, whatever it holds', async () => {
      fetchStub.resolves(json({ status: 'complete', qr: 'garbage', completionData: { user: { name: 'A' } } }));
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value.status).to.equal('complete');
      expect(value.qr).to.equal(null);
    });
  });

  describe('HTTP errors', () => {
    it('500 with an errorCode', async () => {
      fetchStub.resolves(json({ errorCode: 'internalError', details: 'x' }, { status: 500 }));
      expect(failureOf(await requestStart(API, 'auth', { flow: 'other-device' }))).to.deep.equal({
        kind: 'http',
        status: 500,
        errorCode: 'internalError',
        retryAfterMs: null,
      });
    });

    it('400 alreadyInProgress', async () => {
      fetchStub.resolves(
        json({ errorCode: 'alreadyInProgress', details: 'Order already in progress' }, { status: 400 }),
      );
      expect(failureOf(await requestStart(API, 'auth', { flow: 'this-device' }))).to.deep.equal({
        kind: 'http',
        status: 400,
        errorCode: 'alreadyInProgress',
        retryAfterMs: null,
      });
    });

    it('429 with Retry-After: 3 on collect', async () => {
      fetchStub.resolves(text('', { status: 429, headers: { 'Retry-After': '3' } }));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({
        kind: 'http',
        status: 429,
        errorCode: null,
        retryAfterMs: 3000,
      });
    });

    it('reads Retry-After as an HTTP date, never negative', async () => {
      sinon.useFakeTimers({ now: Date.UTC(2025, 0, 1, 12, 0, 0), toFake: ['Date'] });
      fetchStub
        .onFirstCall()
        .resolves(text('', { status: 503, headers: { 'Retry-After': 'Wed, 01 Jan 2025 12:00:05 GMT' } }));
      fetchStub
        .onSecondCall()
        .resolves(text('', { status: 503, headers: { 'Retry-After': 'Wed, 01 Jan 2025 11:00:00 GMT' } }));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.include({ retryAfterMs: 5000 });
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.include({ retryAfterMs: 0 });
    });

    it('caps a huge Retry-After at 10 minutes', async () => {
      fetchStub.resolves(text('', { status: 503, headers: { 'Retry-After': '999999999999999999999' } }));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.include({ retryAfterMs: 600_000 });
    });

    for (const garbage of ['soon', '-5', '1.5', '3 seconds', '']) {
      it(`ignores a Retry-After of ${JSON.stringify(garbage)}`, async () => {
        fetchStub.resolves(text('', { status: 503, headers: { 'Retry-After': garbage } }));
        expect(failureOf(await requestCollect(API, ORDER_REF))).to.include({ kind: 'http', retryAfterMs: null });
      });
    }

    const badCodes: Array<[string, string]> = [
      ['an HTML page', '<html><body>errorCode</body></html>'],
      ['markup in errorCode', JSON.stringify({ errorCode: '<img src=x onerror=alert(1)>' })],
      ['a numeric errorCode', JSON.stringify({ errorCode: 42 })],
      ['an errorCode with a space', JSON.stringify({ errorCode: 'internal Error' })],
      ['an errorCode longer than 64', JSON.stringify({ errorCode: `a${'b'.repeat(64)}` })],
      ['an array', JSON.stringify(['internalError'])],
      ['plain text', 'internalError'],
    ];
    for (const [name, body] of badCodes) {
      it(`gives errorCode null for ${name}`, async () => {
        fetchStub.resolves(text(body, { status: 502 }));
        expect(failureOf(await requestStart(API, 'auth', { flow: 'this-device' }))).to.deep.equal({
          kind: 'http',
          status: 502,
          errorCode: null,
          retryAfterMs: null,
        });
      });
    }

    it('404 on collect', async () => {
      fetchStub.resolves(json({ errorCode: 'invalidParameters' }, { status: 404 }));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({
        kind: 'http',
        status: 404,
        errorCode: 'invalidParameters',
        retryAfterMs: null,
      });
    });

    it('cancel resolves false on a non-2xx answer', async () => {
      fetchStub.resolves(json({ errorCode: 'invalidParameters' }, { status: 400 }));
      expect(await requestCancel(API, ORDER_REF)).to.equal(false);
    });
  });

  describe('network', () => {
    it('a rejected fetch is a network failure for start and collect', async () => {
      fetchStub.rejects(new TypeError('Failed to fetch'));
      expect(failureOf(await requestStart(API, 'auth', { flow: 'this-device' }))).to.deep.equal({ kind: 'network' });
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({ kind: 'network' });
    });

    it('a rejected fetch makes cancel resolve false', async () => {
      fetchStub.rejects(new TypeError('Failed to fetch'));
      expect(await requestCancel(API, ORDER_REF)).to.equal(false);
    });

    it('a fetch that throws synchronously is a network failure', async () => {
      fetchStub.throws(new TypeError('bad'));
      expect(failureOf(await requestCollect(API, ORDER_REF))).to.deep.equal({ kind: 'network' });
    });
  });

  describe('deadline', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers();
    });

    it('defaults to 10 s', () => {
      expect(REQUEST_TIMEOUT_MS).to.equal(10_000);
    });

    it('times out after 10 s, aborting the request, and not a millisecond before', async () => {
      fetchStub.callsFake(hangingFetch);
      let settled = false;
      const pending = requestStart(API, 'auth', { flow: 'other-device' }).then((r) => {
        settled = true;
        return r;
      });
      await clock.tickAsync(9999);
      expect(settled).to.equal(false);
      expect(call().init.signal?.aborted).to.equal(false);
      await clock.tickAsync(1);
      expect(failureOf(await pending)).to.deep.equal({ kind: 'timeout' });
      expect(call().init.signal?.aborted).to.equal(true);
      expect(clock.countTimers()).to.equal(0);
    });

    it('honours timeoutMs', async () => {
      fetchStub.callsFake(hangingFetch);
      let settled = false;
      const pending = requestCollect(API, ORDER_REF, { timeoutMs: 2000 }).then((r) => {
        settled = true;
        return r;
      });
      await clock.tickAsync(1999);
      expect(settled).to.equal(false);
      await clock.tickAsync(1);
      expect(failureOf(await pending)).to.deep.equal({ kind: 'timeout' });
    });

    it('times out even when fetch ignores the abort', async () => {
      fetchStub.callsFake(() => new Promise<Response>(() => undefined));
      const pending = requestCollect(API, ORDER_REF);
      await clock.tickAsync(10_000);
      expect(failureOf(await pending)).to.deep.equal({ kind: 'timeout' });
    });

    it('covers a body that never finishes', async () => {
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"status":'));
        },
      });
      fetchStub.resolves(new Response(stalled, { status: 200 }));
      const pending = requestCollect(API, ORDER_REF);
      await clock.tickAsync(10_000);
      expect(failureOf(await pending)).to.deep.equal({ kind: 'timeout' });
    });

    it('cancel resolves false on timeout', async () => {
      fetchStub.callsFake(hangingFetch);
      const pending = requestCancel(API, ORDER_REF);
      await clock.tickAsync(10_000);
      expect(await pending).to.equal(false);
    });

    it('clears its timer once answered', async () => {
      fetchStub.resolves(json({ status: 'pending' }));
      valueOf(await requestCollect(API, ORDER_REF));
      expect(clock.countTimers()).to.equal(0);
    });

    it('a caller abort is aborted, not timeout or network', async () => {
      fetchStub.callsFake(hangingFetch);
      const controller = new AbortController();
      const pending = requestCollect(API, ORDER_REF, { signal: controller.signal });
      await clock.tickAsync(5000);
      controller.abort();
      expect(failureOf(await pending)).to.deep.equal({ kind: 'aborted' });
      expect(call().init.signal?.aborted).to.equal(true);
      expect(clock.countTimers()).to.equal(0);
    });

    it('an already aborted signal sends nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      expect(
        failureOf(await requestStart(API, 'auth', { flow: 'this-device' }, { signal: controller.signal })),
      ).to.deep.equal({
        kind: 'aborted',
      });
      expect(fetchStub.called).to.equal(false);
    });

    it('a caller abort after the deadline does not change the timeout', async () => {
      fetchStub.callsFake(hangingFetch);
      const controller = new AbortController();
      const pending = requestCollect(API, ORDER_REF, { signal: controller.signal });
      await clock.tickAsync(9999);
      // Synchronous tick: the caller aborts before the timed-out fetch has even rejected.
      clock.tick(1);
      controller.abort();
      expect(failureOf(await pending)).to.deep.equal({ kind: 'timeout' });
    });
  });

  describe('qrStartSecret', () => {
    it('is dropped from start and collect answers and warned about exactly once', async () => {
      fetchStub
        .onFirstCall()
        .resolves(json({ orderRef: ORDER_REF, autoStartToken: TOKEN, qr: QR, qrStartSecret: SECRET }));
      fetchStub
        .onSecondCall()
        .resolves(json({ status: 'pending', hintCode: 'outstandingTransaction', qrStartSecret: SECRET }));
      const start = await requestStart(API, 'auth', { flow: 'other-device' });
      const collect = await requestCollect(API, ORDER_REF);
      expect(valueOf(start)).to.deep.equal({ orderRef: ORDER_REF, autoStartToken: TOKEN, qr: QR });
      expect(valueOf(collect).body).to.deep.equal({ status: 'pending', hintCode: 'outstandingTransaction' });
      expect(JSON.stringify([start, collect])).not.to.contain(SECRET);
      expect(warnStub.callCount).to.equal(1);
      expect(String(warnStub.firstCall.args[0])).to.contain('qrStartSecret');
    });

    it('is dropped from a complete body', async () => {
      fetchStub.resolves(json({ status: 'complete', completionData: { user: { name: 'A' } }, qrStartSecret: SECRET }));
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value.body).to.deep.equal({ status: 'complete', completionData: { user: { name: 'A' } } });
      expect(Object.keys(value.body)).not.to.include('qrStartSecret');
      expect(warnStub.callCount).to.equal(1);
    });

    it('is dropped wherever it is nested in a complete body ("keeps it nowhere"), warned about once', async () => {
      fetchStub.resolves(
        json({
          status: 'complete',
          completionData: { user: { name: 'A' }, qrStartSecret: SECRET },
          extra: [{ order: { qrStartSecret: SECRET, keep: 1 } }],
        }),
      );
      const value = valueOf(await requestCollect(API, ORDER_REF));
      expect(value.body).to.deep.equal({
        status: 'complete',
        completionData: { user: { name: 'A' } },
        extra: [{ order: { keep: 1 } }],
      });
      expect(JSON.stringify(value)).not.to.contain(SECRET);
      expect(warnStub.callCount).to.equal(1);
    });

    it('is not warned about when absent', async () => {
      fetchStub.resolves(json({ orderRef: ORDER_REF, qr: QR }));
      valueOf(await requestStart(API, 'auth', { flow: 'other-device' }));
      expect(warnStub.called).to.equal(false);
    });
  });

  describe('a start refused as cross-origin (403 forbidden)', () => {
    it('tells the developer on the console why (a dev proxy that rewrites Host), the user sees the usual failure', async () => {
      fetchStub.resolves(
        json({ errorCode: 'forbidden', details: 'Cross-origin requests are not allowed.' }, { status: 403 }),
      );
      expect(failureOf(await requestStart(API, 'auth', { flow: 'other-device' }))).to.deep.include({
        kind: 'http',
        status: 403,
        errorCode: 'forbidden',
      });
      expect(String(warnStub.firstCall?.args[0])).to.match(/403 forbidden.*Host.*changeOrigin: false/);
    });

    it('says nothing for other refusals', async () => {
      fetchStub.resolves(json({ errorCode: 'invalidParameters' }, { status: 400 }));
      failureOf(await requestStart(API, 'auth', { flow: 'other-device' }));
      expect(warnStub.called).to.equal(false);
    });
  });
});
