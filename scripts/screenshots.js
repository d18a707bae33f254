// Screenshots of the demo for a person to look at: `node scripts/screenshots.js` with the demo running
// (npm start). Writes PNGs to screenshots/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.DEMO_URL ?? 'http://localhost:8000';
const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
mkdirSync('screenshots', { recursive: true });

const viewports = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};
const phoneUA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});

async function shoot(name, { viewport, lang, flow = 'auto', scenario = 'success', wait = 800, help = false, clickBegin = true }) {
  const { isMobile, hasTouch, deviceScaleFactor, ...size } = viewports[viewport];
  const context = await browser.newContext({
    viewport: size,
    isMobile: !!isMobile,
    hasTouch: !!hasTouch,
    deviceScaleFactor: deviceScaleFactor ?? 1,
    ...(isMobile ? { userAgent: phoneUA } : {}),
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log(`[${name}] console:`, m.text()));
  await page.request.post(`${base}/demo/scenario`, { data: { name: scenario } });
  await page.goto(base);
  await page.selectOption('#lang', lang);
  await page.selectOption('#flow', flow);
  await page.waitForTimeout(200);
  if (clickBegin) await page.locator('bankid-login').getByRole('button', { name: /BankID$/ }).first().click();
  await page.waitForTimeout(wait);
  if (help) await page.locator('bankid-login').getByRole('button', { name: /BankID\?$/ }).click();
  await page.locator('bankid-login').screenshot({ path: `screenshots/${name}.png` });
  await page.screenshot({ path: `screenshots/${name}-page.png`, fullPage: false });
  await context.close();
  console.log(`screenshots/${name}.png`);
}

const only = process.argv[2];
const shots = {
  'desktop-sv-idle': { viewport: 'desktop', lang: 'sv', clickBegin: false },
  'desktop-sv-qr': { viewport: 'desktop', lang: 'sv' },
  'desktop-en-qr': { viewport: 'desktop', lang: 'en' },
  'desktop-sv-this-device-button': { viewport: 'desktop', lang: 'sv', flow: 'this-device', scenario: 'slow-app', wait: 5600 },
  'desktop-en-start-failed': { viewport: 'desktop', lang: 'en', flow: 'this-device', scenario: 'start-failed', wait: 10500 },
  'desktop-sv-help': { viewport: 'desktop', lang: 'sv', clickBegin: false, help: true },
  'phone-sv-app': { viewport: 'phone', lang: 'sv' },
  'phone-en-app': { viewport: 'phone', lang: 'en' },
  'phone-sv-cancelled': { viewport: 'phone', lang: 'sv', scenario: 'user-cancel', wait: 12000 },
};
for (const [name, options] of Object.entries(shots)) {
  if (!only || name.includes(only)) await shoot(name, options);
}
await browser.close();
