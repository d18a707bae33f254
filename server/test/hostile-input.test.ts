// Property-based tests (fast-check): random and hostile input thrown at the backend, where the other
// files test chosen cases by hand. Whatever the method, path, headers, cookies and body, every answer
// is sound; tampered and foreign cookies never reach another session's order; only our own origin or
// the two browser schemes reach BankID's returnUrl; two sessions' random calls never cross; and
// nodeListener survives raw requests. A fixed seed keeps CI deterministic: a failure prints the
// shrunk counterexample, with the seed and path that replay it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { cookieNames, deriveKeys, seal, unseal } from '../cookies.js';
import { createBankIdBackend, type BankIdBackend, type Completion, type RpApi } from '../index.js';
import {
  API,
  Browser,
  FakeNetworkError,
  FakeRpError,
  KEY,
  PERSONAL_NUMBER,
  QR_SECRET,
  QR_TOKEN,
  SITE,
  T0,
  completionData,
  fakeBankId,
  parseSetCookie,
  setup,
  startedOrder,
} from './support.js';

const SEED = 20261128;
const runs = (numRuns: number) => ({ seed: SEED, numRuns, includeErrorInReport: true });

const OPERATIONS = ['auth', 'sign', 'collect', 'cancel'] as const;
const ROUTES = new Set(OPERATIONS.map((op) => `${API}/${op}`));
const BROWSER_SCHEMES = ['googlechromes://', 'firefox://'];
/** What must never reach the browser in any form: the QR secret, the personal number, BankID's details. */
const SECRETS = [
  QR_SECRET,
  QR_SECRET.replace(/-/g, ''),
  Buffer.from(QR_SECRET).toString('base64url'),
  PERSONAL_NUMBER,
  'SECRET-DETAILS',
];
/** The errorCodes each status may carry (server/README.md, the error table). */
const ERROR_CODES: Record<number, readonly string[]> = {
  400: ['invalidParameters', 'alreadyInProgress'],
  403: ['forbidden'],
  405: ['methodNotAllowed'],
  413: ['invalidParameters'],
  415: ['unsupportedMediaType'],
  429: ['tooManyRequests'],
  500: ['internalError'],
  501: ['notImplemented'],
  503: ['maintenance', 'requestTimeout', 'bankidUnavailable'],
};

interface Answer {
  status: number;
  headers: Headers;
  setCookies: string[];
  text: string;
  json: unknown;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // assertSound says so
  }
  return {
    status: response.status,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    text,
    json,
  };
}

/** What every answer must be, whatever was asked. A 5xx only where BankID failed (`bankIdFailed`). */
function assertSound(answer: Answer, bankIdFailed = false): void {
  const { status, headers, text } = answer;
  assert.ok(status < 500 || bankIdFailed, `${status} without a BankID failure: ${text}`);
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.equal(headers.get('content-type'), 'application/json');
  assert.equal(headers.get('x-content-type-options'), 'nosniff');
  const json = answer.json as Record<string, unknown>;
  assert.ok(json !== null && typeof json === 'object' && !Array.isArray(json), `not a JSON object: ${text}`);
  if (status !== 200) {
    const { errorCode, details, ...rest } = json;
    assert.deepEqual(rest, {}, `only errorCode and details: ${text}`);
    assert.ok(typeof errorCode === 'string' && ERROR_CODES[status]?.includes(errorCode), `${status} ${text}`);
    assert.equal(typeof details, 'string');
  }
  let everything = text;
  headers.forEach((value, name) => (everything += `\n${name}: ${value}`));
  for (const secret of SECRETS) assert.ok(!everything.includes(secret), `the answer holds ${secret}`);
  // Session, device, three carried-over orders, the new one, eight deletions (README: "a few kilobytes").
  assert.ok(answer.setCookies.length <= 14, `${answer.setCookies.length} Set-Cookie lines`);
  for (const line of answer.setCookies) assert.match(line, /; HttpOnly(;|$)/);
}

/** The Cookie header a browser sends after this answer (the new session, the new order). */
const cookiesAfter = (setCookies: readonly string[]): string =>
  setCookies
    .map(parseSetCookie)
    .filter((c) => c.attributes.get('max-age') !== '0')
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');

function assertLogsClean(logs: readonly string[]): void {
  const all = logs.join('\n');
  for (const secret of [PERSONAL_NUMBER, 'SECRET-DETAILS']) assert.ok(!all.includes(secret), `the log holds ${secret}`);
}

/**
 * A returnUrl BankID got: exactly a browser scheme (and asked for as such), or an http(s) URL on the
 * page's origin, without user name or fragment, whose one nonce verifyReturn accepts for this browser.
 */
function assertReturnUrlSent(
  sent: unknown,
  asked: unknown,
  page: string,
  backend: BankIdBackend,
  cookieHeader: string,
): void {
  assert.equal(typeof sent, 'string');
  const text = sent as string;
  assert.ok(text.length <= 512, `${text.length} characters`);
  if (BROWSER_SCHEMES.includes(text)) {
    assert.equal(asked, text, 'a browser scheme only when asked for exactly');
    return;
  }
  const url = new URL(text);
  assert.ok(url.protocol === 'http:' || url.protocol === 'https:', `scheme of ${text}`);
  assert.equal(url.origin, page, text);
  assert.equal(url.username + url.password, '', `no user name: ${text}`);
  assert.equal(url.hash, '');
  assert.equal(url.searchParams.getAll('bankid-nonce').length, 1, text);
  assert.ok(backend.verifyReturn(new Request(url, { headers: { Cookie: cookieHeader } })), 'the nonce is ours');
}

