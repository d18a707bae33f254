import { expect } from '@open-wc/testing';
import { currentPlatform, detectPlatform, isUuid, launchUrl, startReturnUrl } from '../src/platform.js';
import type { Platform } from '../src/platform.js';

const TOKEN = '0b8a3a7e-5c1d-4f2a-9e3b-6d7c8f9a0b1c';
const RETURN_URL = 'https://shop.example/login?x=1#y';
const ENCODED_RETURN = 'https%3A%2F%2Fshop.example%2Flogin%3Fx%3D1%23y';

const DESKTOP = `bankid:///?autostarttoken=${TOKEN}&redirect=null`;
const APP = `https://app.bankid.com/?autostarttoken=${TOKEN}&redirect=`;

interface Row {
  name: string;
  userAgent: string;
  maxTouchPoints?: number;
  isBrave?: boolean;
  url: string;
  device: Platform['device'];
  os: Platform['os'];
  browser: Platform['browser'];
  gesture: boolean;
  /** What a this-device start sends as `returnUrl`. */
  startReturn: string | null;
}

const MAC_SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const ANDROID_CHROME =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

const computer = { url: DESKTOP, device: 'computer', os: 'other', gesture: false, startReturn: null } as const;
const iosNull = { url: `${APP}null`, device: 'mobile', os: 'ios', gesture: false, startReturn: null } as const;
const android = { url: `${APP}null`, device: 'mobile', os: 'android', startReturn: null } as const;

