/**
 * src/messages.ts: which message a hint or error leads to (tables, CONTRACT §4 and BANKID-REFERENCE §3),
 * and the localized texts and labels in Swedish and English (CONTRACT §6).
 */
import { expect } from '@open-wc/testing';
import { render, type TemplateResult } from 'lit';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import type { Flow, MessageId } from '../src/events.js';
import {
  appHasOrder,
  collectFailure,
  failedOutcome,
  helpContent,
  labels,
  messageText,
  pendingMessage,
  startFailure,
  type Device,
  type MessageContext,
  type Operation,
  type RequestProblem,
} from '../src/messages.js';

const ALL_IDS: MessageId[] = [
  'RFA1',
  'RFA3',
  'RFA4',
  'RFA5',
  'RFA6',
  'RFA8',
  'RFA9',
  'RFA13',
  'RFA15A',
  'RFA15B',
  'RFA16',
  'RFA17A',
  'RFA17B',
  'RFA21',
  'RFA22',
  'RFA23',
  'reconnecting',
  'update-app',
  'user-face',
  'user-step-up',
  'processing',
  'mrtd-failed',
  'face-failed',
  'no-nfc',
  'several-bankids',
  'step-up-failed',
];

const CONTEXTS: MessageContext[] = [];
for (const flow of ['this-device', 'other-device'] as Flow[])
  for (const device of ['computer', 'mobile'] as Device[])
    for (const operation of ['auth', 'sign'] as Operation[]) CONTEXTS.push({ flow, device, operation });

const INSTALL = 'https://install.bankid.com';

/** Renders a message (string or Lit template) into a detached div. */
function rendered(content: string | TemplateResult): HTMLDivElement {
  const div = document.createElement('div');
  render(content, div);
  return div;
}
const textOf = (content: string | TemplateResult) => (rendered(content).textContent ?? '').replace(/\s+/g, ' ').trim();

describe('messages: pendingMessage', () => {
  const table: [hint: string | null, flow: Flow, device: Device, message: MessageId][] = [
    [null, 'this-device', 'computer', 'RFA13'],
    [null, 'this-device', 'mobile', 'RFA13'],
    [null, 'other-device', 'computer', 'RFA1'],
    ['outstandingTransaction', 'this-device', 'computer', 'RFA13'],
    ['outstandingTransaction', 'other-device', 'mobile', 'RFA1'],
    ['noClient', 'this-device', 'mobile', 'RFA13'],
    ['noClient', 'other-device', 'computer', 'RFA1'],
    ['started', 'this-device', 'computer', 'RFA15A'],
    ['started', 'this-device', 'mobile', 'RFA15B'],
    ['started', 'other-device', 'computer', 'RFA15B'],
    ['started', 'other-device', 'mobile', 'RFA15B'],
    ['userSign', 'this-device', 'computer', 'RFA9'],
    ['userSign', 'other-device', 'mobile', 'RFA9'],
    ['userMrtd', 'this-device', 'mobile', 'RFA23'],
    ['userMrtd', 'other-device', 'computer', 'RFA23'],
    ['userFace', 'this-device', 'mobile', 'user-face'],
    ['userStepUp', 'other-device', 'computer', 'user-step-up'],
    ['processing', 'this-device', 'computer', 'processing'],
    ['userCallConfirm', 'this-device', 'mobile', 'RFA21'],
    ['somethingNew', 'this-device', 'computer', 'RFA21'],
    ['somethingNew', 'other-device', 'mobile', 'RFA21'],
    ['userCancel', 'other-device', 'computer', 'RFA21'],
  ];
  for (const [hint, flow, device, message] of table) {
    it(`${hint} in ${flow} on ${device} → ${message}`, () => {
      expect(pendingMessage(hint, { flow, device })).to.equal(message);
    });
  }
});

describe('messages: appHasOrder (CONTRACT §2; §4 for an unknown hint)', () => {
  const table: [string | null, boolean][] = [
    ['started', true],
    ['userSign', true],
    ['userMrtd', true],
    ['userFace', true],
    ['userStepUp', true],
    ['processing', true],
    ['somethingNew', false],
    ['userCallConfirm', false], // phone orders only; nothing an element starts
    ['outstandingTransaction', false],
    ['noClient', false],
    [null, false],
  ];
  for (const [hint, has] of table) {
    for (const flow of ['this-device', 'other-device'] as const) {
      it(`${hint} in ${flow} → ${has}`, () => {
        expect(appHasOrder(pendingMessage(hint, { flow, device: 'computer' }))).to.equal(has);
      });
    }
  }
});

