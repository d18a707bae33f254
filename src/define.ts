/** Registers <bankid-login> and sets up its languages. The package's only side effect. */
import { BankIdLogin } from './bankid-login.js';
import { installLocalization } from './localization.js';

installLocalization();
BankIdLogin.define();

declare global {
  interface HTMLElementTagNameMap {
    'bankid-login': BankIdLogin;
  }
}

export { BankIdLogin };
// So pages using only the bundle can replace how the app is opened (e.g. in their own tests).
export { launcher } from './launcher.js';
