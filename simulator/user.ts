// The person whose BankID the simulated app holds. The demo's personnummer is made up; its check
// digit is valid so that backends which check it accept it.

export interface SimulatedUser {
  /** 12 digits, YYYYMMDDNNNC, with a valid check digit. */
  personalNumber: string;
  name: string;
  givenName: string;
  surname: string;
}

/** The simulated app's user unless `startSimulator({user})` says otherwise. */
export const DEMO_USER: Readonly<SimulatedUser> = Object.freeze({
  personalNumber: withCheckDigit('19880808998'),
  name: 'Tessan Testsson',
  givenName: 'Tessan',
  surname: 'Testsson',
});

/** Appends the Luhn check digit of a Swedish personnummer: YYYYMMDDNNN → YYYYMMDDNNNC. */
export function withCheckDigit(first11: string): string {
  const digits = first11.slice(2); // the check digit covers the 10-digit form only
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${first11}${(10 - (sum % 10)) % 10}`;
}

/** Throws TypeError unless `user` is a usable SimulatedUser; returns a frozen copy. */
export function checkUser(user: unknown): Readonly<SimulatedUser> {
  const u = (user ?? {}) as Partial<Record<keyof SimulatedUser, unknown>>;
  const text = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
  if (typeof u.personalNumber !== 'string' || !/^\d{12}$/.test(u.personalNumber)) {
    throw new TypeError('startSimulator: user.personalNumber must be 12 digits, YYYYMMDDNNNN');
  }
  if (!text(u.name) || !text(u.givenName) || !text(u.surname)) {
    throw new TypeError('startSimulator: user needs name, givenName and surname');
  }
  return Object.freeze({ personalNumber: u.personalNumber, name: u.name, givenName: u.givenName, surname: u.surname });
}
