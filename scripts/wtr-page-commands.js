// Test commands that need the browser from outside the page (test/forced-colors.test.ts):
//   'forced-colors' {active}   'emulated': Chromium switched the page to a dark forced-colours
//                              (contrast) theme through CDP; 'launched': this run's browser was started
//                              in one (WTR_BROWSER=firefox-forced-colors); 'unsupported': neither.
//   'screenshot' {x,y,width,height}  a PNG (base64) of that part of the page, as the screen shows
//                              it; null where the launcher cannot take one.
const cdpSessions = new WeakMap();

async function cdp(page) {
  if (!cdpSessions.has(page)) cdpSessions.set(page, await page.createCDPSession());
  return cdpSessions.get(page);
}

export function pageCommandsPlugin() {
  return {
    name: 'bankid-page-commands',
    async executeCommand({ command, payload, session }) {
      if (command !== 'forced-colors' && command !== 'screenshot') return undefined;
      if (command === 'forced-colors' && process.env.WTR_BROWSER === 'firefox-forced-colors') return 'launched';
      if (session.browser.type !== 'puppeteer') return command === 'forced-colors' ? 'unsupported' : null;
      const page = session.browser.getPage(session.id);
      if (command === 'screenshot') {
        const { x, y, width, height } = payload;
        return page.screenshot({ encoding: 'base64', clip: { x, y, width, height } });
      }
      try {
        const session = await cdp(page);
        // A dark theme (as Windows' "Night sky"): light text on black, the harder case for a QR code.
        await session.send('Emulation.setEmulatedMedia', {
          features: payload.active
            ? [
                { name: 'forced-colors', value: 'active' },
                { name: 'prefers-color-scheme', value: 'dark' },
              ]
            : [],
        });
        return 'emulated';
      } catch {
        // Firefox over WebDriver BiDi: no CDP.
        return 'unsupported';
      }
    },
  };
}
