// Prints a few numbers for the README and PR notes; it is not a test (nothing fails).
// Run after `npm run build`: it reads dist/ and the compiled lib/.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const root = new URL('../', import.meta.url);
const fmt = (n) => n.toLocaleString('en-US');
const row = (label, what, rest) => console.log(`${label.padEnd(9)}${what.padEnd(30)}${rest}`);

function benchBundle() {
  const rel = 'dist/bankid-login.bundle.js';
  const file = new URL(rel, root);
  if (!existsSync(file)) {
    row('bundle', rel, 'missing: run `npm run build` first');
    return;
  }
  const buf = readFileSync(file);
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf).length; // default quality 11, as `brotli -c`
  row('bundle', rel, `raw ${fmt(buf.length)} B  gzip ${fmt(gz)} B  brotli ${fmt(br)} B`);
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
  const sizeText = [...sizes].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}x${s}:${c}`).join(' ');
  row('qr', `qrSymbol, ${fmt(us.length)} frames`, `mean ${mean.toFixed(0)} µs  p95 ${p95.toFixed(0)} µs  sizes ${sizeText}`);
}

// ---- benchRequests(): the demo server in process, loopback only ----
// (1) the element's collect path answered from the reference backend's 2 s cache (one order,
//     many collects with its cookies; every 2 s one of them really goes to BankID);
// (2) full starts: POST /api/bankid/auth through the RP client over mutual TLS to the simulator.
// Each runs for at most BENCH_MS or BENCH_MAX requests, CONCURRENCY requests in flight.
const BENCH_MS = 2000;
const BENCH_MAX = 2000;
const CONCURRENCY = 8;

async function benchRequests() {
  const { request, Agent } = await import('node:http');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { createDemoServer } = await import('../demo/server.js');

  const certDir = mkdtempSync(path.join(tmpdir(), 'bankid-bench-'));
  let demo;
  try {
    demo = await createDemoServer({ port: 0, host: '127.0.0.1', env: {}, certDir, log: () => {} });
  } catch (error) {
    rmSync(certDir, { recursive: true, force: true });
    row('requests', 'demo server', `could not start: ${error.message}`);
    return;
  }
  const { port } = demo.server.address();
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const jar = new Map();

  const post = (urlPath, body, { cookies = false } = {}) =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const headers = { Host: `localhost:${port}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
      if (cookies && jar.size) headers.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: urlPath, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (cookies) {
            for (const line of res.headers['set-cookie'] ?? []) {
              const pair = line.split(';')[0];
              const eq = pair.indexOf('=');
              if (/;\s*Max-Age=0/i.test(line)) jar.delete(pair.slice(0, eq));
              else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
            }
          }
          resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        });
      });
      req.on('error', reject);
      req.end(text);
    });

  /** Runs `one()` with CONCURRENCY in flight until BENCH_MS or BENCH_MAX; returns {count, ms, errors}. */
  async function measure(one) {
    let started = 0;
    let errors = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (started < BENCH_MAX && performance.now() - t0 < BENCH_MS) {
        started++;
        if (!(await one())) errors++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { count: started, ms: performance.now() - t0, errors };
  }
  const report = (what, { count, ms, errors }) =>
    row(
      'requests',
      what,
      `${fmt(Math.round((count / ms) * 1000))} req/s  (${fmt(count)} in ${(ms / 1000).toFixed(2)} s` +
        `${errors ? `, ${fmt(errors)} not 200` : ''}, ${CONCURRENCY} in flight)`,
    );

  try {
    const start = await post('/api/bankid/auth', { flow: 'other-device' }, { cookies: true });
    const { orderRef } = start.json;
    for (let i = 0; i < 20; i++) await post('/api/bankid/collect', { orderRef }, { cookies: true }); // warm up
    report('collect, 2 s cache, 1 order', await measure(async () => (await post('/api/bankid/collect', { orderRef }, { cookies: true })).status === 200));

    for (let i = 0; i < 20; i++) await post('/api/bankid/auth', { flow: 'other-device' }); // warm up
    report('auth → simulator over mTLS', await measure(async () => (await post('/api/bankid/auth', { flow: 'other-device' })).status === 200));
  } finally {
    agent.destroy();
    await demo.close();
    rmSync(certDir, { recursive: true, force: true });
  }
}
// ---- end benchRequests() ----

benchBundle();
await benchQr();
await benchRequests();
