/** The two ways an order can be picked up. */
export type Flow = 'this-device' | 'other-device';

/** What opened the BankID app: the element's own try, or the user's click on the open-the-app button. */
export type LaunchTrigger = 'auto' | 'button';

/** Message ids: BankID's RFA numbers, plus our own for what BankID has no number for. */
export type MessageId =
  | 'RFA1'
  | 'RFA3'
  | 'RFA4'
  | 'RFA5'
  | 'RFA6'
  | 'RFA8'
  | 'RFA9'
  | 'RFA13'
  | 'RFA15A'
  | 'RFA15B'
  | 'RFA16'
  | 'RFA17A'
  | 'RFA17B'
  | 'RFA21'
  | 'RFA22'
  | 'RFA23'
  | 'reconnecting'
  | 'update-app'
  /** The BankID app's newer steps (pending): face recognition, step-up, checking. */
  | 'user-face'
  | 'user-step-up'
  | 'processing'
  /** The app's newer failures: the ID document, the face, no NFC, several BankIDs, step-up. */
  | 'mrtd-failed'
  | 'face-failed'
  | 'no-nfc'
  | 'several-bankids'
  | 'step-up-failed'
  /** Another tab of this site took the order over (the return from the app opened a new tab). */
  | 'other-tab'
  /** The QR path runs out soon: "Mer tid" gives another 3 minutes. */
  | 'qr-expiring';

export interface BankIdStartDetail {
  orderRef: string;
  flow: Flow;
}
export interface BankIdLaunchDetail {
  url: string;
  trigger: LaunchTrigger;
}
export interface BankIdStatusDetail {
  status: 'pending' | 'reconnecting';
  /** The last hint code from collect, `null` before the first answer. */
  hintCode: string | null;
  message: MessageId;
}
export interface BankIdCompleteDetail {
  orderRef: string;
  /** The collect answer as received, without any `qrStartSecret`. */
  response: Record<string, unknown>;
}
export interface BankIdCancelDetail {
  /** `null` only when the user cancelled before the backend had answered the start request. */
  orderRef: string | null;
  source: 'page' | 'app';
}
export interface BankIdFailedDetail {
  code: string;
  message: MessageId;
  retryable: boolean;
}

const init = { bubbles: true, composed: true } as const;

/** The backend created an order (also a silent QR restart and a flow switch). */
export class BankIdStartEvent extends CustomEvent<BankIdStartDetail> {
  constructor(detail: BankIdStartDetail) {
    super('bankid-start', { ...init, detail });
  }
}
/** The element is about to open the BankID app; `preventDefault()` stops it. */
export class BankIdLaunchEvent extends CustomEvent<BankIdLaunchDetail> {
  constructor(detail: BankIdLaunchDetail) {
    super('bankid-launch', { ...init, cancelable: true, detail });
  }
}
/** The shown status changed. */
export class BankIdStatusEvent extends CustomEvent<BankIdStatusDetail> {
  constructor(detail: BankIdStatusDetail) {
    super('bankid-status', { ...init, detail });
  }
}
/** Collect returned `complete`. */
export class BankIdCompleteEvent extends CustomEvent<BankIdCompleteDetail> {
  constructor(detail: BankIdCompleteDetail) {
    super('bankid-complete', { ...init, detail });
  }
}
/** The user cancelled, on the page or in the app. */
export class BankIdCancelEvent extends CustomEvent<BankIdCancelDetail> {
  constructor(detail: BankIdCancelDetail) {
    super('bankid-cancel', { ...init, detail });
  }
}
/** The order failed or could not start. */
export class BankIdFailedEvent extends CustomEvent<BankIdFailedDetail> {
  constructor(detail: BankIdFailedDetail) {
    super('bankid-failed', { ...init, detail });
  }
}

export type BankIdEvent =
  | BankIdStartEvent
  | BankIdLaunchEvent
  | BankIdStatusEvent
  | BankIdCompleteEvent
  | BankIdCancelEvent
  | BankIdFailedEvent;

declare global {
  interface GlobalEventHandlersEventMap {
    'bankid-start': BankIdStartEvent;
    'bankid-launch': BankIdLaunchEvent;
    'bankid-status': BankIdStatusEvent;
    'bankid-complete': BankIdCompleteEvent;
    'bankid-cancel': BankIdCancelEvent;
    'bankid-failed': BankIdFailedEvent;
  }
}
