// bankid-login-check against our own backend (every check passes) and against deliberately broken
// variants of it, each of which must fail its check with a line that says why.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  createBankIdBackend,
  createMemoryStore,
  createRpClient,
  type BankIdBackendOptions,
  type RpApi,
  type RpClient,
} from '../../server/index.js';
import { toNodeListener } from '../../server/http.js';
import { runCheckCommand } from '../check-command.js';
import { checkBackend, startSimulator, type CheckResult, type Simulator } from '../index.js';
import { sharedCertificates } from './support.js';

const servers: Server[] = [];
const closers: Array<() => Promise<unknown> | void> = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(closers.map((close) => close()));
});

/** A simulator and an RP client of its own, so that the tests can run side by side. */
async function simulator(): Promise<{ sim: Simulator; rp: RpClient }> {
  const sim = await startSimulator({ certDir: sharedCertificates().dir, pickupTimeoutMs: 60_000 });
  const rp = createRpClient(sim.rpClientOptions);
  closers.push(
    () => rp.close(),
    () => sim.close(),
  );
  return { sim, rp };
}

type Handler = (request: Request, clientAddress: string) => Promise<Response | null>;

/** Serves a Fetch handler on a free loopback port; resolves with its API URL. */
async function serve(handle: Handler): Promise<string> {
  const server = createServer(
    toNodeListener((request, connection) => handle(request, connection.clientAddress ?? ''), {
      maxBodyBytes: 64 * 1024,
    }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/bankid`;
}

function backendWith(rp: RpApi, options: Partial<BankIdBackendOptions> = {}) {
  return createBankIdBackend({
    rp,
    cookieKey: randomBytes(32),
    userVisibleData: 'Logga in på Testbanken',
    log: () => {},
    ...options,
  });
}

const run = (api: string, sim: Simulator) => checkBackend({ api, simulator: sim.appUrl });
const failures = (results: CheckResult[]) => results.filter((r) => !r.passed);

/** Our backend, handed a request again with the headers and body a careless backend would read. */
function resend(
  backend: ReturnType<typeof backendWith>,
  request: Request,
  clientAddress: string,
  headers: Headers,
  body: string,
): Promise<Response | null> {
  return backend.fetch(new Request(request.url, { method: request.method, headers, body }), { clientAddress });
}

/**
 * Our backend made careless about sessions: it keeps every order's cookies on the server by
 * orderRef and uses them for anyone who names the order (with `needsSession`, anyone who holds a
 * session of their own). `change` may replace an answer.
 */
function sharingOrders(
  backend: ReturnType<typeof backendWith>,
  needsSession: boolean,
  change: (path: string, orderRef: string | undefined, response: Response) => Response = (_p, _o, r) => r,
): Handler {
  const cookiesByOrder = new Map<string, string>();
  return async (request, clientAddress) => {
    const text = await request.text();
    const orderRef = /"orderRef":"([^"]+)"/.exec(text)?.[1];
    const headers = new Headers(request.headers);
    const hasSession = /bankid-session=/.test(headers.get('cookie') ?? '');
    if (orderRef && (hasSession || !needsSession) && cookiesByOrder.has(orderRef)) {
      headers.set('cookie', cookiesByOrder.get(orderRef)!);
    }
    const path = new URL(request.url).pathname;
    const response = await resend(backend, request, clientAddress, headers, text);
    if (!response) return response;
    if (response.status === 200 && /\/(auth|sign)$/.test(path)) {
      const { orderRef: started } = (await response.clone().json()) as { orderRef: string };
      const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0]);
      cookiesByOrder.set(started, cookies.join('; '));
    }
    return change(path, orderRef, response);
  };
}

describe('bankid-login-check', { concurrency: true }, () => {
  test('our backend passes every check', async () => {
    const { sim, rp } = await simulator();
    const backend = backendWith(rp);
    const results = await run(await serve((request, clientAddress) => backend.fetch(request, { clientAddress })), sim);
    assert.deepEqual(failures(results), []);
    assert.ok(results.length >= 13, `${results.length} checks`);
  });

  test('a backend that leaks qrStartSecret fails the leak check', async () => {
    const { sim, rp } = await simulator();
    // It passes BankID's start answer through, secrets and all.
    let secret = '';
    const leakyRp: RpApi = {
      ...rp,
      auth: async (body) => {
        const started = await rp.auth(body);
        secret = started.qrStartSecret;
        return started;
      },
    };
    const backend = backendWith(leakyRp);
    const api = await serve(async (request, clientAddress) => {
      const response = await backend.fetch(request, { clientAddress });
      if (!response || !new URL(request.url).pathname.endsWith('/auth') || response.status !== 200) return response;
      const body = (await response.json()) as Record<string, unknown>;
      const leaky = new Response(JSON.stringify({ ...body, qrStartSecret: secret }), response);
      return leaky;
    });
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      ['no qrStartSecret and no personal data reach the browser before complete'],
    );
    assert.match(failed[0]!.why, /qrStartSecret/);
  });

  test('a backend that ignores the session (orders found by orderRef alone) fails the session check', async () => {
    const { sim, rp } = await simulator();
    const api = await serve(sharingOrders(backendWith(rp), false));
    const failed = failures(await run(api, sim));
    assert.ok(failed.length >= 1);
    assert.equal(
      failed[0]?.name,
      'another session cannot collect or cancel the order, not even one with an order of its own',
    );
    assert.match(failed[0]!.why, /stranger's collect got 200/);
  });

  test("a backend that calls BankID's collect on every poll fails the pace check", async () => {
    const { sim, rp } = await simulator();
    const memory = createMemoryStore();
    const backend = backendWith(rp, { store: { ...memory, collectTurn: async () => ({ turn: true, last: null }) } });
    const failed = failures(
      await run(await serve((request, clientAddress) => backend.fetch(request, { clientAddress })), sim),
    );
    assert.deepEqual(
      failed.map((r) => r.name),
      ["BankID's collect is called at most once per 2 s for an order"],
    );
    assert.match(failed[0]!.why, /two BankID collects only \d+ ms apart/);
  });

  test('a backend that accepts a cross-site form post fails the form-post check', async () => {
    const { sim, rp } = await simulator();
    const backend = backendWith(rp);
    // It reads form bodies too, and trusts whatever Origin says.
    const api = await serve(async (request, clientAddress) => {
      const headers = new Headers(request.headers);
      let body = await request.text();
      if (headers.get('content-type')?.startsWith('application/x-www-form-urlencoded')) {
        body = JSON.stringify(Object.fromEntries(new URLSearchParams(body)));
        headers.set('content-type', 'application/json');
        headers.delete('origin');
        headers.delete('sec-fetch-site');
      }
      return resend(backend, request, clientAddress, headers, body);
    });
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      ['a form post (not JSON) is refused, also one without Origin or Sec-Fetch-Site'],
    );
    assert.match(failed[0]!.why, /a form post got 200/);
  });

  test('a backend that passes any returnUrl on to BankID fails the returnUrl check', async () => {
    const { sim, rp } = await simulator();
    // It takes the returnUrl out of the body (so the real backend starts the order) and hands it
    // to BankID unchecked.
    let asked: string | undefined;
    const backend = backendWith({
      ...rp,
      auth: (body) => rp.auth({ ...body, ...(asked ? { returnUrl: asked } : {}) }),
    });
    const api = await serve(async (request, clientAddress) => {
      let body = await request.text();
      asked = undefined;
      if (body.startsWith('{')) {
        const json = JSON.parse(body) as Record<string, unknown>;
        asked = typeof json['returnUrl'] === 'string' ? json['returnUrl'] : undefined;
        delete json['returnUrl'];
        body = JSON.stringify(json);
      }
      return resend(backend, request, clientAddress, new Headers(request.headers), body);
    });
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      ['the iOS returnUrl reaches BankID only as a page of this site'],
    );
    assert.match(failed[0]!.why, /asked for https:\/\/evil\.example\/after-login, BankID got https:\/\/evil\.example/);
  });

  test('a backend that takes any valid session, and ends an order on a BankID outage, fails those checks', async () => {
    const { sim, rp } = await simulator();
    const api = await serve(
      // And BankID's trouble on collect becomes the end of the order.
      sharingOrders(backendWith(rp), true, (path, orderRef, response) =>
        response.status >= 500 && path.endsWith('/collect')
          ? Response.json({ orderRef, status: 'failed', hintCode: 'maintenance' })
          : response,
      ),
    );
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      [
        'another session cannot collect or cancel the order, not even one with an order of its own',
        'cookies planted before a start do not let their planter collect the order (a new session per order)',
        'a short BankID outage during collect comes back as 5xx or 429, not as a failed order',
      ],
    );
    assert.match(failed[0]!.why, /stranger's collect got 200/);
    assert.match(failed[1]!.why, /the planter's collect of the victim's order got 200/);
    assert.match(failed[2]!.why, /during the outage collect got 200 .*failed.*: the element would end the login/);
  });

  test('a backend that reads only Sec-Fetch-Site, takes text/plain for JSON and sets readable cookies fails those checks', async () => {
    const { sim, rp } = await simulator();
    const backend = backendWith(rp);
    const api = await serve(async (request, clientAddress) => {
      const headers = new Headers(request.headers);
      headers.delete('origin');
      if (headers.get('content-type') === 'text/plain') headers.set('content-type', 'application/json');
      const body = await request.text();
      const response = await resend(backend, request, clientAddress, headers, body);
      if (!response) return response;
      const out = new Headers(response.headers);
      out.delete('set-cookie');
      // First, a double-submit CSRF token, which the page's script must read: not what fails.
      out.append('set-cookie', 'XSRF-TOKEN=t0k3n; Path=/; SameSite=Lax');
      for (const line of response.headers.getSetCookie()) out.append('set-cookie', line.replace(/; HttpOnly/i, ''));
      return new Response(response.body, { status: response.status, headers: out });
    });
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      [
        'cross-site requests are refused (Origin of another site, with or without Sec-Fetch-Site)',
        'a form post (not JSON) is refused, also one without Origin or Sec-Fetch-Site',
        'every cookie is HttpOnly (but a CSRF token) and SameSite Lax or Strict (and Secure on HTTPS)',
      ],
    );
    assert.match(failed[0]!.why, /a cross-site fetch without Sec-Fetch-Site got 200/);
    assert.match(failed[1]!.why, /a text\/plain post without Origin got 200/);
    assert.match(failed[2]!.why, /^bankid-\w+ is not HttpOnly/);
  });

  test('a backend whose session id never changes fails the planted-cookie check', async () => {
    const { sim, rp } = await simulator();
    const backend = backendWith(rp);
    // Its own session cookie, set once and never rotated; under it, the cookies our backend sets,
    // kept on the server. Whoever holds the id gets that session's latest order.
    const inner = new Map<string, string>();
    const api = await serve(async (request, clientAddress) => {
      const headers = new Headers(request.headers);
      const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(headers.get('cookie') ?? '')?.[1] ?? randomBytes(16).toString('hex');
      headers.set('cookie', inner.get(sid) ?? '');
      const body = await request.text();
      const response = await resend(backend, request, clientAddress, headers, body);
      if (!response) return response;
      const jar = new Map(
        (inner.get(sid) ?? '')
          .split('; ')
          .filter(Boolean)
          .map((c) => c.split('=') as [string, string]),
      );
      for (const line of response.headers.getSetCookie()) {
        const [name = '', value = ''] = (line.split(';')[0] ?? '').split('=');
        if (/max-age=0/i.test(line)) jar.delete(name);
        else jar.set(name, value);
      }
      inner.set(sid, [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const out = new Headers(response.headers);
      out.delete('set-cookie');
      out.append('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
      return new Response(response.body, { status: response.status, headers: out });
    });
    const failed = failures(await run(api, sim));
    assert.deepEqual(
      failed.map((r) => r.name),
      ['cookies planted before a start do not let their planter collect the order (a new session per order)'],
    );
    assert.match(failed[0]!.why, /the planter's collect of the victim's order got 200/);
  });

  test('a 429 is not a refusal: a backend that rate-limits a cross-site form post once and then accepts it fails', async () => {
    const { sim, rp } = await simulator();
    // Room for all the checker's starts: the only 429s here are the test's own.
    const backend = backendWith(rp, { rateLimits: { start: { burst: 50, perMinute: 600 } } });
    // It accepts form posts from anywhere, but its limit answers the first one (as one used up by
    // the checker's earlier starts would); a later 429 never clears.
    let formPosts = 0;
    const api = (always429: boolean) =>
      serve(async (request, clientAddress) => {
        const headers = new Headers(request.headers);
        let body = await request.text();
        if (headers.get('content-type')?.startsWith('application/x-www-form-urlencoded')) {
          if (always429 || formPosts++ === 0) {
            return Response.json({ errorCode: 'tooManyRequests' }, { status: 429, headers: { 'Retry-After': '1' } });
          }
          body = JSON.stringify(Object.fromEntries(new URLSearchParams(body)));
          headers.set('content-type', 'application/json');
          headers.delete('origin');
          headers.delete('sec-fetch-site');
        }
        return resend(backend, request, clientAddress, headers, body);
      });
    const once = failures(await run(await api(false), sim));
    assert.deepEqual(
      once.map((r) => r.name),
      ['a form post (not JSON) is refused, also one without Origin or Sec-Fetch-Site'],
    );
    assert.match(once[0]!.why, /a form post got 200/);
    assert.equal(formPosts, 2, 'the checker asks again after the Retry-After');

    const always = failures(await run(await api(true), sim));
    assert.deepEqual(
      always.map((r) => r.name),
      ['a form post (not JSON) is refused, also one without Origin or Sec-Fetch-Site'],
    );
    assert.match(always[0]!.why, /a form post got 429 twice: a rate limit answered/);
  });

  test('the command prints one line per check and "N passed, N failed"; exit 1 on a failure, 2 on bad flags', async () => {
    const { sim, rp } = await simulator();
    const backend = backendWith(rp);
    const api = await serve((request, clientAddress) => backend.fetch(request, { clientAddress }));
    let out = '';
    const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) } };
    assert.equal(await runCheckCommand(['--api', api, '--simulator', sim.appUrl], io), 0);
    const lines = out.trim().split('\n');
    assert.match(lines.at(-1)!, /^\d+ passed, 0 failed$/);
    assert.ok(lines.slice(0, -1).every((line) => line.startsWith('pass  ')));
    out = '';
    assert.equal(await runCheckCommand(['--api', 'nonsense'], io), 2);
    assert.match(out, /--api must be/);
    out = '';
    const dead = `http://127.0.0.1:1/api/bankid`;
    assert.equal(await runCheckCommand(['--api', dead, '--simulator', sim.appUrl], io), 1);
    assert.match(out, /FAIL {2}start, other device/);
    assert.match(out.trim().split('\n').at(-1)!, /^0 passed, \d+ failed$/);
  });
});
