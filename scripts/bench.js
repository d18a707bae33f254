// Prints the project's numbers and holds the budgets: it exits 1 when a figure is over its budget
// (CI runs it). Run after `npm run build`: it reads dist/ and the compiled lib/.
//
// A budget is raised only with a reason in CHANGELOG.md, next to the change that needed it.
/* global document, window, customElements, requestAnimationFrame -- functions that run in the page */
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const root = new URL('../', import.meta.url);
const fmt = (n) => n.toLocaleString('en-US');
const row = (label, what, rest) => console.log(`${label.padEnd(9)}${what.padEnd(34)}${rest}`);

/** gzip -9 bytes (zlib) of the script-tag bundle: 23,235 before this release's additions (CHANGELOG.md). */
const BUNDLE_GZIP_BUDGET = 24_850;
/**
 * Issue 11's goals where a figure is not within them yet: printed beside the figure, not held.
 * The sizes were set before the accessibility and tab work added about 3.5 kB of texts and code.
 * The bytes per second are held to the goals over HTTPS with HTTP/2 (benchHttp2); over the demo's
 * plain HTTP/1.1 they are below what it allows at one collect a second (CONTRACT §4): Chromium's
 * own request headers are about 600 B, and a response's status line and headers about 215 B before
 * the body with its QR payload (README, "Performance").
 */
const GOALS = { bundleGzip: 19_000, ownGzip: 9_500, responseBytes: 300, requestBytes: 450 };
const overBudget = [];

/** Holds `value` to `budget` (and shows the goal where it is still further). */
function hold(name, value, budget, unit, goal = null) {
  const with_ = (n) => (unit ? `${fmt(n)} ${unit}` : fmt(n));
  if (value > budget) overBudget.push(`${name} ${with_(value)} > ${with_(budget)}`);
  const goalText = goal !== null && value > goal ? `; goal ${with_(goal)}, not met` : '';
  return `(budget ${with_(budget)}${goalText})`;
}

function benchBundle() {
  const rel = 'dist/bankid-login.bundle.js';
  const file = new URL(rel, root);
  if (!existsSync(file)) {
    row('bundle', rel, 'missing: run `npm run build` first');
    overBudget.push('no bundle to measure');
    return;
  }
  const buf = readFileSync(file);
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf).length; // default quality 11, as `brotli -c`
  row(
    'bundle',
    rel,
    `raw ${fmt(buf.length)} B  gzip ${fmt(gz)} B  brotli ${fmt(br)} B  ` +
      hold('bundle gzip', gz, BUNDLE_GZIP_BUDGET, 'B', GOALS.bundleGzip),
  );
}

/** The element's own code alone: the bundle's build with Lit, @lit/localize and lean-qr left out. */
const OWN_GZIP_BUDGET = 16_450;
async function benchOwnCode() {
  const { rollup } = await import('rollup');
  const { default: config } = await import('../rollup.config.js');
  const build = await rollup({ ...config, external: (id) => /^(lit|@lit\/|lean-qr)/.test(id) });
  const { output } = await build.generate({ format: 'es' });
  await build.close();
  const code = Buffer.from(output[0].code);
  const gz = gzipSync(code, { level: 9 }).length;
  row(
    'own code',
    'the element without Lit, lean-qr',
    `raw ${fmt(code.length)} B  gzip ${fmt(gz)} B  ` + hold('own code gzip', gz, OWN_GZIP_BUDGET, 'B', GOALS.ownGzip),
  );
}

async function benchQr() {
  const rel = 'lib/qr.js';
  if (!existsSync(new URL(rel, root))) {
    row('qr', rel, 'missing: run `npm run build` first');
    return;
  }
  const { qrSymbol } = await import(new URL('../lib/qr.js', import.meta.url).href);
  // Realistic frames: bankid.<token>.<n>.<HMAC-SHA256(secret, n)>, n = 0..999.
  const token = randomUUID();
  const secret = 'bench-qr-start-secret';
  const payloads = Array.from(
    { length: 1000 },
    (_, n) => `bankid.${token}.${n}.${createHmac('sha256', secret).update(String(n)).digest('hex')}`,
  );
  for (const p of payloads.slice(0, 100)) qrSymbol(p); // warm up the JIT
  const us = [];
  const sizes = new Map();
  for (const p of payloads) {
    const t0 = performance.now();
    const { size } = qrSymbol(p);
    us.push((performance.now() - t0) * 1000);
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
  }
  us.sort((a, b) => a - b);
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  const p95 = us[Math.ceil(us.length * 0.95) - 1];
  const sizeText = [...sizes]
    .sort((a, b) => a[0] - b[0])
    .map(([s, c]) => `${s}x${s}:${c}`)
    .join(' ');
  row(
    'qr',
    `qrSymbol, ${fmt(us.length)} frames`,
    `mean ${mean.toFixed(0)} µs  p95 ${p95.toFixed(0)} µs  sizes ${sizeText}`,
  );
}