/** Usually the good value, one time in six a hostile one: so one or two hostile parts at a time get deep. */
const mostly = <T, U>(good: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) =>
  fc.oneof(
    { weight: 5, arbitrary: good as fc.Arbitrary<T | U> },
    { weight: 1, arbitrary: hostile as fc.Arbitrary<T | U> },
  );

/** Text a header may hold: characters 1–255 but CR and LF (the Fetch API refuses anything else). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 1, max: 255 })
      .filter((c) => c !== 10 && c !== 13)
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const base64url = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength,
    maxLength,
  });

describe('hostile requests', () => {
  // Placeholders the generators use for what exists only once a run has started its real order.
  const REF = 'the-real-order-ref';
  const ORDER_COOKIE = 'the-real-order-cookie-name';
  const PAGE = 'the-page-origin';

  const KEYS = ['flow', 'orderRef', 'returnUrl', '__proto__', 'constructor', 'prototype', 'toString', 'then', 'status'];
  const fieldValue = fc.oneof(
    fc.constantFrom('this-device', 'other-device', 'This-Device', REF, `${PAGE}/login`, 'googlechromes://', ''),
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer({ min: 100, max: 5000 }).map((n) => 'x'.repeat(n)),
    fc.constantFrom([REF], { orderRef: REF }, { __proto__: null, toString: 1 }),
  );
  // The fields an endpoint reads (usually right), and others around them, in either order.
  const known = fc.record(
    {
      flow: mostly(fc.constantFrom('this-device', 'other-device'), fieldValue),
      orderRef: mostly(fc.constant(REF), fieldValue),
      returnUrl: mostly(fc.constantFrom(`${PAGE}/login?a=1#b`, 'googlechromes://', 'firefox://'), fieldValue),
    },
    { requiredKeys: ['flow', 'orderRef'] },
  );
  const others = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), fieldValue), {
    maxLength: 4,
  });
  // Written out as text: an object literal would turn "__proto__" into a prototype, not a key.
  const objectBody = fc
    .tuple(known, others, fc.boolean())
    .map(([fields, extra, first]) =>
      first ? [...Object.entries(fields), ...extra] : [...extra, ...Object.entries(fields)],
    )
    .map((fields) => `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const nested = fc
    .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"orderRef":[', ']}']))
    .map(([depth, [open, close]]) => `${open!.repeat(depth)}1${close!.repeat(depth)}`);
  const body = fc.oneof(
    { weight: 8, arbitrary: objectBody },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        `{"orderRef":"${REF}","orderRef":1}`,
        `{"orderRef":1,"orderRef":"${REF}"}`,
        `{"__proto__":{"orderRef":"${REF}"}}`,
        `{"__proto__":{"flow":"other-device"}}`,
        `{"constructor":{"prototype":{"flow":"other-device"}}}`,
        '\ufeff{"flow":"other-device"}',
        '',
        'null',
        '[]',
        '"x"',
        '{',
      ),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 8 })
        .map((bytes) => Buffer.concat([Buffer.from('{"orderRef":"'), bytes, Buffer.from('"}')])),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
    { weight: 1, arbitrary: nested },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 4060, max: 4130 }).map((n) => `{"flow":"other-device","p":"${'x'.repeat(n - 33)}"}`),
    },
  );

  type CookiePart = { real: true } | { realOne: number } | { name: string; value: string } | { raw: string };
  const OUR_NAMES = [
    'bankid-session',
    '__Host-bankid-session',
    'bankid-device',
    '__Host-bankid-device',
    'bankid-order-0123456789',
    '__Host-bankid-order-0123456789',
    'BANKID-SESSION',
    'bankid-order-',
    ORDER_COOKIE,
    `__Host-${ORDER_COOKIE}`,
  ];
  const cookieValue = fc.oneof(
    headerText(40),
    base64url(22, 22),
    base64url(40, 200),
    fc.integer({ min: 4000, max: 9000 }).map((n) => 'A'.repeat(n)),
  );
  const planted = fc.oneof(
    fc.record({ name: fc.oneof(fc.constantFrom(...OUR_NAMES), token), value: cookieValue }),
    headerText(30).map((raw) => ({ raw })),
    fc.nat().map((realOne) => ({ realOne })),
  );
  // The browser's real cookies, usually, with planted ones before, after or instead.
  const cookies = fc
    .tuple(
      fc.array(planted, { maxLength: 4 }),
      mostly(fc.constant(true), fc.constant(false)),
      fc.array(planted, { maxLength: 4 }),
      mostly(fc.constant('; '), fc.constantFrom(';', ', ', ' ; ')),
    )
    .map(([before, real, after, separator]): [CookiePart[], string] => [
      [...before, ...(real ? [{ real: true as const }] : []), ...after],
      separator,
    ]);

  /** A header usually absent, sometimes one of these. */
  const rarely = <T>(arb: fc.Arbitrary<T>) => mostly(fc.constant(undefined), arb);
  const request = fc.record({
    config: fc.record({
      page: fc.constantFrom('http://localhost:8000', 'https://shop.example'),
      publicOrigin: fc.boolean(),
      trustProxy: fc.constantFrom(false, 1, 2),
      clientAddress: fc.constantFrom('127.0.0.1', '2001:db8::1', '::ffff:10.0.0.1', 'fe80::1%eth0', 'junk', undefined),
      flow: fc.constantFrom('this-device', 'other-device'),
    }),
    method: mostly(
      fc.constant('POST'),
      fc.oneof(
        fc.constantFrom('post', 'Post', 'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        // Not CONNECT, TRACE or TRACK: the Fetch API refuses to make such a Request at all.
        token.filter((m) => !/^(connect|trace|track)$/i.test(m)),
      ),
    ),
    path: mostly(
      fc.constantFrom(...ROUTES),
      fc.oneof(
        fc.constantFrom(
          API,
          `${API}/`,
          `${API}/auth/`,
          `${API}/AUTH`,
          `${API}/%61uth`,
          `${API}/./collect`,
          `${API}/x/../cancel`,
          `${API}//auth`,
          `${API}/auth;x`,
          `${API}/sign%00`,
          `${API}/cancel?orderRef=${REF}`,
          `${API}/collect#x`,
        ),
        fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `${API}/${encodeURIComponent(s)}`),
      ),
    ),
    headers: fc.record({
      'content-type': mostly(
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;'),
        fc.oneof(
          fc.constantFrom(
            'application/jsonx',
            'application/json, text/plain',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            undefined,
          ),
          headerText(30),
        ),
      ),
      origin: mostly(
        fc.constantFrom(PAGE, undefined),
        fc.oneof(
          fc.constantFrom(
            `${PAGE}/`,
            `${PAGE}.evil.example`,
            'null',
            'https://evil.example',
            'http://localhost:8000',
            'https://shop.example',
            'HTTP://LOCALHOST:8000',
            'http://localhost:80',
            '',
          ),
          headerText(30),
        ),
      ),
      'sec-fetch-site': mostly(
        fc.constantFrom('same-origin', 'none', undefined),
        fc.oneof(fc.constantFrom('same-site', 'cross-site', 'SAME-ORIGIN', 'same-origin, cross-site'), headerText(20)),
      ),
      cookie: mostly(cookies, fc.constant(undefined)),
      'x-forwarded-for': rarely(
        fc.oneof(
          fc.constantFrom(
            '198.51.100.7',
            '203.0.113.9, 198.51.100.7',
            '::ffff:1.2.3.4',
            '[2001:db8::1]:443',
            'fe80::1%eth0',
            '1.2.3.4:99999',
            '999.1.1.1',
            'unknown',
            ',',
          ),
          fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), headerText(12)), { maxLength: 4 }).map((list) => list.join(', ')),
        ),
      ),
      'x-forwarded-host': rarely(
        fc.oneof(fc.constantFrom('evil.example', 'shop.example', '[::1]', 'a b'), headerText(20)),
      ),
      'x-forwarded-proto': rarely(fc.oneof(fc.constantFrom('https', 'http', 'HTTPS', 'ftp'), headerText(8))),
      'user-agent': rarely(fc.oneof(headerText(300), fc.constant('x'.repeat(5000)))),
    }),
    extraHeaders: fc.array(fc.tuple(token, headerText(40)), { maxLength: 2 }),
    body,
  });

  test('any method, path, headers, cookies and body: a sound answer, never a 5xx or a throw; only the real cookies reach BankID; the real order lives on', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ config, method, path, headers, extraHeaders, body }) => {
        const { page, trustProxy, clientAddress, flow } = config;
        const completions: Completion[] = [];
        const { backend, bankid, logs } = setup({
          trustProxy,
          onComplete: (c) => void completions.push(c),
          ...(config.publicOrigin ? { publicOrigin: page } : {}),
        });
        const real = new Browser(backend, clientAddress ?? '', page);
        const orderRef = await startedOrder(real, flow);
        const orderCookie = [...real.jar.keys()].find((name) => name.includes('bankid-order-')) as string;
        const bare = orderCookie.replace('__Host-', '');
        const fill = (text: string) =>
          text
            .replaceAll(REF, orderRef)
            .replaceAll(`__Host-${ORDER_COOKIE}`, `__Host-${bare}`)
            .replaceAll(ORDER_COOKIE, bare)
            .replaceAll(PAGE, page);
        const callsBefore = bankid.calls.length;

        const sent = new Headers();
        for (const [name, value] of Object.entries(headers)) {
          if (name === 'cookie' || value === undefined) continue;
          sent.set(name, fill(value as string));
        }
        let realCookies = false;
        if (headers.cookie) {
          const [parts, separator] = headers.cookie;
          const jar = [...real.jar];
          const text = parts.map((part) => {
            if ('real' in part) return ((realCookies = true), real.cookieHeader());
            if ('realOne' in part) {
              const [name, value] = jar[part.realOne % jar.length]!;
              realCookies = true;
              return `${name}=${value}`;
            }
            return 'raw' in part ? part.raw : `${fill(part.name)}=${part.value}`;
          });
          sent.set('cookie', text.join(separator));
        }
        for (const [name, value] of extraHeaders) sent.append(name, value);
        const hasBody = !['GET', 'HEAD'].includes(method.toUpperCase());
        const request = new Request(new URL(fill(path), page), {
          method,
          headers: sent,
          body: hasBody ? (typeof body === 'string' ? fill(body) : body) : null,
        });
        const ours = ROUTES.has(new URL(request.url).pathname);

        const response = await backend.fetch(request, clientAddress === undefined ? {} : { clientAddress });
        if (!ours) {
          assert.equal(response, null, 'not our path: left to the host');
          return;
        }
        assert.ok(response, 'our path is answered');
        const answer = await answerOf(response);
        assertSound(answer);
        assertLogsClean(logs);

        for (const { method: call, arg } of bankid.calls.slice(callsBefore)) {
          if (call === 'collect' || call === 'cancel') {
            assert.equal(arg, orderRef, `BankID ${call} only for the real order`);
            assert.ok(realCookies, `BankID ${call} without the real cookies`);
          } else {
            const order = arg as Record<string, unknown>;
            assert.equal(answer.status, 200);
            assert.ok(isIP(String(order['endUserIp'])) !== 0, `endUserIp ${String(order['endUserIp'])}`);
            if ('returnUrl' in order) {
              const asked = (JSON.parse(typeof body === 'string' ? fill(body) : '{}') as Record<string, unknown>)[
                'returnUrl'
              ];
              assertReturnUrlSent(order['returnUrl'], asked, page, backend, cookiesAfter(answer.setCookies));
            }
          }
        }
        // Only the real browser's own cancel may end its order.
        const cancelled = bankid.calls.slice(callsBefore).some((c) => c.method === 'cancel') && answer.status === 200;
        if (!cancelled) assert.equal((await real.collect(orderRef)).status, 200, 'the real order lives on');
        assert.equal(completions.length, 0);
      }),
      runs(500),
    );
  });
});

