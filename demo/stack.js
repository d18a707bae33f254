// @ts-check
// The demo's BankID stack: the three parts of the package wired together the way a host would.
//
//   browser ──/api/bankid/*──▶ bankid-login/server ──mTLS──▶ bankid-login/simulator (default)
//                                                             or BankID's test environment
//   demo page ──/demo/app/<secret>/*──▶ the simulator's app API (the user's BankID app, faults)
//
// BANKID_ENV chooses what stands behind the backend:
//   (unset)  the simulator on 127.0.0.1 with throwaway certificates. No certificate, no network.
//   'test'   BankID's test environment with the RP certificate in BANKID_PFX (+ BANKID_PASSPHRASE)
//            and BankID's server CA in BANKID_CA. The user's real BankID app plays the phone.
//
// The app API answers only under a secret made for this run, which the page server writes into
// the page: another program on this machine, or a web page the developer visits, cannot drive it.

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createBankIdBackend, createRpClient, cookieKeyFromEnv, TEST_URL } from 'bankid-login/server';
import { startSimulator } from 'bankid-login/simulator';
import { toNodeListener } from '../lib/server/http.js';

/** Where the page reaches the app API (followed by the secret). */
export const APP_API_BASE = '/demo/app/';

/**
 * The backend's options in the demo. Everything comes from 127.0.0.1 here (the page, and tests
 * that start one order after another), so the limits are demo-sized; the page's event log shows
 * completionData.
 * @type {Pick<import('bankid-login/server').BankIdBackendOptions, 'exposeCompletionData' | 'rateLimits' | 'userVisibleData'>}
 */
const DEMO_BACKEND_OPTIONS = {
  exposeCompletionData: true,
  rateLimits: { start: { burst: 30, perMinute: 60 }, poll: { burst: 60, perMinute: 1200 } },
  userVisibleData: ({ operation }) =>
    operation === 'sign' ? 'Jag godkänner villkoren för Exempelbanken (demo).' : 'Logga in på Exempelbanken (demo)',
};

/**
 * @typedef {object} BankIdStack
 * @property {import('bankid-login/server').BankIdBackend} backend the host backend under /api/bankid
 * @property {import('bankid-login/simulator').Simulator | null} simulator null with BANKID_ENV=test
 * @property {(request: Request) => Promise<Response | null>} app the app API under
 *   APP_API_BASE + appSecret; null for any other path
 * @property {string} appSecret the path segment the page must know ('' in test mode)
 * @property {string} appPath where the page reaches the app API: APP_API_BASE + appSecret + '/'
 * @property {import('bankid-login/server').NodeListener} listener both for node:http: the backend,
 *   then the app API; anything else goes to next()
 * @property {'simulator' | 'test'} mode
 * @property {number | null} pickupTimeoutMs the simulator's startFailed window (null in test mode)
 * @property {string} rpUrl where the RP client sends its calls
 * @property {() => Promise<void>} close
 */

/**
 * Builds the demo's BankID stack.
 * @param {object} [options]
 * @param {Record<string, string | undefined>} [options.env] BANKID_ENV, BANKID_PFX, BANKID_PASSPHRASE, BANKID_CA, BANKID_COOKIE_KEY
 * @param {number} [options.pickupTimeoutMs] the simulator's startFailed window (default 30 000; tests shorten it)
 * @param {string} [options.certDir] where the simulator's certificates live (default: a temp folder)
 * @param {(line: string) => void} [options.log] the backend's problem lines (default console.error)
 * @returns {Promise<BankIdStack>}
 */
