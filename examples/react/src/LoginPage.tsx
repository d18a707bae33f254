import { Link, useNavigate } from 'react-router';
import type { BankIdFailedEvent } from 'bankid-login';

// Sent with every request to your backend (here from the page's <meta name="csrf-token">).
const headers = { 'X-CSRF-Token': document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '' };

function onFailed(event: BankIdFailedEvent) {
  // 'forbidden' here means the backend refused the request as cross-origin: see the proxy in vite.config.ts.
  console.warn('BankID failed:', event.detail.code);
}

export function LoginPage() {
  const navigate = useNavigate();
  return (
    <>
      <h1>Logga in</h1>
      {/* React 19 listens to a custom event through on + its exact name: onbankid-complete. */}
      <bankid-login
        api="/api/bankid"
        headers={headers}
        onbankid-complete={(event) => {
          // event.detail.response is what your backend's onComplete returned, e.g. { redirect: '/mina-sidor' }.
          console.info('logged in', event.detail.orderRef);
          void navigate('/mina-sidor');
        }}
        onbankid-failed={onFailed}
      />
      <p>
        <Link to="/om">Om inloggningen</Link>
      </p>
    </>
  );
}
