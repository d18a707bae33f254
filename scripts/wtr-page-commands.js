// Test commands that need the browser from outside the page (test/forced-colors.test.ts):
//   'forced-colors' {active}   Chromium: emulates a dark forced-colours (contrast) theme through CDP and
//                              answers true. Firefox and WebKit cannot switch it per page: false
//                              (the suite's Firefox forced-colours run starts Firefox in that mode).
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
      if (session.browser.type !== 'puppeteer') return command === 'forced-colors' ? false : null;
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
        return true;
      } catch {
        // Firefox over WebDriver BiDi: no CDP.
        return false;
      }
    },
  };
}
