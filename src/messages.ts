import { html, type TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import type { Flow, MessageId } from './events.js';

export type Operation = 'auth' | 'sign';
export type Device = 'computer' | 'mobile';

/** What a message's wording depends on. */
export interface MessageContext {
  flow: Flow;
  device: Device;
  operation: Operation;
}

/** What the element tells the host when an order ends badly (CONTRACT §3, bankid-failed). */
export interface Failure {
  code: string;
  message: MessageId;
  retryable: boolean;
}

/**
 * The texts a page may reword for one element (its `messages`), by their translation ids. Plain
 * text only, and only texts without a link: the install and support links always stay.
 */
export type RewordableText =
  | 'label-begin'
  | 'label-begin-sign'
  | 'label-launch-computer'
  | 'label-launch-mobile'
  | 'label-retry'
  | 'label-cancel'
  | 'label-other-device'
  | 'label-this-computer'
  | 'label-this-device'
  | 'label-help'
  | 'label-qr'
  | 'starting'
  | 'done-auth'
  | 'done-sign'
  | 'cancelled-hint'
  | 'rfa1'
  | 'rfa3'
  | 'rfa4'
  | 'rfa5'
  | 'rfa6-auth'
  | 'rfa6-sign'
  | 'rfa8'
  | 'rfa9-auth'
  | 'rfa9-sign'
  | 'rfa13-computer'
  | 'rfa13-mobile'
  | 'rfa13-button-computer'
  | 'rfa13-button-mobile'
  | 'rfa15a'
  | 'rfa15b'
  | 'rfa16'
  | 'rfa21-auth'
  | 'rfa21-sign'
  | 'rfa22'
  | 'rfa23'
  | 'reconnecting'
  | 'user-face'
  | 'user-step-up'
  | 'processing'
  | 'mrtd-failed'
  | 'face-failed'
  | 'no-nfc'
  | 'several-bankids'
  | 'step-up-failed'
  | 'browser-hint-ios'
  | 'browser-hint-android'
  | 'other-tab-auth'
  | 'other-tab-sign'
  | 'label-continue-here'
  | 'ended-elsewhere-auth'
  | 'ended-elsewhere-sign'
  | 'qr-expiring'
  | 'label-more-time'
  | 'label-larger-qr'
  | 'label-smaller-qr'
  | 'qr-step-open'
  | 'qr-step-tap'
  | 'qr-step-point'
  | 'qr-not-visible';
/** A page's own wording: `{ 'label-begin': 'Logga in på Mina sidor' }`. */
export type TextOverrides = Partial<Record<RewordableText, string>>;

/** The page's wording for `id` if it has one, else ours (in the current language). */
function own(overrides: TextOverrides | undefined, id: RewordableText, ours: string): string {
  const text = overrides?.[id];
  return typeof text === 'string' && text.trim() !== '' ? text : ours;
}

/**
 * The app has the order (CONTRACT §2) when BankID's hint says so: every pending hint with a message
 * of its own. Not before it (RFA1, RFA13), and not on a hint BankID adds later (RFA21): §4 keeps
 * that `waiting`, so the QR code or the open-the-app button stays in view.
 */
export function appHasOrder(message: MessageId): boolean {
  return message !== 'RFA1' && message !== 'RFA13' && message !== 'RFA21';
}

/** The message for a pending order (BANKID-REFERENCE §3; unknown or missing hint → RFA21). */
export function pendingMessage(hintCode: string | null, context: Pick<MessageContext, 'flow' | 'device'>): MessageId {
  const qr = context.flow === 'other-device';
  switch (hintCode) {
    case null:
    case 'outstandingTransaction':
    case 'noClient':
      return qr ? 'RFA1' : 'RFA13';
    case 'started':
      // In the QR flow the BankID is on another device, almost always a phone.
      return !qr && context.device === 'computer' ? 'RFA15A' : 'RFA15B';
    case 'userSign':
      return 'RFA9';
    case 'userMrtd':
      return 'RFA23';
    case 'userFace':
      return 'user-face';
    case 'userStepUp':
      return 'user-step-up';
    case 'processing':
      return 'processing';
    default:
      return 'RFA21';
  }
}

/** A collect answer with status `failed`: the user cancelled in the app, or a failure (CONTRACT §4 table). */
export function failedOutcome(hintCode: string | null, flow: Flow): 'cancelled' | Failure {
  const code = hintCode ?? 'unknown';
  switch (hintCode) {
    case 'userCancel':
      return 'cancelled';
    case 'startFailed':
      return { code, message: flow === 'other-device' ? 'RFA17B' : 'RFA17A', retryable: true };
    case 'cancelled':
      return { code, message: 'RFA3', retryable: true };
    case 'expiredTransaction':
      return { code, message: 'RFA8', retryable: true };
    case 'certificateErr':
      return { code, message: 'RFA16', retryable: true };
    case 'notSupportedByUserApp':
      return { code, message: 'update-app', retryable: true };
    case 'mrtdVerificationFailed':
      return { code, message: 'mrtd-failed', retryable: true };
    case 'facialRecognitionFailed':
      return { code, message: 'face-failed', retryable: true };
    case 'nfcNotSupportedByDevice':
      return { code, message: 'no-nfc', retryable: true };
    case 'multipleBankIdsOnDevice':
      return { code, message: 'several-bankids', retryable: true };
    case 'stepUpFailed':
      return { code, message: 'step-up-failed', retryable: true };
    default:
      return { code, message: 'RFA22', retryable: true };
  }
}

/** The shape of a failed request, as far as messages care (see backend.ts). */
export interface RequestProblem {
  kind: 'network' | 'timeout' | 'http' | 'invalid';
  status?: number;
  errorCode?: string | null;
}

/** A start request that did not create an order fails at once (CONTRACT §4 table). */
export function startFailure(problem: RequestProblem): Failure {
  if (problem.kind === 'invalid') return { code: 'invalid-response', message: 'RFA22', retryable: true };
  if (problem.kind !== 'http') return { code: 'network', message: 'RFA5', retryable: true };
  const status = problem.status ?? 0;
  // Overload (429) passes with time, as a server error does: "try again in a while" (CONTRACT §4).
  const passes = status >= 500 || status === 429;
  const code = problem.errorCode ?? (passes ? 'network' : `http-${status}`);
  if (passes) return { code, message: 'RFA5', retryable: true };
  if (problem.errorCode === 'alreadyInProgress') return { code, message: 'RFA4', retryable: true };
  return { code, message: 'RFA22', retryable: true };
}

/** Collect faults that may pass (network, timeout, 5xx, 429, garbled body) are retried; other 4xx end the order. */
export function collectFailure(problem: RequestProblem): 'transient' | Failure {
  if (problem.kind !== 'http') return 'transient';
  const status = problem.status ?? 0;
  if (status >= 500 || status === 429) return 'transient';
  return { code: problem.errorCode ?? `http-${status}`, message: 'RFA22', retryable: true };
}

const installLink = html`<a href="https://install.bankid.com" target="_blank" rel="noopener">install.bankid.com</a>`;

/**
 * The text shown for a message id. Resolved at render time so the current locale applies.
 * `launchButtonShown` rewords RFA13 once the open-the-app button is there to press.
 */
export function messageText(
  id: MessageId,
  context: MessageContext,
  launchButtonShown = false,
  overrides?: TextOverrides,
): string | TemplateResult {
  const computer = context.device === 'computer';
  const sign = context.operation === 'sign';
  switch (id) {
    case 'RFA1':
      return own(
        overrides,
        'rfa1',
        msg('Open the BankID app on your phone or tablet and scan the QR code.', { id: 'rfa1' }),
      );
    case 'RFA13':
      if (launchButtonShown) {
        return computer
          ? own(
              overrides,
              'rfa13-button-computer',
              msg("BankID didn't start? Select “Start the BankID Security Application” below.", {
                id: 'rfa13-button-computer',
              }),
            )
          : own(
              overrides,
              'rfa13-button-mobile',
              msg('Tap “Start the BankID app” below.', { id: 'rfa13-button-mobile' }),
            );
      }
      return computer
        ? own(
            overrides,
            'rfa13-computer',
            msg('Trying to start the BankID Security Application…', { id: 'rfa13-computer' }),
          )
        : own(overrides, 'rfa13-mobile', msg('Trying to start the BankID app…', { id: 'rfa13-mobile' }));
    case 'RFA9':
      return sign
        ? own(overrides, 'rfa9-sign', msg('Enter your security code in BankID and select Sign.', { id: 'rfa9-sign' }))
        : own(
            overrides,
            'rfa9-auth',
            msg('Enter your security code in BankID and select Identify.', { id: 'rfa9-auth' }),
          );
    case 'RFA15A':
      return own(
        overrides,
        'rfa15a',
        msg(
          'Looking for a BankID… Make sure there is a valid BankID on this computer. If your BankID is on a card, insert it into the card reader.',
          { id: 'rfa15a' },
        ),
      );
    case 'RFA15B':
      return own(
        overrides,
        'rfa15b',
        msg('Looking for a BankID… Make sure there is a valid BankID on your device.', { id: 'rfa15b' }),
      );
    case 'RFA21':
      return sign
        ? own(overrides, 'rfa21-sign', msg('Signing in progress.', { id: 'rfa21-sign' }))
        : own(overrides, 'rfa21-auth', msg('Identification in progress.', { id: 'rfa21-auth' }));
    case 'RFA23':
      return own(overrides, 'rfa23', msg('Scan your passport or ID card with the BankID app.', { id: 'rfa23' }));
    case 'RFA3':
      return own(
        overrides,
        'rfa3',
        msg('Cancelled because another identification or signing was started. Please try again.', {
          id: 'rfa3',
        }),
      );
    case 'RFA4':
      return own(
        overrides,
        'rfa4',
        msg(
          'An identification or signing is already in progress for you. Finish or cancel it in BankID, then try again.',
          { id: 'rfa4' },
        ),
      );
    case 'RFA5':
      return own(overrides, 'rfa5', msg('Something went wrong. Please try again.', { id: 'rfa5' }));
    case 'RFA6':
      return sign
        ? own(overrides, 'rfa6-sign', msg('Signing was cancelled.', { id: 'rfa6-sign' }))
        : own(overrides, 'rfa6-auth', msg('Login was cancelled.', { id: 'rfa6-auth' }));
    case 'RFA8':
      return own(
        overrides,
        'rfa8',
        msg(
          "BankID didn't respond in time. Check that BankID is running and connected to the internet. If you don't have a valid BankID, you can get one from your bank. Then try again.",
          { id: 'rfa8' },
        ),
      );
    case 'RFA16':
      return own(
        overrides,
        'rfa16',
        msg('Your BankID is blocked or too old. Use another BankID or get a new one from your bank.', {
          id: 'rfa16',
        }),
      );
    case 'RFA17A':
      return computer
        ? msg(
            html`The BankID Security Application seems to be missing on this computer, or it is too old. Install the
            latest version at ${installLink}.`,
            { id: 'rfa17a-computer' },
          )
        : msg(
            html`The BankID app seems to be missing on this device, or it is too old. Install or update it from your app
            store or at ${installLink}.`,
            { id: 'rfa17a-mobile' },
          );
    case 'RFA17B':
      return msg(
        html`The QR code was not scanned in time. Try again and scan the new QR code with the BankID app. Make sure the
        app is up to date; you can get it from your app store or at ${installLink}.`,
        { id: 'rfa17b' },
      );
    case 'RFA22':
      return own(overrides, 'rfa22', msg('An unknown error occurred. Please try again.', { id: 'rfa22' }));
    case 'update-app':
      // On a computer's this-device flow the user's BankID is the security program, not an app.
      return computer && context.flow === 'this-device'
        ? msg(
            html`The BankID Security Application needs to be updated. Install the latest version at ${installLink}, then
            try again.`,
            { id: 'update-app-computer' },
          )
        : msg(
            html`The BankID app needs to be updated. Update it in your app store or at ${installLink}, then try again.`,
            { id: 'update-app' },
          );
    case 'reconnecting':
      return own(overrides, 'reconnecting', msg('Connection lost for a moment. Reconnecting…', { id: 'reconnecting' }));
    case 'user-face':
      return own(
        overrides,
        'user-face',
        msg('Look at the camera and follow the instructions in the BankID app.', { id: 'user-face' }),
      );
    case 'user-step-up':
      return own(
        overrides,
        'user-step-up',
        msg('Follow the instructions in the BankID app to confirm that it is you.', { id: 'user-step-up' }),
      );
    case 'processing':
      return own(overrides, 'processing', msg('BankID is checking. Please wait a moment.', { id: 'processing' }));
    case 'mrtd-failed':
      return own(
        overrides,
        'mrtd-failed',
        msg('Your passport or ID card could not be read. Try again, and hold the document still against your phone.', {
          id: 'mrtd-failed',
        }),
      );
    case 'face-failed':
      return own(
        overrides,
        'face-failed',
        msg('BankID could not recognise your face. Try again in good light and look straight at the camera.', {
          id: 'face-failed',
        }),
      );
    case 'no-nfc':
      return own(
        overrides,
        'no-nfc',
        msg('Your phone cannot read your passport or ID card: it has no NFC. Try again on a phone with NFC.', {
          id: 'no-nfc',
        }),
      );
    case 'several-bankids':
      return own(
        overrides,
        'several-bankids',
        msg('There is more than one BankID on this device. Keep only one BankID in the app, then try again.', {
          id: 'several-bankids',
        }),
      );
    case 'other-tab':
      return sign
        ? own(
            overrides,
            'other-tab-sign',
            msg('The signing continues in the other tab. Go there, or select “Continue here”.', {
              id: 'other-tab-sign',
            }),
          )
        : own(
            overrides,
            'other-tab-auth',
            msg('The login continues in the other tab. Go there, or select “Continue here”.', { id: 'other-tab-auth' }),
          );
    case 'step-up-failed':
      return own(
        overrides,
        'step-up-failed',
        msg('BankID could not confirm that it is you. Please try again.', { id: 'step-up-failed' }),
      );
    case 'qr-expiring':
      return own(
        overrides,
        'qr-expiring',
        msg('Time to scan the QR code is almost up. Need more time? Select “More time”.', { id: 'qr-expiring' }),
      );
  }
}

/** Labels of the actions (CONTRACT §6, exact). */
export const labels = {
  begin: (operation: Operation, overrides?: TextOverrides) =>
    operation === 'sign'
      ? own(overrides, 'label-begin-sign', msg('Sign with BankID', { id: 'label-begin-sign' }))
      : own(overrides, 'label-begin', msg('Log in with BankID', { id: 'label-begin' })),
  launch: (device: Device, overrides?: TextOverrides) =>
    device === 'computer'
      ? own(
          overrides,
          'label-launch-computer',
          msg('Start the BankID Security Application', { id: 'label-launch-computer' }),
        )
      : own(overrides, 'label-launch-mobile', msg('Start the BankID app', { id: 'label-launch-mobile' })),
  retry: (overrides?: TextOverrides) => own(overrides, 'label-retry', msg('Try again', { id: 'label-retry' })),
  cancel: (overrides?: TextOverrides) => own(overrides, 'label-cancel', msg('Cancel', { id: 'label-cancel' })),
  toOtherDevice: (overrides?: TextOverrides) =>
    own(overrides, 'label-other-device', msg('BankID on another device', { id: 'label-other-device' })),
  toThisDevice: (device: Device, overrides?: TextOverrides) =>
    device === 'computer'
      ? own(overrides, 'label-this-computer', msg('BankID on this computer', { id: 'label-this-computer' }))
      : own(overrides, 'label-this-device', msg('BankID on this device', { id: 'label-this-device' })),
  continueHere: (overrides?: TextOverrides) =>
    own(overrides, 'label-continue-here', msg('Continue here', { id: 'label-continue-here' })),
  moreTime: (overrides?: TextOverrides) =>
    own(overrides, 'label-more-time', msg('More time', { id: 'label-more-time' })),
  largerQr: (overrides?: TextOverrides) =>
    own(overrides, 'label-larger-qr', msg('Larger QR code', { id: 'label-larger-qr' })),
  smallerQr: (overrides?: TextOverrides) =>
    own(overrides, 'label-smaller-qr', msg('Smaller QR code', { id: 'label-smaller-qr' })),
  help: (overrides?: TextOverrides) => own(overrides, 'label-help', msg('Problems with BankID?', { id: 'label-help' })),
  qr: (overrides?: TextOverrides) =>
    own(overrides, 'label-qr', msg('QR code to scan with the BankID app', { id: 'label-qr' })),
};

/** Texts of panels that are not a BankID status. */
export const panelTexts = {
  starting: (overrides?: TextOverrides) => own(overrides, 'starting', msg('One moment…', { id: 'starting' })),
  done: (operation: Operation, overrides?: TextOverrides) =>
    operation === 'sign'
      ? own(overrides, 'done-sign', msg("Done! You've signed.", { id: 'done-sign' }))
      : own(overrides, 'done-auth', msg("Done! You're logged in.", { id: 'done-auth' })),
  /** Out of a social app's own browser: Safari on iOS, Chrome on Android. */
  browserHint: (os: 'ios' | 'android' | 'other', overrides?: TextOverrides) =>
    os === 'ios'
      ? own(
          overrides,
          'browser-hint-ios',
          msg("BankID app not opening? Open this page in Safari instead, from the app's menu.", {
            id: 'browser-hint-ios',
          }),
        )
      : own(
          overrides,
          'browser-hint-android',
          msg("BankID app not opening? Open this page in Chrome instead, from the app's menu.", {
            id: 'browser-hint-android',
          }),
        ),
  endedElsewhere: (operation: Operation, overrides?: TextOverrides) =>
    operation === 'sign'
      ? own(
          overrides,
          'ended-elsewhere-sign',
          msg('The signing has ended in the other tab. You can start again here.', { id: 'ended-elsewhere-sign' }),
        )
      : own(
          overrides,
          'ended-elsewhere-auth',
          msg('The login has ended in the other tab. You can start again here.', { id: 'ended-elsewhere-auth' }),
        ),
  /** The QR flow's steps, in order, beside the code. */
  qrSteps: (overrides?: TextOverrides) => [
    own(overrides, 'qr-step-open', msg('Open the BankID app on your phone or tablet.', { id: 'qr-step-open' })),
    own(overrides, 'qr-step-tap', msg('In the app, choose to scan a QR code.', { id: 'qr-step-tap' })),
    own(overrides, 'qr-step-point', msg('Point the camera at the QR code here.', { id: 'qr-step-point' })),
  ],
  qrNotVisible: (overrides?: TextOverrides) =>
    own(
      overrides,
      'qr-not-visible',
      msg('Part of the QR code is off the screen. Scroll until you see all of it.', { id: 'qr-not-visible' }),
    ),
  cancelledHint: (overrides?: TextOverrides) =>
    own(
      overrides,
      'cancelled-hint',
      msg('Want to continue? Try again, or choose another way to use BankID below.', { id: 'cancelled-hint' }),
    ),
};

const supportLink = html`<a href="https://support.bankid.com" target="_blank" rel="noopener">support.bankid.com</a>`;

/** The help panel: the seed's advice in today's words, every link a real <a href>. */
export function helpContent(): TemplateResult {
  return html`
    <p>${msg(html`BankID not working? Install the latest version from ${installLink}.`, { id: 'help-install' })}</p>
    <p>${msg(html`Still having problems? You can get help at ${supportLink}.`, { id: 'help-support' })}</p>
    <h3>${msg('Common causes', { id: 'help-causes' })}</h3>
    <ul>
      <li>
        ${msg(html`<strong>Your version of BankID is out of date.</strong> Update BankID to the latest version.`, { id: 'help-outdated' })}
      </li>
      <li>
        ${msg(
          html`<strong>The browser wasn't allowed to open BankID.</strong> Try again and choose Open or Allow when the
            browser asks.`,
          { id: 'help-prompt' },
        )}
      </li>
      <li>
        ${msg(
          html`<strong
              >Antivirus software, a firewall or a “bank protection” feature is stopping BankID from reaching the
              internet.</strong
            >
            Update your antivirus software, or ask the vendor how to allow BankID.`,
          { id: 'help-antivirus' },
        )}
      </li>
      <li>
        ${msg(
          html`<strong>Your operating system is too old for BankID.</strong> Update the operating system, or use Mobile
            BankID on your phone or tablet instead.`,
          { id: 'help-os' },
        )}
      </li>
    </ul>
  `;
}