const rows: Row[] = [
  // Computers
  {
    name: 'Windows Chrome',
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    maxTouchPoints: 10, // a touch-screen laptop is still a computer
    browser: 'chrome',
    ...computer,
  },
  {
    name: 'Windows Edge',
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    browser: 'edge',
    ...computer,
  },
  {
    name: 'Windows Firefox',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    browser: 'firefox',
    ...computer,
  },
  { name: 'macOS Safari', userAgent: MAC_SAFARI, maxTouchPoints: 0, browser: 'safari', ...computer },
  {
    name: 'macOS Chrome',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'chrome',
    ...computer,
  },
  {
    name: 'macOS Brave',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    isBrave: true,
    browser: 'brave',
    ...computer,
  },
  {
    name: 'Linux Firefox',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    browser: 'firefox',
    ...computer,
  },
  {
    name: 'ChromeOS Chrome',
    userAgent:
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'chrome',
    ...computer,
  },
  // iOS
  {
    name: 'iPhone Safari',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    maxTouchPoints: 5,
    browser: 'safari',
    url: `${APP}${ENCODED_RETURN}`,
    device: 'mobile',
    os: 'ios',
    gesture: false,
    startReturn: RETURN_URL,
  },
  {
    name: 'iPhone Chrome',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    browser: 'chrome',
    ...iosNull,
    url: `${APP}googlechromes://`,
    startReturn: 'googlechromes://',
  },
  {
    name: 'iPhone Firefox',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
    browser: 'firefox',
    ...iosNull,
    url: `${APP}firefox://`,
    startReturn: 'firefox://',
  },
  {
    name: 'iPhone Edge',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15',
    browser: 'edge',
    ...iosNull,
  },
  {
    name: 'iPhone Opera',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1 OPT/5.1.0',
    browser: 'opera',
    ...iosNull,
  },
  {
    name: 'iPhone Google app',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/343.0.695551749 Mobile/15E148 Safari/604.1',
    browser: 'other',
    ...iosNull,
  },
  {
    name: 'iPhone DuckDuckGo',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15',
    browser: 'other',
    ...iosNull,
  },
  {
    name: 'iPhone Facebook in-app',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/491.0.0.46.109;FBBV/662946960;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBID/phone;FBLC/sv_SE;FBOP/5;FBRV/664403290]',
    browser: 'in-app',
    ...iosNull,
  },
  {
    name: 'iPhone Instagram in-app',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 357.0.0.25.101 (iPhone15,2; iOS 18_1; sv_SE; sv; scale=3.00; 1179x2556; 654932458)',
    browser: 'in-app',
    ...iosNull,
  },
  {
    name: 'iPhone LinkedIn in-app',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1397',
    browser: 'in-app',
    ...iosNull,
  },
  {
    name: 'iPad Safari',
    userAgent:
      'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
    browser: 'safari',
    url: `${APP}${ENCODED_RETURN}`,
    device: 'mobile',
    os: 'ios',
    gesture: false,
    startReturn: RETURN_URL,
  },
  {
    name: 'iPad reporting Mac (Safari, 5 touch points)',
    userAgent: MAC_SAFARI,
    maxTouchPoints: 5,
    browser: 'safari',
    url: `${APP}${ENCODED_RETURN}`,
    device: 'mobile',
    os: 'ios',
    gesture: false,
    startReturn: RETURN_URL,
  },
  // Android
  {
    name: 'Android Chrome',
    userAgent: ANDROID_CHROME,
    maxTouchPoints: 5,
    browser: 'chrome',
    gesture: true,
    ...android,
  },
  {
    name: 'Android tablet Chrome',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    browser: 'chrome',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Samsung Internet',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36',
    browser: 'samsung',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Firefox',
    userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    browser: 'firefox',
    gesture: false,
    ...android,
  },
  {
    name: 'Android Edge',
    userAgent:
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0',
    browser: 'edge',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Opera',
    userAgent:
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/85.0.0.0',
    browser: 'opera',
    gesture: false,
    ...android,
  },
  {
    name: 'Android WebView in-app',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP4A.241205.013; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36',
    browser: 'in-app',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Facebook in-app',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP4A.241205.013; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/491.0.0.50.109;]',
    browser: 'in-app',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Instagram in-app',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.135 Mobile Safari/537.36 Instagram 361.0.0.46.88 Android (34/14; 480dpi; 1080x2340; samsung; SM-S911B; dm1q; qcom; sv_SE; 674675155)',
    browser: 'in-app',
    gesture: true,
    ...android,
  },
  {
    name: 'Android LinkedIn in-app',
    userAgent:
      'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.107 Mobile Safari/537.36 [LinkedInApp]/4.1.1005',
    browser: 'in-app',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Samsung Internet 28 (Galaxy A55)',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SM-A556B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36',
    browser: 'samsung',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Edge 131 (Galaxy S24)',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87',
    browser: 'edge',
    gesture: true,
    ...android,
  },
  {
    name: 'Android Opera 86 (Pixel 8)',
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36 OPR/86.0.4363.81830',
    browser: 'opera',
    gesture: false,
    ...android,
  },
  {
    name: 'iPhone Instagram in-app',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 361.0.0.35.82 (iPhone15,3; iOS 18_1_1; sv_SE; sv; scale=3.00; 1290x2796; 674117118)',
    browser: 'in-app',
    ...iosNull,
  },
  { name: 'Android Brave', userAgent: ANDROID_CHROME, isBrave: true, browser: 'brave', gesture: true, ...android },
];

describe('platform: user-agent table', () => {
  for (const row of rows) {
    it(row.name, () => {
      const platform = detectPlatform(row);
      expect(launchUrl(platform, TOKEN, RETURN_URL)).to.equal(row.url);
      expect(platform.launchNeedsGesture, 'launchNeedsGesture').to.equal(row.gesture);
      expect(platform.device, 'device').to.equal(row.device);
      expect(platform.os, 'os').to.equal(row.os);
      expect(platform.browser, 'browser').to.equal(row.browser);
      expect(startReturnUrl(platform, RETURN_URL), 'startReturnUrl').to.equal(row.startReturn);
      const social = /Facebook/.test(row.name)
        ? 'facebook'
        : /Instagram/.test(row.name)
          ? 'instagram'
          : /LinkedIn/.test(row.name)
            ? 'linkedin'
            : null;
      expect(platform.socialApp, 'socialApp').to.equal(social);
    });
  }
});

