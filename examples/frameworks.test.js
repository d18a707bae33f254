// @ts-check
// The examples as a host would use them: the package is packed (`npm pack`), each example is copied
// to a temporary folder and installed from that tarball, built, and served; Chromium then logs in
// through the reference backend (examples/server/express.js, or the HTML example's own server) and
// the simulator, leaves the login page mid-order and comes back. Also the type tests: the TSX and
// Vue probes in examples/types must compile, and the package's types must compile in a project with
// neither React nor Vue.
//
//   npm run build && node --test examples/frameworks.test.js
//   node --test --test-name-pattern=types examples/frameworks.test.js     (only the type tests)
//
// It needs the npm registry (each example's own dependencies; Node 22 for Angular's CLI on an older
// Node) and Chromium (/usr/bin/chromium, CHROME_PATH overrides).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSimulator } from 'bankid-login/simulator';
import {
  ROOT,
  childEnv,
  freePort,
  installExample,
  nodeForAngular,
  pack,
  run,
  startProgram,
  workspace,
} from './harness.js';

const CSRF_TOKEN = 'example-csrf-token'; // what the examples' pages carry in <meta name="csrf-token">
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const LISTENING = /listening on (http:\/\/\S+)/;
const DEV_SERVER = /Local:\s+(http:\/\/\S+)/;

const space = workspace();
/** @type {Promise<string> | undefined} */
let tarball;
/** @type {Map<string, Promise<string>>} */
const installs = new Map();

/**
 * The example installed from the tarball, once per run.
 * @param {string} name folder under examples/
 * @param {string} [as] the copy's folder name
 */
function installed(name, as = name) {
  let install = installs.get(as);
  if (!install) {
    tarball ??= pack(space.dir);
    install = tarball.then((file) => installExample(name, space.dir, file, as));
    installs.set(as, install);
  }
  return install;
}

/** @param {string} dir @param {string} bin */
const binOf = (dir, bin) => path.join(dir, 'node_modules', '.bin', bin);

describe('types', { concurrency: true }, () => {
  it('types: the TSX probe compiles under tsc with React 19 types', async () => {
    const dir = await installed('types');
    await run(binOf(dir, 'tsc'), ['-p', 'tsconfig.react.json'], { cwd: dir });
  });

  it('types: the Vue probe compiles under vue-tsc with strictTemplates', async () => {
    const dir = await installed('types');
    await run(binOf(dir, 'vue-tsc'), ['-p', 'tsconfig.vue.json'], { cwd: dir });
  });

  it('types: a TypeScript project with neither React nor Vue, skipLibCheck off, compiles', async () => {
    const dir = await installed('types/plain', 'types-plain');
    await run(binOf(dir, 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir });
  });
});

