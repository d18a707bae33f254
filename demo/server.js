// @ts-check
// The demo's web server (`npm start`): plain node:http, the way a host mounts the backend.
//
//   /, /index.html           → demo/index.html (with this run's app API path written in)
//   /demo/<page file>        → the page's own files (an allowlist, nothing else of demo/)
//   /dist/*                  → the built bundle (dist/bankid-login.bundle.js and its map)
//   /api/bankid/*            → bankid-login/server (backend.nodeListener)
//   /demo/app/<secret>/*     → the simulator's app API: the user's BankID app, BankID faults
//
// Every page answer carries a strict Content-Security-Policy (the element must work under it),
// nosniff, Referrer-Policy and no-store; the backend's JSON answers carry its own no-store and nosniff. A server on loopback answers only loopback Host names (a guard
// against DNS rebinding). The server has header and request timeouts and a connection cap, as a
// host's should. PORT (default 8000) and HOST (default 127.0.0.1) come from the environment.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBankIdStack } from './stack.js';

const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(DEMO_DIR);

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "require-trusted-types-for 'script'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Slow or idle clients cannot hold the server: node:http's defaults are minutes long. */
export const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  keepAliveTimeout: 5_000,
  maxConnections: 200,
};

/** @type {Record<string, string>} */
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The page's files: the only files of demo/ that are ever served. */
const PAGE_FILES = new Map([
  ['/', 'index.html'],
  ['/index.html', 'index.html'],
  ['/demo/demo.js', 'demo.js'],
  ['/demo/phone.js', 'phone.js'],
  ['/demo/demo.css', 'demo.css'],
]);

/** The bundle: dist/<name>.js or .js.map, a plain file name, nothing else. */
const DIST_FILE = /^\/dist\/([A-Za-z0-9_-][A-Za-z0-9._-]*\.js(?:\.map)?)$/;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Where the stack mounts the backend (demo/stack.js). */
const API_PATH = '/api/bankid/';

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} text
 * @param {Record<string, string>} [extra]
 */
function sendText(res, status, text, extra = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** The Host header's name without the port, lower case. @param {string | undefined} header */
function hostName(header) {
  const text = String(header ?? '').toLowerCase();
  return text.startsWith('[') ? text.slice(0, text.indexOf(']') + 1) : text.replace(/:\d*$/, '');
}

/**
 * Creates the demo server and its BankID stack, and starts listening.
 * @param {object} [options]
 * @param {number} [options.port] 0 picks a free port (default 0)
 * @param {string} [options.host] the address to bind (default 127.0.0.1); a loopback host enables the Host check
 * @param {string} [options.distDir] where /dist/* is served from (default: the repo's dist/)
 * @param {import('./stack.js').BankIdStack} [options.stack] a ready stack (default: createBankIdStack(options))
 * @param {Record<string, string | undefined>} [options.env] for createBankIdStack (default process.env)
 * @param {number} [options.pickupTimeoutMs] for createBankIdStack
 * @param {string} [options.certDir] for createBankIdStack
 * @param {(line: string) => void} [options.log] for createBankIdStack (the backend's problem lines)
 * @returns {Promise<{server: import('node:http').Server, stack: import('./stack.js').BankIdStack, url: string, close: () => Promise<void>}>}
 */
export async function createDemoServer(options = {}) {
  const { port = 0, host = '127.0.0.1' } = options;
  const stack =
    options.stack ??
    (await createBankIdStack({
      ...(options.env ? { env: options.env } : {}),
      ...(options.pickupTimeoutMs ? { pickupTimeoutMs: options.pickupTimeoutMs } : {}),
      ...(options.certDir ? { certDir: options.certDir } : {}),
      ...(options.log ? { log: options.log } : {}),
    }));
  const checkHostHeader = LOOPBACK_NAMES.has(host);
  const distDir = path.resolve(options.distDir ?? path.join(REPO_DIR, 'dist'));

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function servePage(req, res) {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname.startsWith('/api/')) return sendText(res, 404, 'No such endpoint.\n');
    const page = PAGE_FILES.get(pathname);
    const dist = DIST_FILE.exec(pathname);
    if (!page && !dist) return sendText(res, 404, 'Not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    const file = page ? path.join(DEMO_DIR, page) : path.join(distDir, /** @type {string} */ (dist?.[1]));
    let body;
    try {
      body = await readFile(file);
    } catch {
      return sendText(res, 404, 'Not found\n');
    }
    // The page learns where this run's app API is (the secret is in the path).
    if (page === 'index.html') body = Buffer.from(body.toString('utf8').replace('%APP_API_PATH%', stack.appPath));
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    // The backend's JSON answers bring their own no-store and nosniff; a document policy on the
    // answer polled every second would be bytes for nothing.
    if (!(req.url ?? '').startsWith(API_PATH)) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    }
    if (checkHostHeader && !LOOPBACK_NAMES.has(hostName(req.headers.host))) {
      return sendText(res, 421, 'Misdirected request\n');
    }
    const fail = (/** @type {unknown} */ error) => {
      console.error('demo server:', error);
      if (!res.headersSent) sendText(res, 500, 'Internal server error\n');
      else res.destroy();
    };
    stack.listener(req, res, () => servePage(req, res).catch(fail));
  });
  Object.assign(server, SERVER_LIMITS);

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
  } catch (error) {
    if (!options.stack) await stack.close();
    throw error;
  }
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shown =
    LOOPBACK_NAMES.has(host) || host === '0.0.0.0' || host === '::'
      ? 'localhost'
      : host.includes(':')
        ? `[${host}]`
        : host;
  const url = `http://${shown}:${address.port}/`;

  /** @type {Promise<void> | undefined} */
  let closing;
  function close() {
    closing ??= new Promise((resolve) => {
      server.close(() => resolve(undefined));
      server.closeAllConnections();
    }).then(() => (options.stack ? undefined : stack.close()));
    return closing;
  }
  return { server, stack, url, close };
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const port = Number(process.env['PORT'] ?? '8000');
  const host = process.env['HOST'] || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid PORT: ${process.env['PORT']}`);
    process.exit(1);
  }
  let demo;
  try {
    demo = await createDemoServer({ port, host });
  } catch (error) {
    console.error(`demo server: ${/** @type {Error} */ (error).message}`);
    process.exit(1);
  }
  const behind =
    demo.stack.mode === 'test'
      ? "BankID's test environment (appapi2.test.bankid.com): use the BankID app with a test BankID"
      : 'the built-in BankID simulator (no certificate, no network): play the app in the phone panel';
  console.log(`bankid-login demo on ${demo.url}`);
  console.log(`mode: ${demo.stack.mode} — ${behind}`);
  const running = demo;
  const stop = () => running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