describe('platform: tokens and URLs', () => {
  const iphoneSafari = detectPlatform({ userAgent: rows.find((r) => r.name === 'iPhone Safari')!.userAgent });
  const platforms = [
    detectPlatform({ userAgent: MAC_SAFARI }),
    detectPlatform({ userAgent: ANDROID_CHROME }),
    iphoneSafari,
  ];

  it('launches nothing for a token that is not a UUID', () => {
    const bad = [
      'abc',
      '<script>',
      `${TOKEN}x`,
      ` ${TOKEN}`,
      `${TOKEN}\n`,
      `${TOKEN}&redirect=https://evil.example`,
      '',
    ];
    for (const platform of platforms) {
      for (const token of bad) expect(launchUrl(platform, token, RETURN_URL), JSON.stringify(token)).to.equal(null);
    }
  });

  it('isUuid accepts upper and lower case and rejects everything else', () => {
    expect(isUuid(TOKEN)).to.equal(true);
    expect(isUuid(TOKEN.toUpperCase())).to.equal(true);
    expect(isUuid('0B8A3A7E-5c1d-4F2A-9e3b-6D7C8F9A0B1C')).to.equal(true);
    expect(isUuid('0b8a3a7e5c1d4f2a9e3b6d7c8f9a0b1c')).to.equal(false);
    expect(isUuid('0b8a3a7e-5c1d-4f2a-9e3b-6d7c8f9a0b1g')).to.equal(false);
    expect(isUuid(undefined)).to.equal(false);
    expect(isUuid(42)).to.equal(false);
  });

  it('keeps an upper-case token as given', () => {
    const upper = TOKEN.toUpperCase();
    expect(launchUrl(platforms[0]!, upper, RETURN_URL)).to.equal(`bankid:///?autostarttoken=${upper}&redirect=null`);
  });

  it('percent-encodes the iOS Safari return URL so it decodes back to the input', () => {
    const url = new URL(launchUrl(iphoneSafari, TOKEN, RETURN_URL)!);
    expect(url.origin).to.equal('https://app.bankid.com');
    expect(url.hash).to.equal('');
    expect([...url.searchParams.keys()]).to.deep.equal(['autostarttoken', 'redirect']);
    expect(url.searchParams.get('autostarttoken')).to.equal(TOKEN);
    expect(url.searchParams.get('redirect')).to.equal(RETURN_URL);
  });

  it('treats a Macintosh user agent with touch as an iPad, also as Chromium emulates one (1 touch point)', () => {
    for (const maxTouchPoints of [1, 5]) {
      const platform = detectPlatform({ userAgent: MAC_SAFARI, maxTouchPoints });
      expect([platform.device, platform.os], String(maxTouchPoints)).to.deep.equal(['mobile', 'ios']);
    }
  });

  it('treats a Macintosh user agent without touch as a computer', () => {
    for (const maxTouchPoints of [undefined, 0]) {
      const platform = detectPlatform(
        maxTouchPoints === undefined ? { userAgent: MAC_SAFARI } : { userAgent: MAC_SAFARI, maxTouchPoints },
      );
      expect(platform.device).to.equal('computer');
      expect(platform.os).to.equal('other');
      expect(launchUrl(platform, TOKEN, RETURN_URL)).to.equal(DESKTOP);
    }
  });

  it('currentPlatform reads the running browser (headless Chromium on Linux: a computer)', () => {
    const platform = currentPlatform();
    expect(platform).to.deep.equal(
      detectPlatform({
        userAgent: navigator.userAgent,
        maxTouchPoints: navigator.maxTouchPoints,
        isBrave: 'brave' in navigator,
      }),
    );
    expect(platform.device).to.equal('computer');
  });
});