describe('apps', () => {
  /** @type {import('bankid-login/simulator').Simulator} */
  let sim;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {Promise<void> | undefined} */
  let started;

  /** The simulator and Chromium, started by the first app test that runs (not for the type tests). */
  const stack = () =>
    (started ??= (async () => {
      sim = await startSimulator();
      browser = await chromium.launch({
        executablePath: process.env['CHROME_PATH'] || '/usr/bin/chromium',
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      });
    })());

  after(async () => {
    await browser?.close();
    await sim?.close();
  });

  /** The environment a backend needs to talk to the simulator. */
  const backendEnv = () =>
    childEnv({
      BANKID_URL: sim.url,
      BANKID_PFX: sim.certificates.files.clientPfx,
      BANKID_PASSPHRASE: sim.certificates.passphrase,
      BANKID_CA: sim.certificates.files.ca,
      BANKID_COOKIE_KEY: randomBytes(32).toString('base64'),
      PORT: '0',
      HOST: '127.0.0.1',
    });

  /** examples/server/express.js: the reference backend the framework apps' dev proxies point at. */
  const startBackend = () =>
    startProgram(process.execPath, [path.join(ROOT, 'examples', 'server', 'express.js')], {
      cwd: ROOT,
      env: backendEnv(),
      ready: LISTENING,
    });

  it('html: the script-tag page logs in; a full navigation away keeps the order, which resumes on return', async (t) => {
    const [dir] = await Promise.all([installed('html'), stack()]);
    const app = await startProgram(process.execPath, ['server.js'], { cwd: dir, env: backendEnv(), ready: LISTENING });
    t.after(() => app.stop());
    await loginJourney(t, { url: app.url, sim, browser, spa: false, output: app.output });
  });

  it('vue: vue-tsc and vite build pass; logs in through the Vite proxy; a route change cancels the order', async (t) => {
    const [dir] = await Promise.all([installed('vue'), stack()]);
    await run('npm', ['run', 'build'], { cwd: dir });
    const backend = await startBackend();
    t.after(() => backend.stop());
    const port = await freePort();
    const app = await startProgram(
      binOf(dir, 'vite'),
      ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
      { cwd: dir, env: childEnv({ BANKID_BACKEND: backend.url }), ready: DEV_SERVER },
    );
    t.after(() => app.stop());
    await loginJourney(t, { url: app.url, sim, browser, spa: true, output: () => app.output() + backend.output() });
  });

  it('react: tsc and vite build pass; logs in through the Vite proxy; a route change cancels the order', async (t) => {
    const [dir] = await Promise.all([installed('react'), stack()]);
    await run('npm', ['run', 'build'], { cwd: dir });
    const backend = await startBackend();
    t.after(() => backend.stop());
    const port = await freePort();
    const app = await startProgram(
      binOf(dir, 'vite'),
      ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
      { cwd: dir, env: childEnv({ BANKID_BACKEND: backend.url }), ready: DEV_SERVER },
    );
    t.after(() => app.stop());
    await loginJourney(t, { url: app.url, sim, browser, spa: true, output: () => app.output() + backend.output() });
  });

  it('angular: ng build passes; logs in through ng serve and proxy.conf.json; a route change cancels the order', async (t) => {
    const [dir, node] = await Promise.all([installed('angular'), nodeForAngular(space.dir), stack()]);
    const ng = path.join(dir, 'node_modules', '@angular', 'cli', 'bin', 'ng.js');
    const env = childEnv({ NG_CLI_ANALYTICS: 'false' });
    await run(node, [ng, 'build'], { cwd: dir, env });
    const backend = await startBackend();
    t.after(() => backend.stop());
    // proxy.conf.json points at the backend's usual address; this run's backend has its own port.
    const proxy = path.join(dir, 'proxy.test.json');
    writeFileSync(proxy, JSON.stringify({ '/api/bankid': { target: backend.url, changeOrigin: false } }));
    const port = await freePort();
    const app = await startProgram(
      node,
      [
        ng,
        'serve',
        '--configuration=production',
        '--host=127.0.0.1',
        `--port=${port}`,
        `--proxy-config=${proxy}`,
        '--watch=false',
        '--live-reload=false',
      ],
      { cwd: dir, env, ready: DEV_SERVER },
    );
    t.after(() => app.stop());
    await loginJourney(t, { url: app.url, sim, browser, spa: true, output: () => app.output() + backend.output() });
  });
});

after(() => space.cleanUp());

/**
 * One visit of the login page from a computer (the QR flow): log in; then start a second order,
 * leave the page mid-order and come back, and log in again.
 *
 * In a single-page app, leaving is a route change: the element is removed, so the order is cancelled
 * at BankID (CONTRACT §4). On the plain page it is a full navigation, which never cancels (a return
 * from the BankID app must find the order alive): the order resumes when the page is back.
 *
 * @param {import('node:test').TestContext} t
 * @param {{ url: string, sim: import('bankid-login/simulator').Simulator,
 *   browser: import('playwright-core').Browser, spa: boolean, output: () => string }} options
 */