// ---- benchServer(): bankid-login/server on node:http, in process, against the simulator ----
// One backend instance, limits off (so no 429 can count as throughput), keep-alive clients with
// CONCURRENCY requests in flight, each run for BENCH_MS:
//   logins/s    a whole login: start (auth → simulator over mTLS), the app opens and identifies
//               (in process), collect → complete. Only a 200 "complete" counts.
//   collects/s  the element's poll: ORDERS pending orders collected round robin; BankID is asked
//               once per 2 s per order, every other answer comes from the store's pace record.
// Once with the memory store and once with Redis (a redis-server started here on a free port).
const BENCH_MS = 3000;
const CONCURRENCY = 8;
const ORDERS = 50;

async function benchServer() {
  const http = await import('node:http');
  const net = await import('node:net');
  const { spawn } = await import('node:child_process');
  const { randomBytes } = await import('node:crypto');
  const { createBankIdBackend, createRpClient, createMemoryStore } = await import('bankid-login/server');
  const { createRedisStore } = await import('bankid-login/server/redis');
  const { startSimulator } = await import('bankid-login/simulator');

  const sim = await startSimulator({ pickupTimeoutMs: 600_000 });
  const rp = createRpClient(sim.rpClientOptions);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const freePort = () =>
    new Promise((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => resolve(port));
      });
    });

  /** POST JSON with a cookie header; resolves {status, json, cookies}. */
  const post = (port, path, body, cookie = '') =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const headers = {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        Host: `127.0.0.1:${port}`,
      };
      if (cookie) headers.Cookie = cookie;
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const cookies = (res.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ');
          resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString('utf8')), cookies });
        });
      });
      req.on('error', reject);
      req.end(text);
    });

  /** Runs `one()` CONCURRENCY at a time for BENCH_MS; `one` resolves true when it counted. */
  async function measure(one) {
    let done = 0;
    let refused = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (performance.now() - t0 < BENCH_MS) {
        if (await one()) done++;
        else refused++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - t0) / 1000;
    return { perSecond: done / seconds, refused };
  }

  async function benchWith(label, store) {
    const backend = createBankIdBackend({
      rp,
      cookieKey: randomBytes(32),
      userVisibleData: 'Benchmark',
      store,
      rateLimits: false,
      log: () => {},
    });
    const server = http.createServer(backend.nodeListener);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    try {
      const login = async () => {
        const start = await post(port, '/api/bankid/auth', { flow: 'this-device' });
        if (start.status !== 200) return false;
        sim.app.open({ autoStartToken: start.json.autoStartToken });
        sim.app.identify(start.json.orderRef);
        const done = await post(port, '/api/bankid/collect', { orderRef: start.json.orderRef }, start.cookies);
        return done.status === 200 && done.json.status === 'complete';
      };
      for (let i = 0; i < 20; i++) await login(); // warm up
      const logins = await measure(login);

      const orders = [];
      for (let i = 0; i < ORDERS; i++) {
        const start = await post(port, '/api/bankid/auth', { flow: 'other-device' });
        orders.push({ orderRef: start.json.orderRef, cookies: start.cookies });
      }
      let next = 0;
      const collect = async () => {
        const order = orders[next++ % orders.length];
        const answer = await post(port, '/api/bankid/collect', { orderRef: order.orderRef }, order.cookies);
        return answer.status === 200 && answer.json.status === 'pending';
      };
      const collects = await measure(collect);
      const refusals = logins.refused + collects.refused;
      row(
        'server',
        `one instance, ${label}`,
        `${fmt(Math.round(logins.perSecond))} logins/s  ${fmt(Math.round(collects.perSecond))} collects/s` +
          `  (${CONCURRENCY} in flight${refusals ? `, ${fmt(refusals)} not counted` : ''})`,
      );
    } finally {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    }
  }

  let redis = null;
  try {
    await benchWith('memory store', createMemoryStore());
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const spawned = await new Promise((resolve) => {
      redis.once('error', () => resolve(false));
      redis.once('spawn', () => resolve(true));
    });
    if (!spawned) {
      row('server', 'one instance, Redis store', 'not measured: redis-server is not installed');
      return;
    }
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, log: () => {} });
    for (let i = 0; ; i++) {
      try {
        await store.claimOnce('bench-ready', 1000);
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await benchWith('Redis store', store);
    await store.close();
  } finally {
    redis?.kill();
    agent.destroy();
    rp.close();
    await sim.close();
  }
}
// ---- end benchServer() ----