// In the compact order state (version 2) the session id follows the flag byte and the orderRef.
const SID_AT = 1 + 16;
const { sealKey } = deriveKeys(KEY);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'char'; at: number; char: string }
  | { kind: 'cut'; keep: number }
  | { kind: 'add'; text: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('char' as const), at: fc.nat(), char: fc.constantFrom(...'AQgw09-_+/=.% ') }),
  fc.record({ kind: fc.constant('cut' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), text: base64url(1, 6) }),
);

/** A bit of the sealed bytes flipped, a character changed, the value cut short or made longer. */
function mutate(value: string, m: Mutation): string {
  switch (m.kind) {
    case 'flip': {
      const bytes = Buffer.from(value, 'base64url');
      if (bytes.length > 0) bytes[m.at % bytes.length]! ^= 1 << m.bit;
      return bytes.toString('base64url');
    }
    case 'char': {
      const at = m.at % Math.max(1, value.length);
      return value.slice(0, at) + m.char + value.slice(at + 1);
    }
    case 'cut':
      return value.slice(0, m.keep % Math.max(1, value.length));
    case 'add':
      return value + m.text;
  }
}

describe('tampered and foreign cookies', () => {
  test('a tampered order or session cookie collects only if it still seals the very same bytes (same session id)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('order', 'session'),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('http://localhost:8000', 'https://shop.example'),
        async (which, mutations, page) => {
          const { backend, bankid } = setup();
          const browser = new Browser(backend, '127.0.0.1', page);
          const orderRef = await startedOrder(browser);
          const names = cookieNames(page.startsWith('https:'));
          const name = which === 'order' ? names.order(orderRef) : names.session;
          const original = browser.jar.get(name)!;
          const tampered = mutations.reduce(mutate, original);
          browser.jar.set(name, tampered);
          const answer = await answerOf(
            (await backend.fetch(
              new Request(new URL(`${API}/collect`, page), {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Cookie: browser.cookieHeader() },
                body: JSON.stringify({ orderRef }),
              }),
              { clientAddress: '127.0.0.1' },
            ))!,
          );
          assertSound(answer);
          // What readCookies and unseal make of the value (trimmed; base64url's spare bits ignored).
          const value = tampered.trim();
          const same =
            which === 'session'
              ? value === original
              : /^[A-Za-z0-9_-]{40,}$/.test(value) &&
                Buffer.from(value, 'base64url').equals(Buffer.from(original, 'base64url'));
          assert.equal(answer.status, same ? 200 : 400, `${tampered} for ${original}`);
          assert.equal(bankid.count('collect'), same ? 1 : 0);
        },
      ),
      runs(300),
    );
  });

  const theft = fc.record({
    call: fc.constantFrom('collect', 'cancel'),
    /** Whose orderRef the attacker names in the body. */
    target: fc.constantFrom('victim', 'attacker'),
    /** Under which name the victim's order cookie (or a forgery of it) goes. */
    under: fc.constantFrom('victim', 'attacker', 'made-up'),
    cookie: fc.oneof(
      fc.constant({ kind: 'as-is' as const }),
      fc.record({
        kind: fc.constant('mutated' as const),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      }),
      // The victim's order rebound to the attacker's session id, sealed under a key that is not ours.
      fc.record({ kind: fc.constant('forged' as const), key: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      // The same, as the old JSON form.
      fc.record({ kind: fc.constant('forged-json' as const), key: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
    ),
    /** The victim's session cookie, altered (never the very id: that would be the whole browser stolen). */
    session: fc.option(fc.array(mutation, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    /** The attacker's own session cookie sent too, or only what was stolen. */
    ownSession: fc.boolean(),
  });

  test("nothing an attacker makes of a victim's cookies collects or cancels the victim's order, or reaches BankID with it", async () => {
    await fc.assert(
      fc.asyncProperty(theft, async ({ call, target, under, cookie, session, ownSession }) => {
        const { backend, bankid } = setup();
        const victim = new Browser(backend, '198.51.100.1');
        const attacker = new Browser(backend, '203.0.113.66');
        const victimRef = await startedOrder(victim);
        const attackerRef = await startedOrder(attacker);
        const names = cookieNames(false);
        const victimValue = victim.jar.get(names.order(victimRef))!;
        const victimSid = victim.jar.get(names.session)!;
        const attackerSid = attacker.jar.get(names.session)!;

        const name =
          under === 'victim'
            ? names.order(victimRef)
            : under === 'attacker'
              ? names.order(attackerRef)
              : names.order('x');
        let value = victimValue;
        if (cookie.kind === 'mutated') value = cookie.mutations.reduce(mutate, victimValue);
        if (cookie.kind === 'forged' || cookie.kind === 'forged-json') {
          const plain = unseal(sealKey, names.order(victimRef), victimValue)!;
          const rebound = Buffer.from(plain);
          Buffer.from(attackerSid, 'base64url').copy(rebound, SID_AT);
          const json = JSON.stringify([
            1,
            'auth',
            victimRef,
            attackerSid,
            victimRef,
            victimRef,
            T0,
            'other-device',
            '203.0.113.66',
          ]);
          value = seal(deriveKeys(cookie.key).sealKey, name, cookie.kind === 'forged' ? rebound : json);
        }
        const jar = new Map(ownSession ? attacker.jar : []);
        jar.set(name, ownSession && under === 'attacker' ? `${value}; ${name}=${jar.get(name)}` : value);
        if (session) {
          const altered = session.reduce(mutate, victimSid);
          fc.pre(altered.trim() !== victimSid);
          jar.set(names.session, ownSession ? `${altered}; ${names.session}=${attackerSid}` : altered);
        }
        const callsBefore = bankid.calls.length;
        const orderRef = target === 'victim' ? victimRef : attackerRef;
        const answer = await answerOf(
          (await backend.fetch(
            new Request(new URL(`${API}/${call}`, SITE), {
              method: 'POST',
              headers: {
                'Content-Type': 'application/json',
                Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
              },
              body: JSON.stringify({ orderRef }),
            }),
            { clientAddress: '203.0.113.66' },
          ))!,
        );
        assertSound(answer);
        for (const { arg } of bankid.calls.slice(callsBefore)) assert.notEqual(arg, victimRef, 'BankID got the victim');
        if (target === 'victim') assert.equal(answer.status, 400);
        // The victim's order is untouched: it collects, and BankID is asked about it for the victim.
        const after = await victim.collect(victimRef);
        assert.equal(after.status, 200);
        assert.equal(bankid.last('collect') as unknown, victimRef);
      }),
      runs(300),
    );
  });
});

describe('returnUrl', () => {
  // The page's own scheme, host and port, filled in at run time: most parts are the page's own, so
  // that one hostile part at a time (a wrapping scheme, a userinfo, another port) gets tried.
  const SCHEME = 'the-page-scheme:';
  const HOST = 'the-page-host';
  const PORT = ':the-page-port';
  const own = (value: string, others: string[]) => mostly(fc.constant(value), fc.constantFrom(...others));
  const assembled = fc
    .tuple(
      own('', ['blob:', 'view-source:', 'javascript:', ' ', '\t', 'googlechromes://', 'firefox:', 'intent:']),
      own(SCHEME, ['http:', 'https:', 'HTTP:', 'ftp:', 'ws:', 'wss:', 'file:', 'data:', '']),
      own('//', ['/', '\\\\', '///', '', '/\\']),
      own('', ['user@', 'u:p@', `${HOST}${PORT}@`, 'evil.example@']),
      own(HOST, [
        'LOCALHOST',
        'localhost',
        'shop.example',
        'evil.example',
        `${HOST}.evil.example`,
        '127.0.0.1',
        '[::1]',
        '',
      ]),
      own(PORT, ['', ':8000', ':80', ':443', ':8001', ':08000']),
      fc.constantFrom('', '/', '/login', '/%2e%2e/evil', '/\\evil.example', '//evil.example', '/a?next=//evil.example'),
      fc.constantFrom('', '?a=1', '?bankid-nonce=planted', '?bankid-nonce=x&bankid-nonce=y'),
      fc.constantFrom('', '#top', '#@evil.example'),
    )
    .map((parts) => parts.join(''));
  const fillPage = (text: string, page: string) => {
    const url = new URL(page);
    return text
      .replaceAll(SCHEME, url.protocol)
      .replaceAll(HOST, url.hostname)
      .replaceAll(PORT, url.port ? `:${url.port}` : '');
  };
  const returnUrl = fc.oneof(
    { weight: 6, arbitrary: assembled },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'googlechromes://',
        'firefox://',
        'googlechromes:',
        'googlechromes:///',
        'GOOGLECHROMES://',
        'firefox://x',
        ' firefox://',
        'googlechromes://@evil.example',
      ),
    },
    { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.integer({ min: 400, max: 2100 }).map((n) => `http://localhost:8000/${'a'.repeat(n)}`) },
  );

  test('only our own origin (http/https, with our nonce) or exactly googlechromes:// or firefox:// reach BankID', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Filled in here, so that a counterexample shows the very URL that was sent.
        fc
          .tuple(returnUrl, fc.constantFrom('http://localhost:8000', 'https://shop.example'))
          .map(([url, page]) => ({ page, asked: typeof url === 'string' ? fillPage(url, page) : url })),
        fc.constantFrom('this-device', 'other-device'),
        fc.boolean(),
        async ({ page, asked }, flow, publicOrigin) => {
          const { backend, bankid } = setup(publicOrigin ? { publicOrigin: page } : {});
          const answer = await answerOf(
            (await backend.fetch(
              new Request(new URL(`${API}/auth`, page), {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Origin: page },
                body: JSON.stringify({ flow, returnUrl: asked }),
              }),
              { clientAddress: '127.0.0.1' },
            ))!,
          );
          assertSound(answer);
          assert.ok([200, 400].includes(answer.status), answer.text);
          if (answer.status === 400) {
            assert.equal(bankid.calls.length, 0, 'refused before BankID');
            return;
          }
          const order = bankid.last('auth');
          if (!('returnUrl' in order)) return; // none asked for, other device, or too long for BankID
          assert.equal(flow, 'this-device', 'a QR order opens on the phone: no returnUrl');
          assertReturnUrlSent(order['returnUrl'], asked, page, backend, cookiesAfter(answer.setCookies));
        },
      ),
      {
        ...runs(1000),
        // Found by this property: a blob: URL has the origin of the URL inside it.
        examples: [
          [{ page: 'http://localhost:8000', asked: 'blob:http:/localhost:8000' }, 'this-device', false],
          [{ page: 'https://shop.example', asked: 'blob:https://shop.example/login' }, 'this-device', true],
        ],
      },
    );
  });
});

