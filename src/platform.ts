// Device and browser detection for launching the BankID app (CONTRACT §5, BANKID-REFERENCE §4).
// Pure functions of the user agent, so every row can be tested in any browser.

export interface PlatformInput {
  userAgent: string;
  maxTouchPoints?: number;
  isBrave?: boolean;
}

/** What goes into `redirect=` of the app link. 'page' = the URL-encoded return URL. */
export type ReturnTarget = 'page' | 'null' | 'googlechromes://' | 'firefox://';

export interface Platform {
  /** 'mobile' = phone or tablet (an iPad that reports a Mac, i.e. Macintosh UA with maxTouchPoints > 0, is a tablet). */
  device: 'computer' | 'mobile';
  os: 'ios' | 'android' | 'other';
  browser: 'safari' | 'chrome' | 'firefox' | 'edge' | 'samsung' | 'brave' | 'opera' | 'in-app' | 'other';
  /** The browser opens apps only from a user gesture: show the open-the-app button at once, never try automatically. */
  launchNeedsGesture: boolean;
  returnTarget: ReturnTarget;
  /**
   * The page is in the own browser of an app that often cannot open BankID (Facebook, Instagram,
   * LinkedIn): when the app does not open, suggest the phone's real browser.
   */
  socialApp: 'facebook' | 'instagram' | 'linkedin' | null;
}

// Apps that show pages in their own WebView. `; wv)` marks any Android WebView.
const IN_APP = /FBAN|FBAV|FB_IAB|Instagram|LinkedInApp|Snapchat|\bLine\/|musical_ly|BytedanceWebview|TikTok|; wv\)/;

// Real Safari ends with `Version/x [Mobile/y] Safari/z`; other WebKit shells add their own token.
const SAFARI = /Version\/[\d.]+ (?:Mobile\/\w+ )?Safari\/[\d.]+$/;

function detectBrowser(ua: string, ios: boolean, isBrave: boolean): Platform['browser'] {
  // A WKWebView inside an iOS app has no `Safari/` token.
  if (IN_APP.test(ua) || (ios && !ua.includes('Safari/'))) return 'in-app';
  if (isBrave) return 'brave';
  // Edge, Opera and Samsung also say "Chrome" and "Safari": test them first.
  if (/\bEdg(?:e|A|iOS)?\//.test(ua)) return 'edge';
  if (/\bOPR\/|\bOPiOS\/|\bOPT\/|\bOpera\b/.test(ua)) return 'opera';
  if (ua.includes('SamsungBrowser/')) return 'samsung';
  if (/\bFirefox\/|\bFxiOS\//.test(ua)) return 'firefox';
  if (/\bCriOS\/|\bChrome\//.test(ua)) return 'chrome';
  if (SAFARI.test(ua)) return 'safari';
  return 'other';
}

function returnTargetFor(os: Platform['os'], browser: Platform['browser']): ReturnTarget {
  if (os !== 'ios') return 'null';
  // iOS opens https links in Safari whatever the default browser, so name the browser to return to.
  if (browser === 'safari') return 'page';
  if (browser === 'chrome') return 'googlechromes://';
  if (browser === 'firefox') return 'firefox://';
  return 'null';
}

function socialAppOf(ua: string): Platform['socialApp'] {
  if (/FBAN|FBAV|FB_IAB/.test(ua)) return 'facebook';
  if (ua.includes('Instagram')) return 'instagram';
  if (ua.includes('LinkedInApp')) return 'linkedin';
  return null;
}

export function detectPlatform(input: PlatformInput): Platform {
  const ua = input.userAgent.trim();
  // A Mac has no touch screen (0); a real iPad says 5, an emulated one (Chromium's hasTouch) 1.
  const touch = (input.maxTouchPoints ?? 0) > 0;
  // iPadOS Safari asks for desktop sites and reports a Mac; only touch gives it away.
  const ios = /iPhone|iPad|iPod/.test(ua) || (ua.includes('Macintosh') && touch);
  const os: Platform['os'] = ios ? 'ios' : ua.includes('Android') ? 'android' : 'other';
  const device = os !== 'other' || /Mobi/.test(ua) ? 'mobile' : 'computer';
  const browser = detectBrowser(ua, ios, input.isBrave === true);
  // Only Firefox and Opera on Android open an app without a gesture; unknown Android
  // browsers are Chromium-based, and a button always works.
  const launchNeedsGesture = os === 'android' && browser !== 'firefox' && browser !== 'opera';
  return {
    device,
    os,
    browser,
    launchNeedsGesture,
    returnTarget: returnTargetFor(os, browser),
    socialApp: socialAppOf(ua),
  };
}

/** Reads navigator.userAgent, navigator.maxTouchPoints and `'brave' in navigator`. */
export function currentPlatform(): Platform {
  return detectPlatform({
    userAgent: navigator.userAgent,
    maxTouchPoints: navigator.maxTouchPoints ?? 0,
    isBrave: 'brave' in navigator,
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 8-4-4-4-12 hex, case-insensitive. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The launch URL, or null when the token is not a UUID (then nothing may be launched). */
export function launchUrl(platform: Platform, autoStartToken: string, returnUrl: string): string | null {
  // The token goes into a URL unescaped, so it must be exactly a UUID.
  if (!isUuid(autoStartToken)) return null;
  const base = platform.device === 'computer' ? 'bankid:///' : 'https://app.bankid.com/';
  const redirect = platform.returnTarget === 'page' ? encodeURIComponent(returnUrl) : platform.returnTarget;
  return `${base}?autostarttoken=${autoStartToken}&redirect=${redirect}`;
}

/**
 * The `returnUrl` a this-device start sends, for BankID to open when the app is done (BankID's way
 * since 2024; newer apps ignore `redirect=` when it is there): on iOS the page in Safari, the
 * browser's own scheme in Chrome and Firefox. None elsewhere: Android returns by itself.
 */
export function startReturnUrl(platform: Platform, pageUrl: string): string | null {
  if (platform.os !== 'ios') return null;
  return platform.returnTarget === 'page' ? pageUrl : platform.returnTarget === 'null' ? null : platform.returnTarget;
}
