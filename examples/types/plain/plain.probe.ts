// A TypeScript host with neither React nor Vue, and skipLibCheck off: the package's types compile,
// the tag and its events are typed through the global maps.
import 'bankid-login/define';
import type { BankIdLogin, BankIdLoginEventMap } from 'bankid-login';

const login: BankIdLogin | null = document.querySelector('bankid-login');
login?.addEventListener('bankid-complete', (event) => console.log(event.detail.orderRef));
login?.addEventListener('bankid-launch', (event) => event.preventDefault());
const flow: BankIdLoginEventMap['bankid-start']['detail']['flow'] = 'other-device';
console.log(flow);

// @ts-expect-error the detail of bankid-complete has no code
login?.addEventListener('bankid-complete', (event) => console.log(event.detail.code));
// @ts-expect-error headers is an object of strings
if (login) login.headers = 'X-CSRF-Token: t';
// @ts-expect-error there is no bankid-done event
const done: BankIdLoginEventMap['bankid-done'] = new Event('x');
console.log(done);