describe('two sessions, random calls', () => {
  type Target = { whose: 'own' | 'other'; pick: number } | { whose: 'made-up'; orderRef: string };
  type CollectAnswer =
    | 'pending'
    | 'userSign'
    | 'complete'
    | 'completeHighRisk'
    | 'failed'
    | 'gone'
    | 'maintenance'
    | 'internalError'
    | 'network'
    | 'weird'
    | 'aboutAnother';
  type CancelAnswer = 'ok' | 'gone' | 'maintenance' | 'network';
  type Op =
    | { kind: 'start'; who: 0 | 1; flow: 'this-device' | 'other-device'; operation: 'auth' | 'sign' }
    | { kind: 'collect' | 'double'; who: 0 | 1; target: Target; answer: CollectAnswer }
    | { kind: 'replay'; who: 0 | 1; target: Target; back: number; answer: CollectAnswer }
    | { kind: 'cancel'; who: 0 | 1; target: Target; answer: CancelAnswer }
    | { kind: 'steal'; who: 0 | 1; pick: number }
    | { kind: 'wait'; ms: number };

  /** BankID's answer to the n-th start: deterministic orderRefs, so a shrunk counterexample replays the same way. */
  const order = (n: number) => {
    const hex = n.toString(16).padStart(12, '0');
    return {
      orderRef: `00000000-0000-4000-8000-${hex}`,
      autoStartToken: `11111111-0000-4000-8000-${hex}`,
      qrStartToken: QR_TOKEN,
      qrStartSecret: QR_SECRET,
    };
  };
  const who = fc.constantFrom(0 as const, 1 as const);
  const target: fc.Arbitrary<Target> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ whose: fc.constant('own' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ whose: fc.constant('other' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ whose: fc.constant('made-up' as const), orderRef: fc.uuid() }) },
  );
  const collectAnswer = fc.constantFrom<CollectAnswer>(
    'pending',
    'userSign',
    'complete',
    'complete',
    'completeHighRisk',
    'failed',
    'gone',
    'maintenance',
    'internalError',
    'network',
    'weird',
    'aboutAnother',
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('start' as const),
        who,
        flow: fc.constantFrom('this-device' as const, 'other-device' as const),
        operation: fc.constantFrom('auth' as const, 'sign' as const),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('collect' as const), who, target, answer: collectAnswer }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('double' as const), who, target, answer: collectAnswer }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('replay' as const),
        who,
        target,
        back: fc.nat(),
        answer: collectAnswer,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('cancel' as const),
        who,
        target,
        answer: fc.constantFrom<CancelAnswer>('ok', 'ok', 'gone', 'maintenance', 'network'),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('steal' as const), who, pick: fc.nat() }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('wait' as const),
        // Mostly a BankID turn (2 s); now and then past the 10 minutes an order lives.
        ms: fc.oneof(
          { weight: 9, arbitrary: fc.constantFrom(0, 1000, 2000, 2000, 2000, 5000) },
          { weight: 1, arbitrary: fc.constant(11 * 60 * 1000) },
        ),
      }),
    },
  );

  test('a session only ever sees and spends its own orders; a completed order completes once; a 5xx only when BankID failed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40, size: 'medium' }), async (ops) => {
        // BankID answers as each op planned: at most once per request, only if the backend asks.
        let planned: { collect?: CollectAnswer; cancel?: CancelAnswer } = {};
        let bankIdFailed = false;
        let serial = 0;
        const bankid = fakeBankId();
        const fail = (error: unknown) => {
          bankIdFailed = true;
          return error;
        };
        const collectAs = (answer: CollectAnswer, orderRef: string): unknown => {
          switch (answer) {
            case 'pending':
              return { orderRef, status: 'pending', hintCode: 'outstandingTransaction' };
            case 'userSign':
              return { orderRef, status: 'pending', hintCode: 'userSign' };
            case 'complete':
              return { orderRef, status: 'complete', completionData: completionData() };
            case 'completeHighRisk':
              return { orderRef, status: 'complete', completionData: completionData({ risk: 'high' }) };
            case 'failed':
              return { orderRef, status: 'failed', hintCode: 'userCancel' };
            case 'gone':
              return new FakeRpError(400, 'invalidParameters'); // a 400, not a 5xx: no fail()
            case 'maintenance':
              return fail(new FakeRpError(503, 'maintenance'));
            case 'internalError':
              return fail(new FakeRpError(500, 'internalError'));
            case 'network':
              return fail(new FakeNetworkError('down'));
            case 'weird':
              return fail({ orderRef, status: 'weird', completionData: completionData() });
            case 'aboutAnother':
              return fail({
                orderRef: '9b1f5c1e-7a1d-4f7e-9d59-0c3f2b9e1a44',
                status: 'complete',
                completionData: completionData(),
              });
          }
        };
        const rp: RpApi = {
          auth: (body) => {
            bankid.queue('auth', order(++serial));
            return bankid.rp.auth(body);
          },
          sign: (body) => {
            bankid.queue('sign', order(++serial));
            return bankid.rp.sign(body);
          },
          collect: (orderRef) => {
            const answer = planned.collect ?? 'pending';
            planned = { ...planned, collect: 'pending' };
            bankid.queue('collect', collectAs(answer, orderRef));
            return bankid.rp.collect(orderRef);
          },
          cancel: (orderRef) => {
            const answer = planned.cancel ?? 'ok';
            if (answer === 'gone') bankid.queue('cancel', new FakeRpError(400, 'invalidParameters'));
            if (answer === 'maintenance') bankid.queue('cancel', fail(new FakeRpError(503, 'maintenance')));
            if (answer === 'network') bankid.queue('cancel', fail(new FakeNetworkError('down')));
            return bankid.rp.cancel(orderRef);
          },
        };
        const completed = new Map<string, number>(); // orderRef → onComplete calls
        const { backend, logs, advance } = setup({
          rp,
          rateLimits: false,
          onComplete: (c) => {
            completed.set(c.orderRef, (completed.get(c.orderRef) ?? 0) + 1);
            return { redirect: '/mina-sidor' };
          },
        });
        const browsers = [new Browser(backend, '127.0.0.1'), new Browser(backend, '198.51.100.2')] as const;
        const owner = new Map<string, 0 | 1>();
        const refsOf = (i: 0 | 1) => [...owner].filter(([, o]) => o === i).map(([ref]) => ref);
        const history: [string[], string[]] = [[], []]; // each browser's cookie headers after its starts
        const answered = new Map<string, number>(); // orderRef → 'complete' answers

        const refFor = (i: 0 | 1, t: Target): string => {
          if (t.whose === 'made-up') return t.orderRef;
          const refs = refsOf(t.whose === 'own' ? i : ((1 - i) as 0 | 1));
          return refs.length === 0 ? '00000000-0000-4000-8000-00000000dead' : refs[t.pick % refs.length]!;
        };
        const check = (i: 0 | 1, answer: Answer, orderRef: string | null, callsBefore: number) => {
          assertSound(answer, bankIdFailed);
          for (const { method, arg } of bankid.calls.slice(callsBefore)) {
            if (method === 'collect' || method === 'cancel') {
              assert.equal(owner.get(arg as string), i, `BankID ${method} for another session's order`);
            }
          }
          const json = answer.json as Record<string, unknown>;
          if (orderRef !== null && owner.get(orderRef) !== i) {
            assert.equal(answer.status, 400, `session ${i} got an answer about an order that is not its own`);
          }
          if (typeof json['orderRef'] === 'string' && answer.status === 200) {
            assert.equal(owner.get(json['orderRef']), i, 'an orderRef of another session');
          }
          if (json['status'] === 'complete') {
            const ref = json['orderRef'] as string;
            answered.set(ref, (answered.get(ref) ?? 0) + 1);
            assert.equal(answered.get(ref), 1, 'completed twice');
            assert.equal(completed.get(ref), 1, 'onComplete ran once for it');
          }
        };

        // Each browser has an order to begin with: the random steps then have something to cross.
        const preamble: Op[] = [0, 1].map((i) => ({
          kind: 'start',
          who: i as 0 | 1,
          flow: 'other-device',
          operation: 'auth',
        }));
        for (const step of [...preamble, ...ops]) {
          planned = {};
          bankIdFailed = false;
          const callsBefore = bankid.calls.length;
          if (step.kind === 'wait') {
            advance(step.ms);
            continue;
          }
          const i = step.who;
          const browser = browsers[i];
          if (step.kind === 'start') {
            const answer = await browser.start(step.flow, {}, step.operation);
            const ref = answer.json['orderRef'];
            if (answer.status === 200 && typeof ref === 'string') owner.set(ref, i);
            check(i, answer as Answer, null, callsBefore);
            history[i].push(browser.cookieHeader());
          } else if (step.kind === 'steal') {
            const names = [...browsers[1 - i]!.jar.keys()].filter((name) => name.startsWith('bankid-order-'));
            const name = names[step.pick % Math.max(1, names.length)];
            if (name) browser.jar.set(name, browsers[1 - i]!.jar.get(name)!);
          } else if (step.kind === 'cancel') {
            planned = { cancel: step.answer };
            const orderRef = refFor(i, step.target);
            check(i, (await browser.cancel(orderRef)) as Answer, orderRef, callsBefore);
          } else {
            planned = { collect: step.answer };
            const orderRef = refFor(i, step.target);
            if (step.kind === 'collect') {
              check(i, (await browser.collect(orderRef)) as Answer, orderRef, callsBefore);
            } else if (step.kind === 'double') {
              const both = await Promise.all([browser.collect(orderRef), browser.collect(orderRef)]);
              for (const answer of both) check(i, answer as Answer, orderRef, callsBefore);
            } else if (step.kind === 'replay') {
              const old = history[i][step.back % Math.max(1, history[i].length)] ?? '';
              const headers = old ? { Cookie: old } : {};
              const answer = await browser.post(`${API}/collect`, { orderRef }, { cookies: false, headers });
              check(i, answer as Answer, orderRef, callsBefore);
            }
          }
          assertLogsClean(logs);
        }
        for (const [ref, count] of completed) {
          assert.equal(count, 1, `onComplete ran ${count} times for one order`);
          assert.equal(answered.get(ref), 1, 'every completion the hook saw was answered, once');
        }
      }),
      runs(250),
    );
  });
});

