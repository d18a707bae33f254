import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { plainSummaryReporter } from './scripts/wtr-plain-summary.js';

const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  plugins: [
    esbuildPlugin({
      ts: true,
      target: 'es2021',
      tsconfig: new URL('./tsconfig.json', import.meta.url).pathname,
    }),
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