// ---- benchPage(): the demo in headless Chromium (playwright-core, /usr/bin/chromium) ----
//   click → code   median of 7 clicks on "Logga in med BankID" (QR flow) to the first code's path
//   QR window      PAGE_SECONDS of a code on show, nobody scanning, on a page of the demo's
//                  origin with only the element: the backend's requests and bytes per second
//                  (request line, headers and body up; all bytes down, as Chromium's network log
//                  counts them), the most in flight, the main thread's script, style and layout
//                  per frame (Chromium's Performance metrics) and the element's update() per frame
//   1,000 cycles   mount, start, remove on a blank page with fetch answered in the page: what is
//                  left after (elements, listeners on window and document, timers, collects sent)
const PAGE_SECONDS = 20;
/** The QR window's page: the bundle and one element, nothing else on the main thread or the wire. */
const BARE_PAGE =
  '<!doctype html><html lang="sv"><title>bench</title>' +
  '<script type="module" src="/dist/bankid-login.bundle.js"></script>' +
  '<bankid-login api="/api/bankid" flow="other-device"></bankid-login>';
const PAGE_BUDGETS = {
  clickToCode: 120,
  updateMedian: 1.5,
  updateP95: 6,
  requestsPerSecond: 1.0,
  inFlight: 1,
  responseBytes: 420,
  requestBytes: 1_000,
  mainThreadPerFrame: 4,
};

