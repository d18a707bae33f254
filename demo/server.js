// demo/server.js — the demo's web server (`npm start`), plain node:http, no dependencies.
//
//   /                 → demo/index.html
//   /demo/*           → static files from demo/ (known extensions only, never the server modules)
//   /dist/*           → the built bundle (dist/bankid-login.bundle.js and its .map)
//   /api/bankid/*     → the backend (CONTRACT §4); for now the built-in fake of demo/fake-backend.js
//   /demo/scenario    → GET/POST the fake backend's scenario (chosen on the page)
//
// Every answer carries a strict Content-Security-Policy (the element must work under it),
// nosniff, Referrer-Policy and Cache-Control: no-store. PORT (default 8000) and HOST (default
// 127.0.0.1) come from the environment. Tests import createDemoServer() and listen on port 0.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFakeBackend } from './fake-backend.js';

const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(DEMO_DIR);
const API_PREFIX = '/api/bankid/';

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

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Files in demo/ that run on the server and are not served to the browser. */
const SERVER_ONLY = new Set(['server.js', 'fake-backend.js']);

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function sendText(res, status, text, extra = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
  res.end(text);
}
const notFound = (res) => sendText(res, 404, 'Not found\n');

/**
 * Resolves `rel` (URL-decoded, below `root`) to a file path, or null when it is not servable:
 * traversal out of `root`, hidden segments, NUL bytes or an unknown extension.
 */
function resolveStatic(root, rel, allowed) {
  let decoded;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((seg) => seg.startsWith('.'))) return null;
  const file = path.resolve(root, '.' + path.posix.sep + decoded);
  if (!file.startsWith(root + path.sep)) return null;
  const ext = path.extname(file).toLowerCase();
  if (!allowed(file, ext)) return null;
  return file;
}

async function serveFile(req, res, file) {
  if (!file) return notFound(res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
  try {
    const info = await stat(file);
    if (!info.isFile()) return notFound(res);
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()],
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    notFound(res);
  }
}

/**
 * Creates the demo server (not yet listening).
 * @param {object} [options]
 * @param {() => number} [options.now]   clock for the fake backend (tests inject one)
 * @param {string} [options.scenario]    initial scenario
 * @param {string} [options.host]        the host it will bind to; a loopback host enables the Host-header check
 * @param {string} [options.distDir]    where /dist/* is served from (default: the repo's dist/)
 * @param {object} [options.backend]     a backend with handleApi/handleScenario (default: the fake backend)
 * @returns {import('node:http').Server & { backend: object }}
 */
export function createDemoServer(options = {}) {
  const backend = options.backend ?? createFakeBackend({ now: options.now, scenario: options.scenario });
  const host = options.host ?? '127.0.0.1';
  const checkHostHeader = LOOPBACK_NAMES.has(host);
  const demoDir = DEMO_DIR;
  const distDir = path.resolve(options.distDir ?? path.join(REPO_DIR, 'dist'));

  const demoAllowed = (file, ext) =>
    ext in CONTENT_TYPES && !SERVER_ONLY.has(path.basename(file)) && !file.endsWith('.test.js');
  const distAllowed = (_file, ext) => ext === '.js' || ext === '.map';

  const server = createServer(async (req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    try {
      // A server bound to loopback answers only loopback names (guards against DNS rebinding).
      if (checkHostHeader) {
        const hostName = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        if (!LOOPBACK_NAMES.has(hostName)) return sendText(res, 421, 'Misdirected request\n');
      }
      const pathname = (req.url ?? '/').split('?')[0];

      if (pathname.startsWith(API_PREFIX)) return await backend.handleApi(req, res, pathname.slice(API_PREFIX.length));
      if (pathname === '/demo/scenario') return await backend.handleScenario(req, res);
      if (pathname === '/' || pathname === '/index.html') return await serveFile(req, res, path.join(demoDir, 'index.html'));
      if (pathname.startsWith('/demo/')) {
        return await serveFile(req, res, resolveStatic(demoDir, pathname.slice('/demo/'.length), demoAllowed));
      }
      if (pathname.startsWith('/dist/')) {
        return await serveFile(req, res, resolveStatic(distDir, pathname.slice('/dist/'.length), distAllowed));
      }
      return notFound(res);
    } catch (err) {
      console.error('demo server:', err);
      if (!res.headersSent) sendText(res, 500, 'Internal server error\n');
      else res.destroy();
    }
  });
  server.backend = backend;
  server.on('close', () => backend.close?.());
  return server;
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
  const port = Number.parseInt(process.env.PORT ?? '8000', 10);
  const host = process.env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid PORT: ${process.env.PORT}`);
    process.exit(1);
  }
  const server = createDemoServer({ host });
  server.on('error', (err) => {
    console.error(`demo server: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const shown = LOOPBACK_NAMES.has(host) || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    console.log(`bankid-login demo on http://${shown}:${server.address().port}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
