// @ts-check
// What examples/frameworks.test.js needs to run the examples as a host would: the package packed
// with `npm pack`, each example copied to a temporary folder and installed from that tarball, child
// programs that print a URL when they are ready, and Chromium.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The environment for child programs: without what `node --test` sets for its own children (a
 * child Node would report to the test runner instead of running) and without NODE_ENV/NODE_OPTIONS.
 * @param {NodeJS.ProcessEnv} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'NODE_ENV', 'PUBLIC_ORIGIN']) delete env[name];
  return { ...env, ...extra };
}

/**
 * Runs a command to its end; rejects with its output when it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }} options
 * @returns {Promise<string>} what it printed (stdout and stderr)
 */
export function run(command, args, { cwd, env = childEnv(), timeoutMs = 300_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`${command} ${args.join(' ')} (in ${cwd}) ended with ${signal ?? `code ${code}`}:\n${output}`),
        );
    });
  });
}

/** A temporary folder for this run; `cleanUp()` removes it. */
export function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bankid-login-examples-'));
  return { dir, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `npm pack` of the repository (run `npm run build` first): the tarball a host would install.
 * @param {string} into
 * @returns {Promise<string>} the tarball's path
 */
export async function pack(into) {
  for (const built of ['lib/define.js', 'lib/react.d.ts', 'dist/bankid-login.bundle.js']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run npm run build first`);
  }
  const out = await run(NPM, ['pack', '--json', '--pack-destination', into], { cwd: ROOT });
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('[')));
  return path.join(into, filename);
}

/**
 * Copies examples/<name> to `into`/<name> (without anything installed or built), points its
 * `bankid-login` dependency at the tarball, and runs `npm install` there.
 * @param {string} name
 * @param {string} into
 * @param {string} tarball
 * @param {string} [as] the copy's folder name (default: `name`)
 * @returns {Promise<string>} the installed copy
 */
export async function installExample(name, into, tarball, as = name) {
  const from = path.join(ROOT, 'examples', name);
  const dir = path.join(into, as);
  const skip = new Set(['node_modules', 'dist', '.angular', 'package-lock.json']);
  cpSync(from, dir, { recursive: true, filter: (source) => !skip.has(path.basename(source)) });
  const file = path.join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.dependencies['bankid-login'] = `file:${tarball}`;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  return dir;
}

/**
 * A Node binary that Angular's CLI accepts (^22.22.3 || ^24.15.0 || >=26): this one if it is new
 * enough, else Node 22 from the npm registry (the node-<os>-<cpu> package holds the binary).
 * @param {string} into
 * @returns {Promise<string>}
 */
export async function nodeForAngular(into) {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if ((major === 22 && minor >= 22) || (major === 24 && minor >= 15) || major >= 26) return process.execPath;
  const os = process.platform === 'win32' ? 'win' : process.platform;
  const name = `node-${os}-${process.arch}`;
  const dir = path.join(into, 'node22');
  await run(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, `${name}@^22.22.3`], {
    cwd: into,
  });
  const binary = path.join(dir, 'node_modules', name, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  await run(binary, ['--version'], { cwd: into });
  return binary;
}

/**
 * @typedef {object} Program
 * @property {string} url the first http URL it printed
 * @property {() => string} output what it printed so far
 * @property {() => Promise<void>} stop SIGTERM (SIGKILL after 5 s) and its exit
 */

/**
 * Starts a long-running program and waits until it prints an http URL matching `ready`.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv, ready: RegExp, timeoutMs?: number }} options
 * @returns {Promise<Program>}
 */
export async function startProgram(command, args, { cwd, env = childEnv(), ready, timeoutMs = 120_000 }) {
  // Its own process group, so stop() also ends what it started (ng serve's workers).
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const kill = (/** @type {NodeJS.Signals} */ signal) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      const onData = (/** @type {string} */ chunk) => {
        // Dev servers colour their output.
        output += chunk.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
        const match = ready.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`it exited (${signal ?? `code ${code}`}) before it was ready`));
      });
    });
    return { url: String(url).replace(/\/$/, ''), output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${command} ${args.join(' ')}: ${/** @type {Error} */ (error).message}\n${output}`, {
      cause: error,
    });
  }
}

/**
 * A free TCP port on 127.0.0.1 (for servers that cannot be told to pick one).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}