async function loginJourney(t, { url, sim, browser, spa, output }) {
  const context = await browser.newContext({ userAgent: DESKTOP_UA, locale: 'sv-SE' });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  /** @type {Array<{ method: string, path: string, csrf: string | undefined, status?: number }>} */
  const requests = [];
  page.on('console', (message) => {
    // Failed loads are reported with their URL below.
    if (message.text().startsWith('Failed to load resource')) return;
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/bankid/'))
      requests.push({ method: request.method(), path: pathname, csrf: request.headers()['x-csrf-token'] });
  });
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    const failed = pathname.startsWith('/api/bankid/') ? response.status() !== 200 : response.status() >= 400;
    // The examples have no icon; Chromium asks for one anyway.
    if (failed && pathname !== '/favicon.ico')
      problems.push(`${response.request().method()} ${pathname} answered ${response.status()}`);
  });
  // Every bankid-* event the page sees, in order (they bubble and cross shadow roots). The page's
  // globals, as this file is checked as Node code: `page` is the browser's globalThis.
  await page.addInitScript(() => {
    const page = /** @type {any} */ (globalThis);
    /** @type {Array<{ type: string, detail: unknown }>} */
    const events = [];
    page.bankidEvents = events;
    for (const type of ['bankid-start', 'bankid-complete', 'bankid-failed', 'bankid-cancel'])
      page.document.addEventListener(type, (/** @type {CustomEvent} */ event) =>
        events.push({ type, detail: event.detail }),
      );
  });
  const context_ = () => `\n--- problems ---\n${problems.join('\n')}\n--- servers ---\n${output().slice(-3000)}`;
  /**
   * Runs one step; a failure says which, with what the page and the servers said.
   * @template T
   * @param {string} what
   * @param {() => Promise<T>} action
   * @returns {Promise<T>}
   */
  const step = async (what, action) => {
    try {
      return await action();
    } catch (error) {
      throw new Error(`${what}: ${/** @type {Error} */ (error).message}${context_()}`, { cause: error });
    }
  };
  /** @returns {Promise<Array<{ type: string, detail: any }>>} */
  const pageEvents = () => page.evaluate(() => /** @type {any} */ (globalThis).bankidEvents);
  const startsSoFar = async () => (await pageEvents()).filter((e) => e.type === 'bankid-start').length;

  /** Clicks the begin button and returns the new order's orderRef (from the page's bankid-start). */
  const begin = async () => {
    const before = await startsSoFar();
    await page.getByRole('button', { name: 'Logga in med BankID' }).click();
    await page.waitForFunction(
      (count) =>
        /** @type {any} */ (globalThis).bankidEvents.filter(
          (/** @type {{ type: string }} */ e) => e.type === 'bankid-start',
        ).length > count,
      before,
      { timeout: 10_000 },
    );
    const starts = (await pageEvents()).filter((e) => e.type === 'bankid-start');
    const { orderRef, flow } = starts.at(-1)?.detail ?? {};
    assert.equal(flow, 'other-device', 'a computer starts in the QR flow');
    return /** @type {string} */ (orderRef);
  };
  const order = (/** @type {string} */ orderRef) => sim.orders().find((o) => o.orderRef === orderRef);
  /** The user scans the QR code the page shows now and identifies; the host then navigates. */
  const scanAndIdentify = async (/** @type {string} */ orderRef) => {
    await page.getByRole('img', { name: /QR/ }).waitFor({ timeout: 10_000 });
    const qr = order(orderRef)?.qr;
    assert.ok(qr, `the simulator has no QR code for ${orderRef}`);
    const scanned = sim.app.scan(qr);
    assert.ok(scanned.ok, `scan: ${JSON.stringify(scanned)}`);
    const identified = sim.app.identify(orderRef);
    assert.ok(identified.ok, `identify: ${JSON.stringify(identified)}`);
    await page.waitForURL(/\/mina-sidor$/, { timeout: 15_000 });
    await page.getByRole('heading', { name: 'Mina sidor' }).waitFor({ timeout: 5_000 });
  };

  // 1. A login.
  await step('the login page', () => page.goto(`${url}/`));
  const first = await step('the first order starts', begin);
  await step('the first login completes and the host navigates', () => scanAndIdentify(first));
  assert.equal(order(first)?.status, 'complete');

  // 2. Mid-order away and back.
  await step('back to the login page', () => page.getByRole('link', { name: 'Till inloggningen' }).click());
  const second = await step('the second order starts', begin);
  assert.equal(order(second)?.status, 'pending');
  await step('away from the login page', async () => {
    await page.getByRole('link', { name: 'Om inloggningen' }).click();
    await page.getByRole('heading', { name: 'Om inloggningen' }).waitFor({ timeout: 5_000 });
  });
  if (spa) {
    // The element was removed: its cancel (sent with keepalive) reaches BankID, the order is gone.
    await step('the order is cancelled at BankID', () => until(() => order(second) === undefined, 5_000));
  } else {
    // A full navigation: no cancel; the order waits for the user's return.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(order(second)?.status, 'pending', 'a full navigation must not cancel the order');
  }
  await step('back to the login page', async () => {
    await page.getByRole('link', { name: 'Till inloggningen' }).click();
    await page.getByRole('heading', { name: 'Logga in' }).waitFor({ timeout: 5_000 });
  });
  if (spa) {
    const third = await step('a new order starts', begin);
    assert.notEqual(third, second);
    await step('the login completes', () => scanAndIdentify(third));
  } else {
    // The page came back and picked the same order up (no new bankid-start, no new order).
    await step('the same order resumes and completes', () => scanAndIdentify(second));
    assert.equal(await startsSoFar(), 0, 'no new order was started on the page that resumed');
  }

  // The CSRF header went with every request (set through the element's headers property).
  assert.ok(requests.length >= 4, `only ${requests.length} requests reached /api/bankid`);
  const without = requests.filter((r) => r.csrf !== CSRF_TOKEN);
  assert.deepEqual(without, [], `requests without the X-CSRF-Token header${context_()}`);
  assert.ok(
    requests.some((r) => r.path === '/api/bankid/cancel') === spa,
    spa ? 'no cancel request was sent on removal' : 'a cancel was sent on a full navigation',
  );
  assert.deepEqual(problems, [], `problems on the page${context_()}`);
}

/**
 * Waits until `condition()` holds.
 * @param {() => boolean} condition
 * @param {number} timeoutMs
 */
async function until(condition, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
