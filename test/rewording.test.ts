/**
 * A page's own wording (`messages`, property or JSON attribute) and `<bankid-login hidden>`: what a
 * site editor changes without a build, and what stays ours.
 */
import { fixture, html, expect } from '@open-wc/testing';
import sinon from 'sinon';
import '../src/define.js';
import type { BankIdLogin } from '../src/bankid-login.js';
import {
  API,
  buttonNamed,
  buttonNames,
  computer,
  orderRefOf,
  textOf,
  installFakes,
  removeFakes,
  type Fakes,
} from './support.js';

describe('rewording (messages)', () => {
  let fakes: Fakes;
  beforeEach(() => {
    fakes = installFakes();
  });
  afterEach(() => removeFakes(fakes.clock));

  async function mount(template = html`<bankid-login api=${API} lang="sv" flow="other-device"></bankid-login>`) {
    const el = await fixture<BankIdLogin>(template);
    el.platform = computer;
    await el.updateComplete;
    return el;
  }

  it('the property rewords labels and status lines; the button keeps its part and its role', async () => {
    const el = await mount();
    el.messages = { 'label-begin': 'Logga in på Mina sidor', rfa1: 'Skanna koden med BankID-appen.' };
    await el.updateComplete;
    const begin = buttonNamed(el, 'Logga in på Mina sidor');
    expect(begin?.getAttribute('part')).to.equal('button begin');
    begin!.click();
    await fakes.clock.tickAsync(1100);
    await el.updateComplete;
    expect(textOf(el)).to.contain('Skanna koden med BankID-appen.');
    expect(buttonNames(el)).to.include('Avbryt', 'texts not reworded stay ours');
  });

  it('the JSON attribute works for a CMS; bad JSON and unknown ids are warned about and ignored', async () => {
    const warn = sinon.stub(console, 'warn');
    const el = await mount(
      html`<bankid-login
        api=${API}
        lang="en"
        messages='{"label-begin":"Sign in to My pages","label-typo":"x","label-cancel":42}'
      ></bankid-login>`,
    );
    expect(buttonNames(el)).to.include('Sign in to My pages');
    expect(warn.callCount).to.equal(2);
    el.setAttribute('messages', '{not json');
    await el.updateComplete;
    expect(buttonNames(el)).to.include('Log in with BankID');
    expect(warn.lastCall.args[0]).to.match(/not JSON/);
  });

  it('a reworded text is text, never markup; an empty one falls back to ours', async () => {
    const el = await mount();
    el.messages = { 'label-begin': '<img src=x onerror=alert(1)>', 'label-help': '  ' };
    await el.updateComplete;
    expect(buttonNames(el)).to.include('<img src=x onerror=alert(1)>');
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
    expect(buttonNames(el)).to.include('Problem med BankID?');
  });

  it('texts with the install link cannot be reworded (the link must stay); the attempt is warned about', async () => {
    const warn = sinon.stub(console, 'warn');
    const attribute = await mount(html`<bankid-login api=${API} messages='{"rfa17b":"Nope"}'></bankid-login>`);
    expect(attribute.messages).to.deep.equal({});
    expect(warn.lastCall.args[0]).to.match(/"rfa17b" is not a text that can be reworded/);
    const el = await mount(html`<bankid-login api=${API} lang="sv" flow="this-device"></bankid-login>`);
    (el as unknown as { messages: Record<string, string> }).messages = { 'rfa17a-computer': 'Nope' };
    fakes.backend.reply('collect', { json: { orderRef: orderRefOf(1), status: 'failed', hintCode: 'startFailed' } });
    await el.start();
    await fakes.clock.tickAsync(2100);
    await el.updateComplete;
    expect(el.state).to.equal('failed');
    expect(textOf(el)).to.not.contain('Nope');
    expect(el.shadowRoot!.querySelector('.message a')?.getAttribute('href')).to.equal('https://install.bankid.com');
  });
});

describe('<bankid-login hidden>', () => {
  it('is hidden, and shows again without the attribute', async () => {
    const el = await fixture<BankIdLogin>(html`<bankid-login api=${API} hidden></bankid-login>`);
    expect(getComputedStyle(el).display).to.equal('none');
    el.hidden = false;
    await el.updateComplete;
    expect(getComputedStyle(el).display).to.equal('block');
  });
});
