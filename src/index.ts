/** The public API without side effects: import `bankid-login/define` to register the tag. */
export { BankIdLogin, type FlowChoice } from './bankid-login.js';
export * from './events.js';
export type { OrderState } from './flow.js';
export type { Operation, RewordableText, TextOverrides } from './messages.js';
export type { Platform } from './platform.js';
export type { BankIdLoginEventMap, BankIdLoginProperties } from './framework-types.js';
export { detectPlatform } from './platform.js';
/** The one place that opens the BankID app; tests and hosts may replace `launcher.open`. */
export { launcher } from './launcher.js';
export { bankIdLoginTemplates, installLocalization } from './localization.js';
