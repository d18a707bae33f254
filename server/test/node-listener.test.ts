// backend.nodeListener on real sockets: node:http, middleware chains (next), bodies already parsed
// by express.json(), streamed bodies over the limit, cookies set before us.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect as http2Connect, createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { createBankIdBackend } from '../index.js';
import { jsonResponse, toNodeListener } from '../http.js';
import { API, KEY, completionData, fakeBankId } from './support.js';

const servers: Array<Server | Http2Server> = [];
const sockets = new Set<Socket>();
/** Keeps the server's connections, so the end of the file can cut them: close() alone waits for them. */
function track<T extends Server | Http2Server>(server: T): T {
  servers.push(server);
  server.on('connection', (socket: Socket) => sockets.add(socket));
  return server;
}
after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** `promise`, or a failure that says what did not happen within `ms` (never a test that hangs). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = track(createServer(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw request, so bodies can be streamed without a Content-Length. */
function send(
  port: number,
  path: string,
  {
    method = 'POST',
    body,
    headers = {},
  }: { method?: string; body?: string | string[]; headers?: Record<string, string> },
): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    for (const part of [body ?? []].flat()) req.write(part);
    req.end();
  });
}

const json = { 'Content-Type': 'application/json' };

describe('nodeListener', () => {
  const bankid = fakeBankId();
  const seen: Array<{ address: string; hasNode: boolean }> = [];
  const backend = createBankIdBackend({
    rp: bankid.rp,
    cookieKey: KEY,
    userVisibleData: 'Logga in',
    log: () => {},
    rateLimits: false,
    onComplete: (completion, _request, reply) => {
      seen.push({ address: completion.clientAddress, hasNode: reply.node?.req.url === `${API}/collect` });
      return { welcome: true };
    },
  });

  test('on plain node:http: our paths are answered, the client address comes from the socket, others get 404', async () => {
    const port = await listen(backend.nodeListener);
    const start = await send(port, `${API}/auth`, { body: '{"flow":"other-device"}', headers: json });
    assert.equal(start.status, 200);
    assert.equal(bankid.last('auth')['endUserIp'], '127.0.0.1');
    assert.equal(start.headers['set-cookie']?.length, 3);
    assert.equal(start.headers['cache-control'], 'no-store');
    const other = await send(port, '/elsewhere', { method: 'GET' });
    assert.equal(other.status, 404);
  });

  test('as middleware: other paths go to next() untouched; cookies set earlier in the chain are kept', async () => {
    const port = await listen((req, res) => {
      res.setHeader('Set-Cookie', 'host-cookie=1; Path=/');
      backend.nodeListener(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('the host page');
      });
    });
    assert.equal((await send(port, '/page', { method: 'GET' })).text, 'the host page');
    const start = await send(port, `${API}/auth`, { body: '{"flow":"this-device"}', headers: json });
    assert.equal(start.status, 200);
    assert.ok(start.headers['set-cookie']?.includes('host-cookie=1; Path=/'));
    assert.equal(start.headers['set-cookie']?.length, 4);
  });

  test('after a body parser (express.json()) read the stream, req.body is used; onComplete sees the node objects', async () => {
    const port = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        (req as IncomingMessage & { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        backend.nodeListener(req, res);
      });
    });
    const start = await send(port, `${API}/auth`, { body: '{"flow":"other-device"}', headers: json });
    assert.equal(start.status, 200);
    const cookie = (start.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ');
    const { orderRef } = JSON.parse(start.text) as { orderRef: string };
    bankid.queue('collect', { orderRef, status: 'complete', completionData: completionData() });
    const done = await send(port, `${API}/collect`, {
      body: JSON.stringify({ orderRef }),
      headers: { ...json, Cookie: cookie },
    });
    assert.deepEqual(JSON.parse(done.text), { welcome: true, orderRef, status: 'complete' });
    assert.deepEqual(seen.at(-1), { address: '127.0.0.1', hasNode: true });
  });

  test("mounted at a path (app.use('/api/bankid', …)): the full URL in req.originalUrl is what counts", async () => {
    const port = await listen((req, res) => {
      // What Express, Connect and middie do under a mount path.
      (req as IncomingMessage & { originalUrl?: string | undefined }).originalUrl = req.url;
      req.url = (req.url ?? '/').replace(/^\/api\/bankid/, '') || '/';
      backend.nodeListener(req, res, () => {
        res.writeHead(418).end();
      });
    });
    const start = await send(port, `${API}/auth`, { body: '{"flow":"other-device"}', headers: json });
    assert.equal(start.status, 200);
  });

  test('a target that only looks like ours (//other.example/api/bankid/auth) goes to next() with its body unread', async () => {
    const port = await listen((req, res) => {
      backend.nodeListener(req, res, () => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.writeHead(418).end(Buffer.concat(chunks)));
      });
    });
    const calls = bankid.count('auth');
    const answer = await within(
      send(port, `//other.example${API}/auth`, { body: '{"flow":"other-device"}', headers: json }),
      5000,
      "the host's answer (its body read already, its end never comes)",
    );
    assert.equal(answer.status, 418);
    assert.equal(answer.text, '{"flow":"other-device"}', 'the host still reads the body');
    assert.equal(bankid.count('auth'), calls, 'BankID not called');
  });

  test('a body over 4 KB → 413 with Connection: close, declared or streamed in chunks', async () => {
    const port = await listen(backend.nodeListener);
    const declared = await send(port, `${API}/auth`, { body: 'x'.repeat(5000), headers: json });
    assert.equal(declared.status, 413);
    const streamed = await send(port, `${API}/auth`, {
      body: Array(10).fill('x'.repeat(1000)),
      headers: { ...json, 'Transfer-Encoding': 'chunked' },
    });
    assert.equal(streamed.status, 413);
    assert.equal(streamed.headers['connection'], 'close');
    assert.equal(JSON.parse(streamed.text).errorCode, 'invalidParameters');
  });

  test('a body that trickles in gets 408 with Connection: close at the deadline, and the handler never runs', async () => {
    let handled = 0;
    const listener = toNodeListener(
      async () => {
        handled += 1;
        return jsonResponse(200, {});
      },
      { maxBodyBytes: 4096, bodyDeadlineMs: 300 },
    );
    const port = await listen(listener);
    const socket = netConnect(port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    // Ten of the hundred bytes it declares, then nothing: a slow-body client holding the socket.
    socket.write(`POST ${API}/auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`);
    socket.write('Content-Length: 100\r\n\r\n{"flow":"o');
    const text = await within(answer, 5000, 'the 408 and the closed socket');
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).errorCode, 'requestTimeout');
    assert.equal(handled, 0);
  });

  test('on HTTP/2 the 408 also ends the stream, so a client cannot keep trickling into it', async () => {
    const listener = toNodeListener(async () => jsonResponse(200, {}), { maxBodyBytes: 4096, bodyDeadlineMs: 300 });
    const server = track(createHttp2Server(listener as unknown as Parameters<typeof createHttp2Server>[1]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on('error', () => {}); // a failure shows as a missing answer below
    const stream = session.request({ ':method': 'POST', ':path': `${API}/auth`, ...json });
    const trickle = setInterval(() => !stream.closed && stream.write(' '), 100);
    try {
      stream.on('error', () => {});
      stream.write('{"flow":"o'); // and never the rest
      const status = await within(
        new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status'])))),
        5000,
        'the 408 on HTTP/2',
      );
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const closedAfter = await Promise.race([
        new Promise<string>((resolve) => stream.on('close', () => resolve(`closed, code ${stream.rstCode}`))),
        new Promise<string>((resolve) => setTimeout(() => resolve('still open after 2 s'), 2000)),
      ]);
      assert.equal(status, 408);
      assert.equal(closedAfter, 'closed, code 0');
      assert.equal(JSON.parse(text).errorCode, 'requestTimeout', 'the whole answer arrived before the stream ended');
      // A lower-case method (HTTP/2 allows it) is the method, not a 500.
      const lower = session.request({ ':method': 'get', ':path': `${API}/auth` });
      lower.on('error', () => {});
      const lowerStatus = await within(
        new Promise<number>((resolve) => lower.on('response', (h) => resolve(Number(h[':status'])))),
        5000,
        'the answer to a lower-case method',
      );
      lower.resume();
      lower.end();
      assert.equal(lowerStatus, 200);
    } finally {
      clearInterval(trickle);
      session.destroy(); // close() would wait for every stream, and the server's close() for it
    }
  });

  test('TRACE (a method the Fetch API refuses) gets 501, not a 500 with a stack trace in the log', async () => {
    const port = await listen(backend.nodeListener);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const answer = await send(port, `${API}/auth`, { method: 'TRACE' });
      assert.equal(answer.status, 501);
      assert.equal(JSON.parse(answer.text).errorCode, 'notImplemented');
    } finally {
      console.error = original;
    }
    assert.deepEqual(errors, []);
  });

  test('an absolute-form target may not turn a plain HTTP request into an HTTPS one (no Secure cookies, no https origin)', async () => {
    const port = await listen(backend.nodeListener);
    const claimed = await send(port, `https://shop.example${API}/auth`, {
      body: '{"flow":"other-device"}',
      headers: { ...json, Origin: 'https://shop.example' },
    });
    assert.equal(claimed.status, 400);
    assert.equal(claimed.headers['set-cookie'], undefined);
    // The same form with the connection's own scheme is an ordinary request.
    const plain = await send(port, `http://127.0.0.1:${port}${API}/auth`, {
      body: '{"flow":"other-device"}',
      headers: json,
    });
    assert.equal(plain.status, 200, plain.text);
  });

  test('on node:http2 (as Fastify with http2: true, or a TLS front): the authority counts as Host, no HTTP/1 headers go out', async () => {
    const server = track(createHttp2Server(backend.nodeListener as unknown as Parameters<typeof createHttp2Server>[1]));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const session = http2Connect(`http://127.0.0.1:${port}`);
    const h2 = (path: string, body: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': path, ...json, ...headers });
        let answer: Record<string, unknown> = {};
        const chunks: Buffer[] = [];
        stream.on('response', (h) => (answer = h));
        stream.on('data', (c: Buffer) => chunks.push(c));
        const done = () =>
          resolve({ status: Number(answer[':status']), headers: answer, text: Buffer.concat(chunks).toString() });
        stream.on('end', done);
        stream.on('close', done); // a stream the server closed early may end without 'end'
        stream.on('error', reject);
        stream.end(body);
      });
    // Node 20 only warns on an HTTP/1 connection header over HTTP/2 (later versions throw).
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const start = await h2(`${API}/auth`, '{"flow":"other-device"}', { origin: `http://127.0.0.1:${port}` });
      assert.equal(start.status, 200, start.text);
      const { orderRef, qr } = JSON.parse(start.text) as { orderRef: string; qr: string };
      assert.match(qr, /^bankid\./);
      const cookie = ([start.headers['set-cookie']].flat() as string[]).map((line) => line.split(';')[0]).join('; ');
      const pending = await h2(`${API}/collect`, JSON.stringify({ orderRef }), { cookie });
      assert.equal(pending.status, 200, pending.text);
      assert.equal(JSON.parse(pending.text).status, 'pending');
      const tooLarge = await h2(`${API}/auth`, 'x'.repeat(5000));
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.headers['connection'], undefined);
      // A Host that names another host than the stream's authority is refused, whatever Origin says.
      const twoHosts = await h2(`${API}/auth`, '{"flow":"other-device"}', {
        ':authority': `127.0.0.1:${port}`,
        host: 'evil.example',
        origin: 'http://evil.example',
      });
      assert.equal(twoHosts.status, 400);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
      session.destroy();
    }
  });
});
