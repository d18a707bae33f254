// Screenshots of the demo for a person to look at: `node scripts/screenshots.js [name-filter]` with
// the demo running (npm start; DEMO_URL overrides http://localhost:8000). Each shot plays a login
// with the page's own controls and phone panel, then saves the element (<name>.png) and the whole
// page (<name>-page.png) in screenshots/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.DEMO_URL ?? 'http://localhost:8000';
const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
mkdirSync('screenshots', { recursive: true });

const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  // 400 % zoom of a 1280 px wide window (WCAG 1.4.10).
  zoom: { width: 320, height: 256 },
};
const phoneUA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

// The simulator's app API (its path carries this run's secret) is named in the page.
const page0 = await (await fetch(base)).text();
const appApi = `${base}${/name="bankid-demo-app" content="([^"]+)"/.exec(page0)?.[1] ?? '/demo/app/'}`;

const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});

/** Steps: 'begin', 'scan', 'open', 'identify', 'wrong-code', 'cancel', 'help', a number (wait ms), or {inject}. */
async function shoot(name, { viewport, lang, flow = 'auto', steps = [], fullPage = true, forcedColors, colorScheme }) {
  const { isMobile, hasTouch, deviceScaleFactor, ...size } = viewports[viewport];
  const context = await browser.newContext({
    viewport: size,
    ...(forcedColors ? { forcedColors } : {}),
    ...(colorScheme ? { colorScheme } : {}),
    isMobile: !!isMobile,
    hasTouch: !!hasTouch,
    deviceScaleFactor: deviceScaleFactor ?? 1,
    ...(isMobile ? { userAgent: phoneUA } : {}),
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log(`[${name}] console:`, m.text()));
  page.on('pageerror', (e) => console.log(`[${name}] page error:`, e.message));
  await page.request.post(`${appApi}inject`, { data: { error: null, delayMs: 0 } });
  await page.goto(base);
  await page.selectOption('#lang', lang);
  await page.selectOption('#flow', flow);
  await page.waitForTimeout(200);
  const element = page.locator('bankid-login');
  const phoneButton = {
    scan: '#phone-scan',
    open: '#phone-open',
    identify: '#phone-identify',
    'wrong-code': '#phone-wrong-code',
    cancel: '#phone-cancel',
  };
  for (const step of steps) {
    if (typeof step === 'number') await page.waitForTimeout(step);
    else if (step === 'begin')
      await element
        .getByRole('button', { name: /BankID$/ })
        .first()
        .click();
    else if (step === 'help') await element.getByRole('button', { name: /BankID\?$/ }).click();
    else if (step === 'larger') await element.locator('[data-action="larger-qr"]').click();
    else if (step in phoneButton) {
      await page.locator(`${phoneButton[step]}:not([disabled])`).click({ timeout: 5000 });
    } else if (step.inject) {
      await page.request.post(`${appApi}inject`, { data: step.inject });
    }
  }
  await element.screenshot({ path: `screenshots/${name}.png` });
  await page.screenshot({ path: `screenshots/${name}-page.png`, fullPage });
  await page.request.post(`${appApi}inject`, { data: { error: null, delayMs: 0 } });
  // Removing the element cancels its live order, so the next shot's phone panel starts clean.
  await page.evaluate(() => globalThis.document.querySelector('bankid-login')?.remove());
  await page.waitForTimeout(300);
  await context.close();
  console.log(`screenshots/${name}.png`);
}

const only = process.argv[2];
const shots = {
  'desktop-sv-idle': { viewport: 'desktop', lang: 'sv' },
  'desktop-sv-qr': { viewport: 'desktop', lang: 'sv', steps: ['begin', 1600] },
  'desktop-sv-qr-scanned': { viewport: 'desktop', lang: 'sv', steps: ['begin', 1600, 'scan', 2500] },
  'desktop-sv-qr-complete': { viewport: 'desktop', lang: 'sv', steps: ['begin', 1600, 'scan', 1200, 'identify', 2500] },
  'desktop-en-qr': { viewport: 'desktop', lang: 'en', steps: ['begin', 1600] },
  'desktop-sv-this-device-button': { viewport: 'desktop', lang: 'sv', flow: 'this-device', steps: ['begin', 5600] },
  'desktop-en-reconnecting': {
    viewport: 'desktop',
    lang: 'en',
    steps: [{ inject: { error: 'maintenance', endpoints: ['collect'], count: null } }, 'begin', 3000],
  },
  'desktop-sv-help': { viewport: 'desktop', lang: 'sv', steps: ['help'] },
  'desktop-sv-qr-forced-colors': {
    viewport: 'desktop',
    lang: 'sv',
    steps: ['begin', 1600],
    forcedColors: 'active',
    colorScheme: 'dark',
  },
  'desktop-en-qr-dark': { viewport: 'desktop', lang: 'en', steps: ['begin', 1600], colorScheme: 'dark' },
  'zoom-sv-qr': { viewport: 'zoom', lang: 'sv', flow: 'other-device', steps: ['begin', 1600] },
  'zoom-en-qr-larger': { viewport: 'zoom', lang: 'en', flow: 'other-device', steps: ['begin', 1600, 'larger', 300] },
  'zoom-sv-help': { viewport: 'zoom', lang: 'sv', steps: ['help'] },
  'phone-sv-qr': { viewport: 'phone', lang: 'sv', flow: 'other-device', steps: ['begin', 1600] },
  'phone-sv-app': { viewport: 'phone', lang: 'sv', steps: ['begin', 1200] },
  'phone-en-app': { viewport: 'phone', lang: 'en', steps: ['begin', 1200] },
  'phone-sv-opened': { viewport: 'phone', lang: 'sv', steps: ['begin', 1200, 'open', 2500] },
  'phone-sv-cancelled': { viewport: 'phone', lang: 'sv', steps: ['begin', 1200, 'open', 1000, 'cancel', 2500] },
  'phone-sv-qr-complete': {
    viewport: 'phone',
    lang: 'sv',
    flow: 'other-device',
    steps: ['begin', 1600, 'scan', 1200, 'identify', 2500],
  },
  // Nobody opens the app: startFailed after the simulator's pickup window (30 s).
  'desktop-en-start-failed': { viewport: 'desktop', lang: 'en', flow: 'this-device', steps: ['begin', 33000] },
};
for (const [name, options] of Object.entries(shots)) {
  if (!only || name.includes(only)) await shoot(name, options);
}
await browser.close();