describe('messages: failedOutcome (CONTRACT §4)', () => {
  it('userCancel is a cancel, not a failure, in both flows', () => {
    expect(failedOutcome('userCancel', 'this-device')).to.equal('cancelled');
    expect(failedOutcome('userCancel', 'other-device')).to.equal('cancelled');
  });

  const table: [hint: string | null, flow: Flow, code: string, message: MessageId][] = [
    ['startFailed', 'this-device', 'startFailed', 'RFA17A'],
    ['startFailed', 'other-device', 'startFailed', 'RFA17B'],
    ['cancelled', 'this-device', 'cancelled', 'RFA3'],
    ['expiredTransaction', 'other-device', 'expiredTransaction', 'RFA8'],
    ['certificateErr', 'this-device', 'certificateErr', 'RFA16'],
    ['notSupportedByUserApp', 'other-device', 'notSupportedByUserApp', 'update-app'],
    ['userDeclinedCall', 'this-device', 'userDeclinedCall', 'RFA22'],
    ['transactionRiskBlocked', 'other-device', 'transactionRiskBlocked', 'RFA22'],
    ['mrtdVerificationFailed', 'this-device', 'mrtdVerificationFailed', 'mrtd-failed'],
    ['facialRecognitionFailed', 'other-device', 'facialRecognitionFailed', 'face-failed'],
    ['nfcNotSupportedByDevice', 'this-device', 'nfcNotSupportedByDevice', 'no-nfc'],
    ['multipleBankIdsOnDevice', 'other-device', 'multipleBankIdsOnDevice', 'several-bankids'],
    ['stepUpFailed', 'this-device', 'stepUpFailed', 'step-up-failed'],
    ['somethingNew', 'this-device', 'somethingNew', 'RFA22'],
  ];
  for (const [hint, flow, code, message] of table) {
    it(`${hint} in ${flow} → ${code} / ${message}, retryable`, () => {
      expect(failedOutcome(hint, flow)).to.deep.equal({ code, message, retryable: true });
    });
  }

  it('a failure without a hint code is still a retryable RFA22 with a non-empty code', () => {
    const outcome = failedOutcome(null, 'other-device');
    expect(outcome).to.not.equal('cancelled');
    if (outcome === 'cancelled') return;
    expect(outcome.message).to.equal('RFA22');
    expect(outcome.retryable).to.equal(true);
    expect(outcome.code).to.be.a('string').and.not.equal('');
  });
});

describe('messages: startFailure (CONTRACT §4)', () => {
  const table: [name: string, problem: RequestProblem, code: string, message: MessageId][] = [
    ['network error', { kind: 'network' }, 'network', 'RFA5'],
    ['timeout', { kind: 'timeout' }, 'network', 'RFA5'],
    ['500 with errorCode', { kind: 'http', status: 500, errorCode: 'internalError' }, 'internalError', 'RFA5'],
    ['502 without errorCode', { kind: 'http', status: 502, errorCode: null }, 'network', 'RFA5'],
    ['503 maintenance', { kind: 'http', status: 503, errorCode: 'maintenance' }, 'maintenance', 'RFA5'],
    [
      '400 alreadyInProgress',
      { kind: 'http', status: 400, errorCode: 'alreadyInProgress' },
      'alreadyInProgress',
      'RFA4',
    ],
    [
      '400 invalidParameters',
      { kind: 'http', status: 400, errorCode: 'invalidParameters' },
      'invalidParameters',
      'RFA22',
    ],
    ['400 without errorCode', { kind: 'http', status: 400, errorCode: null }, 'http-400', 'RFA22'],
    ['401 without errorCode', { kind: 'http', status: 401, errorCode: null }, 'http-401', 'RFA22'],
    ['403 with errorCode', { kind: 'http', status: 403, errorCode: 'forbidden' }, 'forbidden', 'RFA22'],
    ['429 without errorCode', { kind: 'http', status: 429, errorCode: null }, 'network', 'RFA5'],
    ['429 tooManyRequests', { kind: 'http', status: 429, errorCode: 'tooManyRequests' }, 'tooManyRequests', 'RFA5'],
    ['invalid body', { kind: 'invalid' }, 'invalid-response', 'RFA22'],
  ];
  for (const [name, problem, code, message] of table) {
    it(`${name} → ${code} / ${message}, retryable`, () => {
      expect(startFailure(problem)).to.deep.equal({ code, message, retryable: true });
    });
  }
});

