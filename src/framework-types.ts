/**
 * Types shared by the framework declarations (`bankid-login/react`, `bankid-login/vue`), taken
 * from the element class and the global event map, so they follow the element without copies.
 */
import type { BankIdLogin } from './bankid-login.js';
import type { BankIdEvent } from './events.js';

/** Every event of the element by name (`bankid-start` → `BankIdStartEvent`, …), from the global event map. */
export type BankIdLoginEventMap = {
  [
    K in keyof GlobalEventHandlersEventMap as K extends `bankid-${string}`
      ? GlobalEventHandlersEventMap[K] extends BankIdEvent
        ? K
        : never
      : never
  ]: GlobalEventHandlersEventMap[K];
};

/** The properties a host may set: one per attribute, plus `headers` and `messages` (objects). */
export type BankIdLoginProperties = Partial<
  Pick<
    BankIdLogin,
    | 'api'
    | 'flow'
    | 'operation'
    | 'lang'
    | 'launchButtonDelay'
    | 'startOnConnect'
    | 'returnUrl'
    | 'messages'
    | 'headers'
  >
>;

/**
 * The attributes whose names differ from their properties, as a template sets them (strings;
 * `true` for a boolean attribute that is present).
 */
export interface BankIdLoginDashedAttributes {
  /** Milliseconds after the automatic try before the open-the-app button shows. */
  'launch-button-delay'?: number | `${number}`;
  /** Begin as soon as the element is connected. `false` (React, Vue) removes the attribute. */
  'start-on-connect'?: boolean;
  /** Where the BankID app returns on iOS; must be on this origin. */
  'return-url'?: BankIdLogin['returnUrl'];
}
