// @ts-check
// Runs each example as its own program against the simulator, and checks it with bankid-login-check's
// checker: both flows log in, session binding, the QR code, cancel, BankID's errors, CSRF, no leaks.
// Also that the example's own page still answers, and that it stops cleanly on SIGTERM.
//
//   node --test examples/server/examples.test.js      (after npm run build)

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { checkBackend, startSimulator } from 'bankid-login/simulator';

const EXAMPLES = ['node-http.js', 'express.js', 'fastify.js', 'hono.js'];
const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const PAGE_TEXT = 'Your page with <bankid-login api="/api/bankid"> goes here';

/**
 * @typedef {object} RunningExample
 * @property {string} url e.g. http://127.0.0.1:41234
 * @property {() => string} stderr what the program wrote to stderr so far
 * @property {() => Promise<{code: number | null, signal: NodeJS.Signals | null}>} stop SIGTERM, then
 *   its exit (SIGKILL if it has not ended within STOP_TIMEOUT_MS)
 */

/**
 * Starts one example as a child process configured against `sim`, and waits for its "listening on" line.
 * @param {string} file
 * @param {import('bankid-login/simulator').Simulator} sim
 * @returns {Promise<RunningExample>}
 */
async function startExample(file, sim) {
  const env = { ...process.env };
  for (const name of ['PUBLIC_ORIGIN', 'NODE_ENV', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) delete env[name];
  const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      BANKID_URL: sim.url,
      BANKID_PFX: sim.certificates.files.clientPfx,
      BANKID_PASSPHRASE: sim.certificates.passphrase,
      BANKID_CA: sim.certificates.files.ca,
      BANKID_COOKIE_KEY: randomBytes(32).toString('base64'),
      PORT: '0',
      HOST: '127.0.0.1',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  /** @type {Promise<{code: number | null, signal: NodeJS.Signals | null}>} */
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  /** @type {RunningExample['stop']} */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no "listening on" line within ${STARTUP_TIMEOUT_MS / 1000} s`)),
        STARTUP_TIMEOUT_MS,
      );
      const onData = () => {
        const match = /^listening on (http:\/\/\S+)$/m.exec(stdout);
        if (match) done(null, match[1]);
      };
      const onExit = (/** @type {number | null} */ code, /** @type {string | null} */ signal) =>
        done(new Error(`it exited (${signal ?? `code ${code}`}) before listening`));
      /** @param {Error | null} error @param {string} [found] */
      function done(error, found) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(found);
      }
      child.stdout.on('data', onData);
      child.once('exit', onExit);
    });
    return { url: String(url), stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    const output = `--- stdout ---\n${stdout}--- stderr ---\n${stderr}`;
    throw new Error(`${file}: ${/** @type {Error} */ (error).message}\n${output}`, { cause: error });
  }
}

// The four run at once. Each gets its own simulator: the checker counts every order the simulator
// knows and injects BankID faults for the whole simulator, so two checkers must not share one.
describe('examples/server', { concurrency: true }, () => {
  /** @type {import('bankid-login/simulator').Simulator[]} */
  const simulators = [];

  before(async () => {
    // One set of certificates, made once (openssl); the other simulators reuse its folder.
    const first = await startSimulator();
    simulators.push(first);
    while (simulators.length < EXAMPLES.length)
      simulators.push(await startSimulator({ certDir: first.certificates.dir }));
  });
  // The first simulator made the temporary folder and removes it, so it closes last.
  after(async () => {
    for (const sim of simulators.reverse()) await sim.close();
  });

  for (const [index, file] of EXAMPLES.entries()) {
    it(`${file} passes bankid-login-check and still serves its own routes`, async (t) => {
      const sim = simulators[index];
      assert.ok(sim, 'no simulator');
      const example = await startExample(file, sim);
      t.after(() => example.stop());

      const page = await fetch(`${example.url}/`);
      assert.equal(page.status, 200, `GET / answered ${page.status}`);
      assert.ok((await page.text()).includes(PAGE_TEXT), 'GET / does not answer the page');
      const other = await fetch(`${example.url}/api/bankid/no-such-endpoint`, { method: 'POST' });
      await other.arrayBuffer();
      assert.equal(
        other.status,
        404,
        `POST /api/bankid/no-such-endpoint answered ${other.status}, not the framework's 404`,
      );

      const results = await checkBackend({ api: `${example.url}/api/bankid`, simulator: sim.appUrl });
      const failed = results.filter((result) => !result.passed);
      assert.ok(results.length >= 10, `only ${results.length} checks ran`);
      assert.equal(
        failed.length,
        0,
        `${failed.length} of ${results.length} checks failed:\n` +
          failed.map((result) => `  - ${result.name}: ${result.why}`).join('\n') +
          `\n--- ${file} stderr ---\n${example.stderr()}`,
      );

      const exit = await example.stop();
      assert.deepEqual(
        exit,
        { code: 0, signal: null },
        `${file} did not stop cleanly on SIGTERM:\n${example.stderr()}`,
      );
    });
  }
});