async function benchPage() {
  const { chromium } = await import('playwright-core');
  const { createDemoServer } = await import('../demo/server.js');
  const demo = await createDemoServer({ port: 0, pickupTimeoutMs: 600_000, log: () => {} });
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1];
  const begin = () => document.querySelector('bankid-login').shadowRoot.querySelector('[data-action="begin"]').click();
  const codeShown = () =>
    !!document.querySelector('bankid-login').shadowRoot.querySelector('svg.qr path')?.getAttribute('d');
  try {
    // Click to code.
    const clicks = [];
    for (let i = 0; i < 7; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(demo.url);
      await page.selectOption('#flow', 'other-device');
      clicks.push(
        await page.evaluate(
          () =>
            new Promise((resolve) => {
              const el = document.querySelector('bankid-login');
              const t0 = performance.now();
              const check = () =>
                el.shadowRoot.querySelector('svg.qr path')?.getAttribute('d')
                  ? resolve(performance.now() - t0)
                  : requestAnimationFrame(check);
              el.shadowRoot.querySelector('[data-action="begin"]').click();
              check();
            }),
        ),
      );
      await page.evaluate(() => document.querySelector('bankid-login').remove()); // cancels the order
      await context.close();
    }
    const click = median(clicks);
    row(
      'page',
      'click → first QR code, median',
      `${click.toFixed(0)} ms  ${hold('click to code', Math.round(click), PAGE_BUDGETS.clickToCode, 'ms')}`,
    );

    // A code on show, on a page of the demo's origin that holds only the element: the demo page's
    // phone panel would add its own work to the main thread's figures.
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const bare = new URL('/bench-page', demo.url).href;
    await page.route(bare, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: BARE_PAGE,
      }),
    );
    await page.goto(bare);
    await page.waitForFunction(() => customElements.get('bankid-login'));
    await page.unroute(bare); // while a route is set, Chromium adds no-cache headers to every request
    await page.evaluate(() => {
      const element = customElements.get('bankid-login');
      const update = element.prototype.update;
      globalThis.updates = [];
      element.prototype.update = function (changed) {
        const t0 = performance.now();
        update.call(this, changed);
        globalThis.updates.push(performance.now() - t0);
      };
    });
    await page.evaluate(begin);
    await page.waitForFunction(codeShown);
    await page.waitForTimeout(1500);
    const requests = new Map();
    let inFlight = 0;
    let mostInFlight = 0;
    cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
      if (!new URL(request.url).pathname.startsWith('/api/bankid/')) return;
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const line = `${request.method} ${new URL(request.url).pathname} HTTP/1.1\r\n`.length;
      requests.set(requestId, { id: requestId, up: line + 2 + (request.postData?.length ?? 0), down: 0 });
    });
    // The headers Chromium sent, by request: the report may come before or after requestWillBeSent.
    const sentHeaders = new Map();
    cdp.on('Network.requestWillBeSentExtraInfo', ({ requestId, headers }) => {
      const bytes = Object.entries(headers).reduce((n, [name, value]) => n + name.length + String(value).length + 4, 0);
      sentHeaders.set(requestId, bytes);
    });
    cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
      const r = requests.get(requestId);
      if (!r) return;
      r.down = encodedDataLength;
      inFlight--;
    });
    // A collect that Chromium logs as failed (say, cancelled after its body was read) is a fault of ours.
    let failedLoads = 0;
    cdp.on('Network.loadingFailed', ({ requestId }) => {
      if (!requests.has(requestId)) return;
      inFlight--;
      failedLoads++;
    });
    await page.evaluate(() => (globalThis.updates = []));
    await cdp.send('Performance.enable');
    const mainThread = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const seconds = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
      return {
        script: seconds('ScriptDuration'),
        style: seconds('RecalcStyleDuration'),
        layout: seconds('LayoutDuration'),
      };
    };
    const before = await mainThread();
    await page.waitForTimeout(PAGE_SECONDS * 1000);
    const after = await mainThread();
    const all = [...requests.values()]; // the window's requests; their header info may still come
    const updates = await page.evaluate(() => globalThis.updates);
    await page.waitForTimeout(300);
    const withHeaders = all.filter((r) => sentHeaders.has(r.id));
    if (withHeaders.length < all.length) overBudget.push('Chromium did not report the headers of every request');
    if (failedLoads > 0) overBudget.push(`${failedLoads} requests ended as failed in Chromium's network log`);
    const stillCode = await page.evaluate(codeShown);
    await page.evaluate(() => document.querySelector('bankid-login').remove());
    await context.close();
    const perSecond = all.length / PAGE_SECONDS;
    const up = all.reduce((n, r) => n + r.up + (sentHeaders.get(r.id) ?? 0), 0) / PAGE_SECONDS;
    // Fewer requests would make every per-second figure look better than it is.
    if (perSecond < 0.9) overBudget.push(`only ${perSecond.toFixed(2)} requests/s while a code showed`);
    const down = all.reduce((n, r) => n + r.down, 0) / PAGE_SECONDS;
    if (!stillCode) overBudget.push('the QR code went away during the page benchmark');
    row(
      'page',
      `a QR code on show, ${PAGE_SECONDS} s`,
      `${perSecond.toFixed(2)} requests/s ${hold('requests/s', perSecond, PAGE_BUDGETS.requestsPerSecond, 'per s')}` +
        `  ${mostInFlight} in flight ${hold('in flight', mostInFlight, PAGE_BUDGETS.inFlight, '')}`,
    );
    row(
      'page',
      '  bytes per second',
      `down ${fmt(Math.round(down))} B/s ${hold('response bytes/s', Math.round(down), PAGE_BUDGETS.responseBytes, 'B/s', GOALS.responseBytes)}` +
        `  up ${fmt(Math.round(up))} B/s ${hold('request bytes/s', Math.round(up), PAGE_BUDGETS.requestBytes, 'B/s', GOALS.requestBytes)}`,
    );
    // The main thread of the page (it holds only the element) over the window, per frame.
    const perFrame = (name) => ((after[name] - before[name]) * 1000) / Math.max(updates.length, 1);
    const work = perFrame('script') + perFrame('style') + perFrame('layout');
    row(
      'page',
      '  main thread per frame',
      `script ${perFrame('script').toFixed(2)} ms  style ${perFrame('style').toFixed(2)} ms  layout ` +
        `${perFrame('layout').toFixed(2)} ms  ${hold('main thread per frame', Number(work.toFixed(2)), PAGE_BUDGETS.mainThreadPerFrame, 'ms')}`,
    );
    row(
      'page',
      `  update() per frame (${updates.length})`,
      `median ${median(updates).toFixed(2)} ms ${hold('update median', Number(median(updates).toFixed(2)), PAGE_BUDGETS.updateMedian, 'ms')}` +
        `  p95 ${p95(updates).toFixed(2)} ms ${hold('update p95', Number(p95(updates).toFixed(2)), PAGE_BUDGETS.updateP95, 'ms')}`,
    );

    await benchHttp2(browser, { begin, codeShown });
    await benchCycles(browser);
  } finally {
    await browser.close();
    await demo.close();
  }
}

