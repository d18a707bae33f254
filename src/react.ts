/**
 * `<bankid-login>` in React 19's JSX: attributes, properties, `ref` and the events, typed from the
 * element. Type-only; load it once anywhere in the program: `import type {} from 'bankid-login/react'`.
 *
 * React 19 sets a prop as a property when the element has one (`api`, `headers`, `messages`,
 * `launchButtonDelay` …) and otherwise as an attribute (`launch-button-delay`). It listens to a
 * custom event only through a prop named `on` + the exact event name: `onbankid-complete`.
 * `onBankidComplete` would listen to an event called `BankidComplete`, which never comes.
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { BankIdLogin } from './bankid-login.js';
import type { BankIdLoginDashedAttributes, BankIdLoginEventMap, BankIdLoginProperties } from './framework-types.js';

/** `onbankid-start`, `onbankid-complete` … with the event's own class. */
export type BankIdLoginReactEvents = {
  [K in keyof BankIdLoginEventMap as `on${K}`]?: (event: BankIdLoginEventMap[K]) => void;
};

/** The props of `<bankid-login>` in TSX. */
export type BankIdLoginReactProps = DetailedHTMLProps<HTMLAttributes<BankIdLogin>, BankIdLogin> &
  BankIdLoginProperties &
  BankIdLoginDashedAttributes &
  BankIdLoginReactEvents;

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'bankid-login': BankIdLoginReactProps;
    }
  }
}
