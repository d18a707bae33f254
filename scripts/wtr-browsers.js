// The three engines for web-test-runner, one per run (WTR_BROWSER=chromium|firefox|webkit), all
// from Debian packages: chromium, firefox-esr, webkit2gtk-driver + xvfb. Nothing is downloaded.
import { chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { webkitLauncher } from './webkit-launcher.js';

export const ENGINES = ['chromium', 'firefox', 'webkit', 'firefox-forced-colors'];

const launchers = {
  chromium: () =>
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        // root on CI: Chromium refuses to start without --no-sandbox
        args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      },
      // A context per page: test files running side by side (more than 2 cores) must not share
      // localStorage, its storage events or cookies (the element shares its order across tabs).
      createPage: async ({ browser }) => (await browser.createBrowserContext()).newPage(),
    }),
  // puppeteer-core over WebDriver BiDi, no driver binary. Passing it as the "custom puppeteer"
  // makes WTR keep `browser: 'firefox'` and label the browser Firefox, not Chrome.
  firefox: () =>
    chromeLauncher({
      puppeteer: puppeteerCore,
      launchOptions: {
        browser: 'firefox',
        executablePath: process.env.FIREFOX_PATH || '/usr/bin/firefox-esr',
        headless: true,
      },
    }),
  webkit: () => webkitLauncher(),
  // Firefox in a dark forced-colours theme (what Windows contrast themes do), for
  // test/forced-colors.test.ts: Firefox cannot switch it per page.
  'firefox-forced-colors': () =>
    chromeLauncher({
      puppeteer: puppeteerCore,
      launchOptions: {
        browser: 'firefox',
        executablePath: process.env.FIREFOX_PATH || '/usr/bin/firefox-esr',
        headless: true,
        extraPrefsFirefox: {
          'browser.display.document_color_use': 2,
          'browser.display.use_system_colors': false,
          'browser.display.background_color': '#000000',
          'browser.display.foreground_color': '#ffffff',
        },
      },
    }),
};

export function browserLauncher(engine) {
  if (!launchers[engine]) throw new Error(`WTR_BROWSER: unknown engine "${engine}" (${ENGINES.join(', ')})`);
  return launchers[engine]();
}
