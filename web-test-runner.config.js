import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { plainSummaryReporter } from './scripts/wtr-plain-summary.js';
import { browserLauncher } from './scripts/wtr-browsers.js';
import { pageCommandsPlugin } from './scripts/wtr-page-commands.js';

// One engine per run (several at once time out on 2 cores and share the e2e simulator):
//   WTR_BROWSER=chromium|firefox|webkit   (default chromium)
//   WTR_BROWSER=firefox-forced-colors     Firefox in a forced-colours theme: test/forced-colors.test.ts only
//   WTR_BUILD=development|production      which Lit build the tests import (default development;
//                                         the bundle ships production, so CI runs both)
const engine = process.env.WTR_BROWSER || 'chromium';
const build = process.env.WTR_BUILD || 'development';
if (!['development', 'production'].includes(build)) throw new Error(`WTR_BUILD: unknown build "${build}"`);

// The end-to-end tests (test/e2e.test.ts) log in for real: the test page and the backend share
// WTR's origin, so the element's cookies flow. One stack for the whole run: bankid-login/server →
// RP client over mutual TLS → bankid-login/simulator, always the simulator (whatever BANKID_ENV
// says) and with a short pickup window so startFailed comes in seconds, not 30 s.
// It starts on the first request that needs it, so runs without e2e tests start no simulator;
// the e2e test asks STACK_INFO for the app API's path (with this run's secret).
export const E2E_PICKUP_TIMEOUT_MS = 4000;
const STACK_INFO = '/__bankid-stack';
const API = '/api/bankid/';
let stack = null;
const startStack = () =>
  (stack ??= import('./demo/stack.js').then(({ createBankIdStack }) =>
    createBankIdStack({ env: {}, pickupTimeoutMs: E2E_PICKUP_TIMEOUT_MS, log: () => {} }),
  ));

/**
 * Koa middleware: the backend and the app API answer their paths on the raw node response
 * (`ctx.respond = false` keeps Koa's hands off it); anything else goes down the chain. Both
 * decide synchronously whether a path is theirs. Waiting for the answer to finish lets WTR's
 * logging see its real status.
 */
async function bankIdMiddleware(ctx, next) {
  if (ctx.path === STACK_INFO) {
    const { appPath, pickupTimeoutMs } = await startStack();
    ctx.body = { appPath, pickupTimeoutMs };
    return;
  }
  if (!stack && !ctx.path.startsWith(API)) return next();
  const { listener } = await startStack();
  let notOurs = false;
  const finished = new Promise((resolve) => ctx.res.once('close', resolve));
  listener(ctx.req, ctx.res, () => {
    notOurs = true;
  });
  if (notOurs) return next();
  ctx.respond = false;
  await finished;
}

// jsqr (the tests' QR decoder) ships only a UMD build: serve it as an ES module.
const jsqrAsModule = {
  name: 'jsqr-as-module',
  transform(context) {
    if (!context.path.endsWith('/jsqr/dist/jsQR.js')) return undefined;
    return {
      body: `const module = { exports: {} };\nconst exports = module.exports;\n${context.body}\nexport default module.exports;\n`,
    };
  },
};

export default {
  files: engine === 'firefox-forced-colors' ? ['test/forced-colors.test.ts'] : ['test/**/*.test.ts'],
  // Lit's exports map: 'development' picks its dev build (extra checks and warnings); without it
  // the production build, the one the bundle ships.
  nodeResolve: { exportConditions: build === 'development' ? ['browser', 'development'] : ['browser', 'production'] },
  middleware: [bankIdMiddleware],
  plugins: [
    esbuildPlugin({
      ts: true,
      target: 'es2021',
      tsconfig: new URL('./tsconfig.json', import.meta.url).pathname,
    }),
    jsqrAsModule,
    pageCommandsPlugin(),
    // Stops the simulator (and the RP client's connections) when WTR stops its server.
    { name: 'bankid-stack', serverStop: async () => (await stack)?.close() },
  ],
  browsers: [browserLauncher(engine)],
  // WebKit: above 1 the webdriver launcher runs test files in iframes of one page (other
  // sessionStorage, focus and location); Firefox: background tabs get throttled timers.
  ...(engine === 'chromium' ? {} : { concurrency: 1 }),
  reporters: [defaultReporter(), plainSummaryReporter()],
  testFramework: { config: { timeout: 5000 } },
};
