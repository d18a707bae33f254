import { expect } from '@open-wc/testing';
import { launcher } from '../src/launcher.js';

const URL_ = 'https://app.bankid.com/?autostarttoken=0b8a3a7e-5c1d-4f2a-9e3b-6d7c8f9a0b1c&redirect=null';

interface Click {
  href: string;
  referrerPolicy: string;
  connected: boolean;
  hidden: boolean;
}

describe('launcher.open', () => {
  let clicks: Click[];
  let anchor: HTMLAnchorElement | undefined;

  // Capture phase on document: runs before anything else and stops the navigation.
  const onClick = (event: Event) => {
    const target = event.target as HTMLAnchorElement;
    anchor = target;
    clicks.push({
      href: target.href,
      referrerPolicy: target.referrerPolicy,
      connected: target.isConnected,
      hidden: target.hidden,
    });
    event.preventDefault();
  };

  beforeEach(() => {
    clicks = [];
    anchor = undefined;
    document.addEventListener('click', onClick, true);
  });

  afterEach(() => {
    document.removeEventListener('click', onClick, true);
  });

  it('clicks a hidden anchor with the URL and referrer policy, then removes it', () => {
    const before = document.body.childElementCount;
    launcher.open(URL_, { referrerPolicy: 'origin' });

    expect(clicks).to.deep.equal([{ href: URL_, referrerPolicy: 'origin', connected: true, hidden: true }]);
    expect(anchor).to.be.instanceOf(HTMLAnchorElement);
    expect(anchor!.isConnected).to.equal(false);
    expect(document.body.childElementCount).to.equal(before);
    expect(document.querySelector(`a[href="${URL_}"]`)).to.equal(null);
  });

  it('leaves the referrer policy at the default when none is given', () => {
    launcher.open(URL_);

    expect(clicks).to.have.length(1);
    expect(clicks[0]!.href).to.equal(URL_);
    expect(clicks[0]!.referrerPolicy).to.equal('');
    expect(anchor!.isConnected).to.equal(false);
  });
});
