import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { plainSummaryReporter } from './scripts/wtr-plain-summary.js';
import { createBankIdStack } from './demo/stack.js';

const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';

// The end-to-end tests (test/e2e.test.ts) log in for real: the test page and the backend share
// WTR's origin, so the element's cookies flow. One stack for the whole run: the reference backend
// → RP client over mutual TLS → the BankID simulator, always in simulator mode (whatever
// BANKID_ENV says) and with a short pickup window so startFailed comes in seconds, not 30 s.
export const E2E_PICKUP_TIMEOUT_MS = 4000;
const stack = await createBankIdStack({ env: {}, pickupTimeoutMs: E2E_PICKUP_TIMEOUT_MS, log: () => {} });

/**
 * Koa middleware: /api/bankid/* → the reference backend, /demo/phone/* → the phone API. Both
 * write the whole answer on the raw node response themselves and resolve true; then
 * `ctx.respond = false` tells Koa not to touch the response (no body, no status, no headers of its
 * own), and `next()` is not called, so no later middleware (static files, plugins) answers too.
 * Anything else resolves false without reading the request, and goes on down the chain.
 */
async function bankIdMiddleware(ctx, next) {
  if ((await stack.backend.handle(ctx.req, ctx.res)) || (await stack.handlePhone(ctx.req, ctx.res))) {
    ctx.respond = false;
    return;
  }
  await next();
}

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  middleware: [bankIdMiddleware],
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