export async function createBankIdStack({ env = process.env, pickupTimeoutMs, certDir, log } = {}) {
  const mode = modeOf(env['BANKID_ENV']);
  const logOption = log ? { log } : {};

  if (mode === 'test') {
    const rp = createRpClient(testEnvironmentOptions(env));
    const backend = createBankIdBackend({
      rp,
      cookieKey: cookieKeyFromEnv(env),
      ...DEMO_BACKEND_OPTIONS,
      // The page runs on localhost while BankID sees the app at your public address.
      deviceAddressCheck: 'flag',
      ...logOption,
    });
    /** @type {BankIdStack['app']} */
    const app = async (request) => {
      if (!new URL(request.url).pathname.startsWith(APP_API_BASE)) return null;
      const details = 'BANKID_ENV=test: there is no simulator. Use the BankID app with a test BankID instead.';
      return Response.json({ errorCode: 'notFound', mode, details }, { status: 404 });
    };
    return {
      backend,
      simulator: null,
      app,
      appSecret: '',
      appPath: APP_API_BASE,
      listener: listenerOf(backend, app),
      mode,
      pickupTimeoutMs: null,
      rpUrl: TEST_URL,
      async close() {
        rp.close();
      },
    };
  }

  const simulator = await startSimulator({
    ...(certDir ? { certDir } : {}),
    ...(pickupTimeoutMs ? { pickupTimeoutMs } : {}),
  });
  const rp = createRpClient(simulator.rpClientOptions);
  // The demo's orders need not survive a restart, so no BANKID_COOKIE_KEY is needed.
  const cookieKey = env['BANKID_COOKIE_KEY'] ? cookieKeyFromEnv(env) : randomBytes(32);
  const backend = createBankIdBackend({ rp, cookieKey, ...DEMO_BACKEND_OPTIONS, ...logOption });
  /** @type {BankIdStack['app']} */
  const app = async (request) =>
    new URL(request.url).pathname.startsWith(APP_API_BASE) ? simulator.appApi(request, APP_API_BASE) : null;
  return {
    backend,
    simulator,
    app,
    appSecret: simulator.appSecret,
    appPath: `${APP_API_BASE}${simulator.appSecret}/`,
    listener: listenerOf(backend, app),
    mode,
    pickupTimeoutMs: pickupTimeoutMs ?? 30_000,
    rpUrl: simulator.url,
    async close() {
      rp.close();
      await simulator.close();
    },
  };
}

/**
 * The backend's listener, then the app API's; anything else goes to `next`.
 * @param {import('bankid-login/server').BankIdBackend} backend
 * @param {BankIdStack['app']} app
 * @returns {import('bankid-login/server').NodeListener}
 */
function listenerOf(backend, app) {
  // The app API's largest body is a page searched for leaks (simulator/README.md).
  const appListener = toNodeListener(async (request) => app(request), {
    maxBodyBytes: 300 * 1024,
    handles: (pathname) => pathname.startsWith(APP_API_BASE),
  });
  return (req, res, next) => backend.nodeListener(req, res, () => appListener(req, res, next));
}

/** @param {string | undefined} value */
function modeOf(value) {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'simulator') return 'simulator';
  if (text === 'test') return 'test';
  throw new Error(
    `BANKID_ENV=${JSON.stringify(value)} is not supported: leave it unset for the built-in simulator, ` +
      "or set BANKID_ENV=test for BankID's test environment. (The demo never talks to production BankID.)",
  );
}

/**
 * The RP client options for BankID's test environment, with an error that says what is missing.
 * @param {Record<string, string | undefined>} env
 */
function testEnvironmentOptions(env) {
  const missing = ['BANKID_PFX', 'BANKID_PASSPHRASE', 'BANKID_CA'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `BANKID_ENV=test needs ${missing.join(', ')}:\n` +
        '  BANKID_PFX        path to the RP test certificate, e.g. FPTestcert5_20240610.p12\n' +
        '  BANKID_PASSPHRASE its passphrase (qwerty123 for the public test certificate)\n' +
        "  BANKID_CA         path to the PEM of BankID's test server CA (pinned)\n" +
        'Both files are on developers.bankid.com (test environment resources); see the README.',
    );
  }
  /** @param {string} name */
  const read = (name) => {
    try {
      return readFileSync(/** @type {string} */ (env[name]));
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      throw new Error(`${name}: cannot read ${JSON.stringify(env[name])} (${code ?? String(error)})`, { cause: error });
    }
  };
  const pfx = read('BANKID_PFX');
  const ca = read('BANKID_CA').toString('utf8');
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error("BANKID_CA must be a PEM file (-----BEGIN CERTIFICATE-----) with BankID's test server CA");
  }
  // createRpClient checks the material at once; its error never contains the passphrase.
  return { url: TEST_URL, pfx, passphrase: /** @type {string} */ (env['BANKID_PASSPHRASE']), ca };
}