describe('messages: collectFailure (CONTRACT §4)', () => {
  const transient: [string, RequestProblem][] = [
    ['network error', { kind: 'network' }],
    ['timeout', { kind: 'timeout' }],
    ['invalid body', { kind: 'invalid' }],
    ['500', { kind: 'http', status: 500, errorCode: 'internalError' }],
    ['502', { kind: 'http', status: 502, errorCode: null }],
    ['503', { kind: 'http', status: 503, errorCode: 'maintenance' }],
    ['429', { kind: 'http', status: 429, errorCode: null }],
  ];
  for (const [name, problem] of transient) {
    it(`${name} → transient (retried)`, () => expect(collectFailure(problem)).to.equal('transient'));
  }

  const fatal: [string, RequestProblem, string][] = [
    ['400 invalidParameters', { kind: 'http', status: 400, errorCode: 'invalidParameters' }, 'invalidParameters'],
    ['400 without errorCode', { kind: 'http', status: 400, errorCode: null }, 'http-400'],
    ['401 without errorCode', { kind: 'http', status: 401, errorCode: null }, 'http-401'],
    ['403 without errorCode', { kind: 'http', status: 403, errorCode: null }, 'http-403'],
    ['404 notFound', { kind: 'http', status: 404, errorCode: 'notFound' }, 'notFound'],
  ];
  for (const [name, problem, code] of fatal) {
    it(`${name} → fails with ${code} / RFA22`, () => {
      expect(collectFailure(problem)).to.deep.equal({ code, message: 'RFA22', retryable: true });
    });
  }
});