/**
 * The same QR window over HTTPS with HTTP/2, as a site in production serves it: the backend
 * (nodeListener on node:http2) behind a TCP relay that counts every byte both ways, TLS records
 * included. HPACK sends a header that did not change as an index of a byte or two.
 */
const HTTP2_BUDGETS = { responseBytes: 300, requestBytes: 450 };
async function benchHttp2(browser, { begin, codeShown }) {
  const http2 = await import('node:http2');
  const net = await import('node:net');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { ensureCertificates } = await import('../lib/simulator/certificates.js');
  const { createBankIdStack } = await import('../demo/stack.js');

  const certDir = mkdtempSync(join(tmpdir(), 'bankid-bench-'));
  const stack = await createBankIdStack({ env: {}, pickupTimeoutMs: 600_000, certDir, log: () => {} });
  const { serverKey, serverCert } = ensureCertificates(certDir);
  const bundle = readFileSync(new URL('dist/bankid-login.bundle.js', root));
  const server = http2.createSecureServer({ key: serverKey, cert: serverCert, allowHTTP1: true }, (req, res) =>
    stack.listener(req, res, () => {
      const file = {
        '/bench-page': [BARE_PAGE, 'text/html'],
        '/dist/bankid-login.bundle.js': [bundle, 'text/javascript'],
      };
      const [body, type] = file[req.url] ?? [null, null];
      res.writeHead(body === null ? 404 : 200, type ? { 'content-type': type } : {});
      res.end(body ?? undefined);
    }),
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  let counting = false;
  let up = 0;
  let down = 0;
  const sockets = new Set();
  const relay = net.createServer((client) => {
    const upstream = net.connect(server.address().port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.on('data', (chunk) => counting && (up += chunk.length));
    upstream.on('data', (chunk) => counting && (down += chunk.length));
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));

  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const protocols = new Set();
    let requests = 0;
    cdp.on('Network.responseReceived', ({ response }) => {
      if (!new URL(response.url).pathname.startsWith('/api/bankid/')) return;
      protocols.add(response.protocol);
      if (counting) requests++;
    });
    await page.goto(`https://localhost:${relay.address().port}/bench-page`);
    await page.waitForFunction(() => customElements.get('bankid-login'));
    await page.evaluate(begin);
    await page.waitForFunction(codeShown);
    await page.waitForTimeout(1500);
    counting = true;
    await page.waitForTimeout(PAGE_SECONDS * 1000);
    counting = false;
    const stillCode = await page.evaluate(codeShown);
    await page.evaluate(() => document.querySelector('bankid-login').remove());
    if (!stillCode) overBudget.push('the QR code went away during the HTTP/2 benchmark');
    if (protocols.size === 0 || ![...protocols].every((p) => p === 'h2')) {
      overBudget.push(`the HTTP/2 benchmark ran over ${[...protocols].join(', ') || 'nothing'}`);
    }
    if (requests / PAGE_SECONDS < 0.9) overBudget.push(`only ${requests / PAGE_SECONDS} requests/s over HTTP/2`);
    const perSecond = (n) => Math.round(n / PAGE_SECONDS);
    row(
      'page',
      `  over HTTPS, HTTP/2 (${(requests / PAGE_SECONDS).toFixed(2)} req/s)`,
      `down ${fmt(perSecond(down))} B/s ${hold('HTTP/2 response bytes/s', perSecond(down), HTTP2_BUDGETS.responseBytes, 'B/s')}` +
        `  up ${fmt(perSecond(up))} B/s ${hold('HTTP/2 request bytes/s', perSecond(up), HTTP2_BUDGETS.requestBytes, 'B/s')}`,
    );
  } finally {
    await context.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => relay.close(resolve));
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
    rmSync(certDir, { recursive: true, force: true });
  }
}

