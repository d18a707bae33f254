// Type test: <bankid-login> in React 19 TSX with nothing written by hand but the import of
// 'bankid-login/react'. It compiles only if every usage in Good is accepted and every line marked
// as an expected error is one (an unused expect-error directive is an error itself).
import { useRef } from 'react';
import 'bankid-login/define';
import type {} from 'bankid-login/react';
import type { BankIdLogin, BankIdCompleteEvent } from 'bankid-login';

export function Good() {
  const ref = useRef<BankIdLogin>(null);
  const onComplete = (event: BankIdCompleteEvent) => console.log(event.detail.response);
  return (
    <>
      <bankid-login
        ref={ref}
        api="/api/bankid"
        flow="other-device"
        operation="sign"
        lang="en"
        launch-button-delay="3000"
        start-on-connect
        return-url="/back"
        headers={{ 'X-CSRF-Token': 'token' }}
        messages={{ 'label-begin': 'Log in to My pages' }}
        onbankid-complete={onComplete}
        onbankid-start={(event) => console.log(event.detail.orderRef, event.detail.flow)}
        onbankid-failed={(event) => console.log(event.detail.code, event.detail.retryable)}
        onbankid-launch={(event) => event.preventDefault()}
        className="login"
        id="login"
      />
      <bankid-login api="/api/bankid" launchButtonDelay={3000} startOnConnect={false} returnUrl="/x" />
    </>
  );
}

export function Bad() {
  return (
    <>
      {/* @ts-expect-error flow is auto | this-device | other-device */}
      <bankid-login api="/api/bankid" flow="phone" />
      {/* @ts-expect-error operation is auth | sign */}
      <bankid-login api="/api/bankid" operation="login" />
      {/* @ts-expect-error headers is an object of strings */}
      <bankid-login api="/api/bankid" headers="X-CSRF-Token: t" />
      {/* @ts-expect-error header values are strings */}
      <bankid-login api="/api/bankid" headers={{ 'X-Count': 1 }} />
      {/* @ts-expect-error launchButtonDelay is a number */}
      <bankid-login api="/api/bankid" launchButtonDelay="soon" />
      {/* @ts-expect-error the detail of bankid-complete has no hintCode */}
      <bankid-login api="/api/bankid" onbankid-complete={(event) => event.detail.hintCode} />
      {/* @ts-expect-error the detail of bankid-start has no code */}
      <bankid-login api="/api/bankid" onbankid-start={(event) => event.detail.code} />
      {/* @ts-expect-error a text id that does not exist */}
      <bankid-login api="/api/bankid" messages={{ 'label-nope': 'x' }} />
      {/* @ts-expect-error React 19 listens to the exact event name only: onbankid-complete */}
      <bankid-login api="/api/bankid" onBankidComplete={() => undefined} />
      {/* @ts-expect-error start-on-connect is a boolean attribute */}
      <bankid-login api="/api/bankid" start-on-connect="yes" />
      {/* @ts-expect-error the ref is a BankIdLogin, not an input */}
      <bankid-login api="/api/bankid" ref={useRef<HTMLInputElement>(null)} />
    </>
  );
}
