// The one place that opens the BankID app, so tests can replace it and never navigate.

export interface LaunchOptions {
  referrerPolicy?: ReferrerPolicy;
}

/** Tests replace `launcher.open` (e.g. sinon.stub(launcher, 'open')) so they never really navigate. */
export const launcher = {
  open(url: string, options: LaunchOptions = {}): void {
    // Clicking an anchor is BankID's recommended way: `location.href` is unreliable for iOS universal links.
    const anchor = document.createElement('a');
    anchor.href = url;
    if (options.referrerPolicy !== undefined) anchor.referrerPolicy = options.referrerPolicy;
    anchor.hidden = true;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
  },
};
