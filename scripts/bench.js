// Prints the project's numbers and holds the budgets: it exits 1 when a figure is over its budget
// (CI runs it). Run after `npm run build`: it reads dist/ and the compiled lib/.
//
// A budget is raised only with a reason in CHANGELOG.md, next to the change that needed it.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const root = new URL('../', import.meta.url);
const fmt = (n) => n.toLocaleString('en-US');
const row = (label, what, rest) => console.log(`${label.padEnd(9)}${what.padEnd(30)}${rest}`);

/** gzip -9 bytes (zlib) of the script-tag bundle: 23,235 before this release's additions (CHANGELOG.md). */
const BUNDLE_GZIP_BUDGET = 26_000;
const overBudget = [];

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
    `raw ${fmt(buf.length)} B  gzip ${fmt(gz)} B  brotli ${fmt(br)} B  (budget gzip ${fmt(BUNDLE_GZIP_BUDGET)} B)`,
  );
  if (gz > BUNDLE_GZIP_BUDGET) overBudget.push(`bundle gzip ${fmt(gz)} B > ${fmt(BUNDLE_GZIP_BUDGET)} B`);
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

benchBundle();
await benchQr();
await benchServer();
if (overBudget.length > 0) {
  console.log(`over budget: ${overBudget.join('; ')}`);
  process.exit(1);
}
console.log('every figure within its budget');
