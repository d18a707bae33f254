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

/** Hint codes that mean the BankID app has picked up the order. */
const APP_HAS_ORDER = new Set(['started', 'userSign', 'userMrtd']);

export function appHasOrder(hintCode: string | null): boolean {
  return hintCode !== null && APP_HAS_ORDER.has(hintCode);
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
  const code = problem.errorCode ?? (status >= 500 ? 'network' : `http-${status}`);
  if (status >= 500) return { code, message: 'RFA5', retryable: true };
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
): string | TemplateResult {
  const computer = context.device === 'computer';
  const sign = context.operation === 'sign';
  switch (id) {
    case 'RFA1':
      return msg('Open the BankID app on your phone or tablet and scan the QR code.', { id: 'rfa1' });
    case 'RFA13':
      if (launchButtonShown) {
        return computer
          ? msg("The BankID Security Application didn't start? Click the button below.", {
              id: 'rfa13-button-computer',
            })
          : msg('Press the button below to open the BankID app.', { id: 'rfa13-button-mobile' });
      }
      return computer
        ? msg('Trying to start the BankID Security Application…', { id: 'rfa13-computer' })
        : msg('Trying to start the BankID app…', { id: 'rfa13-mobile' });
    case 'RFA9':
      return sign
        ? msg('Enter your security code in BankID and select Sign.', { id: 'rfa9-sign' })
        : msg('Enter your security code in BankID and select Identify.', { id: 'rfa9-auth' });
    case 'RFA15A':
      return msg(
        'Looking for a BankID… Make sure there is a valid BankID on this computer. If your BankID is on a card, insert it into the card reader.',
        { id: 'rfa15a' },
      );
    case 'RFA15B':
      return msg('Looking for a BankID… Make sure there is a valid BankID on your device.', { id: 'rfa15b' });
    case 'RFA21':
      return sign
        ? msg('Signing in progress.', { id: 'rfa21-sign' })
        : msg('Identification in progress.', { id: 'rfa21-auth' });
    case 'RFA23':
      return msg('Scan your passport or ID card with the BankID app.', { id: 'rfa23' });
    case 'RFA3':
      return msg('Cancelled because another identification or signing was started. Please try again.', {
        id: 'rfa3',
      });
    case 'RFA4':
      return msg(
        'An identification or signing is already in progress for you. Finish or cancel it in BankID, then try again.',
        { id: 'rfa4' },
      );
    case 'RFA5':
      return msg('Something went wrong. Please try again.', { id: 'rfa5' });
    case 'RFA6':
      return sign
        ? msg('Signing was cancelled.', { id: 'rfa6-sign' })
        : msg('Login was cancelled.', { id: 'rfa6-auth' });
    case 'RFA8':
      return msg(
        "BankID didn't respond in time. Check that BankID is running and connected to the internet. If you don't have a valid BankID, you can get one from your bank. Then try again.",
        { id: 'rfa8' },
      );
    case 'RFA16':
      return msg('Your BankID is blocked or too old. Use another BankID or get a new one from your bank.', {
        id: 'rfa16',
      });
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
      return msg('An unknown error occurred. Please try again.', { id: 'rfa22' });
    case 'update-app':
      return msg(
        html`BankID needs to be updated for this. Update the BankID app in your app store or at ${installLink}, then try
        again.`,
        { id: 'update-app' },
      );
    case 'reconnecting':
      return msg('Connection lost for a moment. Reconnecting…', { id: 'reconnecting' });
  }
}

/** Labels of the actions (CONTRACT §6, exact). */
export const labels = {
  begin: (operation: Operation) =>
    operation === 'sign'
      ? msg('Sign with BankID', { id: 'label-begin-sign' })
      : msg('Log in with BankID', { id: 'label-begin' }),
  launch: (device: Device) =>
    device === 'computer'
      ? msg('Start the BankID Security Application', { id: 'label-launch-computer' })
      : msg('Start the BankID app', { id: 'label-launch-mobile' }),
  retry: () => msg('Try again', { id: 'label-retry' }),
  cancel: () => msg('Cancel', { id: 'label-cancel' }),
  toOtherDevice: () => msg('BankID on another device', { id: 'label-other-device' }),
  toThisDevice: (device: Device) =>
    device === 'computer'
      ? msg('BankID on this computer', { id: 'label-this-computer' })
      : msg('BankID on this device', { id: 'label-this-device' }),
  help: () => msg('Problems with BankID?', { id: 'label-help' }),
  qr: () => msg('QR code for BankID', { id: 'label-qr' }),
};

/** Texts of panels that are not a BankID status. */
export const panelTexts = {
  starting: () => msg('One moment…', { id: 'starting' }),
  done: (operation: Operation) =>
    operation === 'sign'
      ? msg("Done! You've signed.", { id: 'done-sign' })
      : msg("Done! You're logged in.", { id: 'done-auth' }),
  cancelledHint: () =>
    msg('Want to continue? Try again, or choose another way to use BankID below.', { id: 'cancelled-hint' }),
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
              >Antivirus software, a firewall or a "bank protection" feature is stopping BankID from reaching the
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