/** 1,000 mount/start/remove cycles: nothing may be left behind. */
async function benchCycles(browser) {
  const bundle = readFileSync(new URL('dist/bankid-login.bundle.js', root), 'utf8');
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html lang="sv"><body></body></html>');
  await page.evaluate(() => {
    const live = new Set();
    const set = window.setTimeout.bind(window);
    const clear = window.clearTimeout.bind(window);
    window.setTimeout = (callback, ms, ...args) => {
      const id = set(() => {
        live.delete(id);
        callback(...args);
      }, ms);
      live.add(id);
      return id;
    };
    window.clearTimeout = (id) => {
      live.delete(id);
      clear(id);
    };
    const counts = { live, starts: 0, collects: 0, cancels: 0 };
    globalThis.cycles = counts;
    window.fetch = async (url) => {
      const endpoint = String(url).split('/').pop();
      counts[endpoint === 'auth' ? 'starts' : endpoint === 'collect' ? 'collects' : 'cancels']++;
      const json =
        endpoint === 'auth'
          ? {
              orderRef: `order-${counts.starts}`,
              qr: `bankid.6f1b8d2a-3c4e-4f5a-9b7c-000000000001.0.${'ab'.repeat(32)}`,
            }
          : endpoint === 'collect'
            ? { status: 'pending', hintCode: 'outstandingTransaction' }
            : {};
      return new Response(JSON.stringify(json), { headers: { 'Content-Type': 'application/json' } });
    };
  });
  await page.addScriptTag({ content: bundle, type: 'module' });
  await page.waitForFunction(() => customElements.get('bankid-login'));
  const cdp = await page.context().newCDPSession(page);
  const listeners = async () => {
    let n = 0;
    for (const expression of ['window', 'document']) {
      const { result } = await cdp.send('Runtime.evaluate', { expression });
      n += (await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId })).listeners.length;
    }
    return n;
  };
  const nodes = () => page.evaluate(() => document.getElementsByTagName('*').length);
  const before = { nodes: await nodes(), listeners: await listeners() };
  await page.evaluate(async (n) => {
    for (let i = 0; i < n; i++) {
      const el = document.createElement('bankid-login');
      el.setAttribute('api', 'http://bench.invalid/api');
      el.setAttribute('flow', 'other-device');
      document.body.append(el);
      await el.start();
      await el.updateComplete;
      el.remove();
    }
  }, 1000);
  await page.waitForTimeout(2500); // longer than a poll: a collect left behind would go now
  const left = {
    nodes: (await nodes()) - before.nodes,
    listeners: (await listeners()) - before.listeners,
    ...(await page.evaluate(() => ({
      timers: globalThis.cycles.live.size,
      collects: globalThis.cycles.collects,
      starts: globalThis.cycles.starts,
      cancels: globalThis.cycles.cancels,
    }))),
  };
  await page.close();
  const leftOver = left.nodes + left.listeners + left.timers + left.collects;
  if (left.starts !== 1000 || left.cancels !== 1000) overBudget.push('cycles: not every order was made and cancelled');
  row(
    'page',
    '1,000 mount/start/remove cycles',
    `left: ${left.nodes} elements, ${left.listeners} listeners, ${left.timers} timers, ${left.collects} collects` +
      ` (${fmt(left.starts)} orders, ${fmt(left.cancels)} cancelled)  ${hold('left after cycles', leftOver, 0, '')}`,
  );
}
// ---- end benchPage() ----

benchBundle();
await benchOwnCode();
await benchQr();
await benchPage();
await benchServer();
if (overBudget.length > 0) {
  console.log(`over budget: ${overBudget.join('; ')}`);
  process.exit(1);
}
console.log('every figure within its budget');
