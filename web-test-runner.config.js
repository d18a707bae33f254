import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { plainSummaryReporter } from './scripts/wtr-plain-summary.js';
import { createBankIdStack } from './demo/stack.js';

const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';

// The end-to-end tests (test/e2e.test.ts) log in for real: the test page and the backend share
// WTR's origin, so the element's cookies flow. One stack for the whole run: bankid-login/server →
// RP client over mutual TLS → bankid-login/simulator, always the simulator (whatever BANKID_ENV
// says) and with a short pickup window so startFailed comes in seconds, not 30 s. The test page
// learns the app API's path (with this run's secret) from a meta tag, as the demo page does.
export const E2E_PICKUP_TIMEOUT_MS = 4000;
const stack = await createBankIdStack({ env: {}, pickupTimeoutMs: E2E_PICKUP_TIMEOUT_MS, log: () => {} });

/**
 * Koa middleware: the backend and the app API answer their paths on the raw node response
 * (`ctx.respond = false` keeps Koa's hands off it); anything else goes down the chain. Both
 * decide synchronously whether a path is theirs. Waiting for the answer to finish lets WTR's
 * logging see its real status.
 */
async function bankIdMiddleware(ctx, next) {
  let notOurs = false;
  const finished = new Promise((resolve) => ctx.res.once('close', resolve));
  stack.listener(ctx.req, ctx.res, () => {
    notOurs = true;
  });
  if (notOurs) return next();
  ctx.respond = false;
  await finished;
}

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  middleware: [bankIdMiddleware],
  testRunnerHtml: (testFramework) => `<!doctype html>
<html>
  <head><meta name="bankid-demo-app" content="${stack.appPath}"></head>
  <body><script type="module" src="${testFramework}"></script></body>
</html>`,
  plugins: [
    esbuildPlugin({
      ts: true,
      target: 'es2021',
      tsconfig: new URL('./tsconfig.json', import.meta.url).pathname,
    }),
    // Stops the simulator (and the RP client's connections) when WTR stops its server.
    { name: 'bankid-stack', serverStop: () => stack.close() },
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        // root on CI: Chromium refuses to start without --no-sandbox
        args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      },
    }),
  ],
  reporters: [defaultReporter(), plainSummaryReporter()],
  testFramework: { config: { timeout: 5000 } },
};
