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

// ---- benchRequests(): STUB, to be filled in with the demo backend ----
function benchRequests() {
  row('requests', 'demo server', 'requests/s: (demo server benchmark comes with the demo backend)');
}
// ---- end benchRequests() ----

benchBundle();
await benchQr();
benchRequests();