describe('messages: texts and labels in both languages', () => {
  let element: BankIdLogin;

  /** Switches the page-wide locale through a <bankid-login lang=…> and waits until it applies. */
  async function useLocale(lang: 'sv' | 'en'): Promise<void> {
    element.lang = lang;
    await element.updateComplete;
    await element.updateComplete;
    const expected = lang === 'sv' ? 'Avbryt' : 'Cancel';
    for (let i = 0; i < 50 && labels.cancel() !== expected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(labels.cancel(), `locale ${lang} did not apply`).to.equal(expected);
  }

  /** Every text of every message in every context, with a name for failure output. */
  function allTexts(): { name: string; text: string; content: string | TemplateResult }[] {
    const out: { name: string; text: string; content: string | TemplateResult }[] = [];
    for (const id of ALL_IDS)
      for (const context of CONTEXTS)
        for (const button of [false, true]) {
          const content = messageText(id, context, button);
          out.push({ name: `${id} ${JSON.stringify(context)} button=${button}`, text: textOf(content), content });
        }
    return out;
  }

  function allLabels(): { name: string; text: string }[] {
    return [
      { name: 'begin auth', text: labels.begin('auth') },
      { name: 'begin sign', text: labels.begin('sign') },
      { name: 'launch computer', text: labels.launch('computer') },
      { name: 'launch mobile', text: labels.launch('mobile') },
      { name: 'retry', text: labels.retry() },
      { name: 'cancel', text: labels.cancel() },
      { name: 'to other device', text: labels.toOtherDevice() },
      { name: 'to this computer', text: labels.toThisDevice('computer') },
      { name: 'to this device', text: labels.toThisDevice('mobile') },
      { name: 'help', text: labels.help() },
      { name: 'qr', text: labels.qr() },
    ];
  }

  before(async () => {
    element = document.createElement('bankid-login');
    element.setAttribute('lang', 'sv');
    document.body.append(element);
    await useLocale('sv');
  });
  after(() => element.remove());

  describe('Swedish', () => {
    before(() => useLocale('sv'));

    it('has the exact labels of CONTRACT §6', () => {
      expect({
        begin: labels.begin('auth'),
        launchComputer: labels.launch('computer'),
        launchPhone: labels.launch('mobile'),
        retry: labels.retry(),
        cancel: labels.cancel(),
        toOther: labels.toOtherDevice(),
        toComputer: labels.toThisDevice('computer'),
        toDevice: labels.toThisDevice('mobile'),
        help: labels.help(),
      }).to.deep.equal({
        begin: 'Logga in med BankID',
        launchComputer: 'Starta BankID säkerhetsprogram',
        launchPhone: 'Starta BankID-appen',
        retry: 'Försök igen',
        cancel: 'Avbryt',
        toOther: 'BankID på annan enhet',
        toComputer: 'BankID på den här datorn',
        toDevice: 'BankID på den här enheten',
        help: 'Problem med BankID?',
      });
    });

    it('the QR code name contains "QR"', () => expect(labels.qr()).to.contain('QR'));

    it('every message has a non-empty text in every context', () => {
      for (const { name, text } of allTexts()) expect(text, name).to.not.equal('');
      for (const { name, text } of allLabels()) expect(text, name).to.not.equal('');
    });

    it('no English slips into the Swedish texts', () => {
      const english = /\b(the|and|your|you|please|with|again|BankID app|Security Application|Cancel|Try)\b/i;
      for (const { name, text } of [...allTexts(), ...allLabels()]) expect(text, name).to.not.match(english);
    });

    it('speaks of the security program on computers and the app on phones', () => {
      const computer: MessageContext = { flow: 'this-device', device: 'computer', operation: 'auth' };
      const phone: MessageContext = { ...computer, device: 'mobile' };
      expect(textOf(messageText('RFA13', computer))).to.contain('BankID säkerhetsprogram');
      expect(textOf(messageText('RFA13', phone))).to.contain('BankID-appen');
      expect(textOf(messageText('RFA17A', computer))).to.contain('säkerhetsprogram');
      expect(textOf(messageText('RFA17A', phone))).to.contain('BankID-appen');
    });

    it('words RFA9 for identifying and for signing', () => {
      const auth = textOf(messageText('RFA9', CONTEXTS[0]!));
      const sign = textOf(messageText('RFA9', { ...CONTEXTS[0]!, operation: 'sign' }));
      expect(auth).to.contain('Identifiera');
      expect(sign).to.contain('Skriv under');
    });
  });

  describe('English', () => {
    before(() => useLocale('en'));
    after(() => useLocale('sv'));

    it('has the exact labels of CONTRACT §6', () => {
      expect({
        begin: labels.begin('auth'),
        launchComputer: labels.launch('computer'),
        launchPhone: labels.launch('mobile'),
        retry: labels.retry(),
        cancel: labels.cancel(),
        toOther: labels.toOtherDevice(),
        toComputer: labels.toThisDevice('computer'),
        toDevice: labels.toThisDevice('mobile'),
        help: labels.help(),
      }).to.deep.equal({
        begin: 'Log in with BankID',
        launchComputer: 'Start the BankID Security Application',
        launchPhone: 'Start the BankID app',
        retry: 'Try again',
        cancel: 'Cancel',
        toOther: 'BankID on another device',
        toComputer: 'BankID on this computer',
        toDevice: 'BankID on this device',
        help: 'Problems with BankID?',
      });
    });

    it('the QR code name contains "QR"', () => expect(labels.qr()).to.contain('QR'));

    it('every message has a non-empty text in every context', () => {
      for (const { name, text } of allTexts()) expect(text, name).to.not.equal('');
      for (const { name, text } of allLabels()) expect(text, name).to.not.equal('');
    });

    it('words RFA9 for identifying and for signing', () => {
      expect(textOf(messageText('RFA9', CONTEXTS[0]!))).to.contain('Identify');
      expect(textOf(messageText('RFA9', { ...CONTEXTS[0]!, operation: 'sign' }))).to.contain('Sign');
    });
  });

  it('every Swedish text differs from its English one (all are translated)', async () => {
    await useLocale('en');
    const en = [...allTexts(), ...allLabels()];
    await useLocale('sv');
    const sv = [...allTexts(), ...allLabels()];
    expect(sv.length).to.equal(en.length);
    sv.forEach((row, i) => expect(row.text, row.name).to.not.equal(en[i]!.text));
  });

  for (const lang of ['sv', 'en'] as const) {
    it(`${lang}: RFA17A, RFA17B and update-app link to ${INSTALL} in every context`, async () => {
      await useLocale(lang);
      for (const id of ['RFA17A', 'RFA17B', 'update-app'] as MessageId[]) {
        for (const context of CONTEXTS) {
          const links = [...rendered(messageText(id, context)).querySelectorAll('a')];
          const name = `${lang} ${id} ${context.device}`;
          expect(
            links.map((a) => a.getAttribute('href')),
            name,
          ).to.include(INSTALL);
          expect(
            links.every((a) => a.textContent?.trim()),
            name,
          ).to.equal(true);
        }
      }
    });

    it(`${lang}: other messages are plain text, with no links`, async () => {
      await useLocale(lang);
      for (const id of ALL_IDS.filter((m) => !['RFA17A', 'RFA17B', 'update-app'].includes(m))) {
        for (const context of CONTEXTS) {
          expect(rendered(messageText(id, context)).querySelector('a'), id).to.equal(null);
        }
      }
    });

    it(`${lang}: the help links to install.bankid.com and support.bankid.com`, async () => {
      await useLocale(lang);
      const hrefs = [...rendered(helpContent()).querySelectorAll('a')].map((a) => a.getAttribute('href'));
      expect(hrefs).to.include(INSTALL);
      expect(hrefs).to.include('https://support.bankid.com');
    });
  }
});