describe('nodeListener on a real socket', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  const bankid = fakeBankId();
  // No rate limits: every request from 127.0.0.1 should reach as deep as it can.
  const backend = createBankIdBackend({
    rp: bankid.rp,
    cookieKey: KEY,
    userVisibleData: 'Logga in',
    rateLimits: false,
    log: () => {},
  });
  before(async () => {
    server = createServer((req, res) =>
      backend.nodeListener(req, res, () => {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('host');
      }),
    );
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** One raw exchange: what the server wrote before it closed the connection. */
  function exchange(raw: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no answer within 3 s'));
      }, 3000);
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => undefined); // a reset after the answer is the server's right
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('latin1'));
      });
      socket.write(raw);
    });
  }

  const HOST = 'the-host';
  const raw = fc.record({
    method: mostly(
      fc.constant('POST'),
      fc.constantFrom('GET', 'HEAD', 'PUT', 'OPTIONS', 'TRACE', 'TRACK', 'PATCH', 'post', 'M-SEARCH'),
    ),
    target: mostly(
      fc.constantFrom(...ROUTES),
      fc.oneof(
        fc.constantFrom(
          `${API}/auth?x=1`,
          `//evil.example${API}/auth`,
          `http://${HOST}${API}/collect`,
          `https://${HOST}${API}/collect`,
          `ftp://x${API}/auth`,
          `http://evil.example${API}/auth`,
          '*',
          `${API}/x/../auth`,
          `${API}/%2e%2e/auth`,
          `${API}/auth%ff`,
        ),
        fc.stringMatching(/^\/[A-Za-z0-9%._~!$&'()*+,;=:@/-]{0,30}$/),
      ),
    ),
    host: mostly(
      fc.constant(HOST),
      fc.constantFrom(undefined, 'evil.example', '[::1]:1', 'localhost:99999', 'a_b', ''),
    ),
    version: mostly(fc.constant('1.1'), fc.constant('1.0')),
    headers: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('Origin', 'Cookie', 'X-Forwarded-For', 'Sec-Fetch-Site', 'Content-Type'), token),
        mostly(
          fc.oneof(
            fc.constantFrom(`http://${HOST}`, 'null', 'bankid-session=x', 'cross-site', 'text/plain'),
            fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
          ),
          headerText(30),
        ),
      ),
      { maxLength: 3 },
    ),
    json: fc.boolean(),
    body: fc.oneof(
      fc.constantFrom('', '{"flow":"other-device"}', '{"orderRef":"x"}', '{'),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.integer({ min: 4000, max: 5000 }).map((n) => `{"flow":"other-device","p":"${'x'.repeat(n)}"}`),
    ),
    chunked: fc.boolean(),
  });

  test('raw requests: each is refused by Node, left to the host, or answered soundly; never a 5xx but 501 for TRACE; the server lives on', async () => {
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await fc.assert(
        fc.asyncProperty(raw, async ({ method, target, host, version, headers, json, body, chunked }) => {
          const here = `127.0.0.1:${port}`;
          const lines = [`${method} ${target.replaceAll(HOST, here)} HTTP/${version}`];
          if (host !== undefined) lines.push(`Host: ${host.replaceAll(HOST, here)}`);
          if (json) lines.push('Content-Type: application/json');
          for (const [name, value] of headers) lines.push(`${name}: ${value.replaceAll(HOST, here).trim()}`);
          lines.push('Connection: close');
          const bytes = Buffer.from(body, 'latin1');
          if (chunked && version === '1.1') lines.push('Transfer-Encoding: chunked');
          else lines.push(`Content-Length: ${bytes.length}`);
          const framed =
            chunked && version === '1.1'
              ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')])
              : bytes;
          const text = await exchange(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), framed]));

          const [head = '', payload = ''] = text.split(/\r\n\r\n(.*)/s);
          const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1]);
          assert.ok(Number.isInteger(status), `no status line: ${JSON.stringify(text.slice(0, 80))}`);
          const headerOf = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim() ?? null;
          if (headerOf('content-type') === 'text/plain') {
            assert.equal(status, 404);
            if (method !== 'HEAD') assert.match(payload, /host/);
          } else if (method === 'HEAD' && headerOf('content-type') === 'application/json') {
            // No body to read: a refusal (405, or 400 for a URL that does not parse), never stored.
            assert.ok([400, 405].includes(status), head);
            assert.equal(headerOf('cache-control'), 'no-store');
            assert.equal(payload, '');
          } else if (headerOf('content-type') === 'application/json') {
            const headersOf = new Headers();
            for (const line of head.split('\r\n').slice(1)) {
              const colon = line.indexOf(':');
              headersOf.append(line.slice(0, colon), line.slice(colon + 1).trim());
            }
            const answer: Answer = {
              status,
              headers: headersOf,
              setCookies: headersOf.getSetCookie(),
              text: payload,
              json: JSON.parse(payload),
            };
            assertSound(answer, status === 501 && (method === 'TRACE' || method === 'TRACK'));
          } else {
            // Node's own parser refused the request before any handler saw it.
            assert.ok([400, 413, 431, 505].includes(status), head);
          }
        }),
        runs(200),
      );
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(errors, [], 'no unexpected error in a handler');
    // Still serving.
    const alive = await exchange(
      Buffer.from(
        `POST ${API}/auth HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 23\r\n\r\n{"flow":"other-device"}`,
      ),
    );
    assert.match(alive, /^HTTP\/1\.1 200 /);
  });
});
