// @ts-check
// The part every example shares: a BankID backend set up from the environment.
//
//   BANKID_URL         BankID's RP API, e.g. https://appapi2.test.bankid.com/rp/v6.0/
//   BANKID_PFX         path to your RP certificate (PKCS#12)
//   BANKID_PASSPHRASE  its passphrase
//   BANKID_CA          path to the PEM of BankID's server CA: the only CA trusted for BankID
//   BANKID_COOKIE_KEY  32 random bytes in base64, the same on every instance
//   BANKID_PREVIOUS_COOKIE_KEYS  while you change the key: the old one (comma-separated), still read
//   PUBLIC_ORIGIN      the origin your users see, e.g. https://shop.example (required in production)
//   PORT, HOST         where to listen (default 3000 and 127.0.0.1; PORT=0 picks a free port)

import { readFileSync } from 'node:fs';
import { cookieKeyFromEnv, createBankIdBackend, createRpClient, previousCookieKeysFromEnv } from 'bankid-login/server';

const env = process.env;

/** @param {string} name @returns {string} */
function required(name) {
  const value = env[name];
  if (!value) {
    console.error(`${name} is not set. See examples/server/README.md.`);
    process.exit(1);
  }
  return value;
}

export const rp = createRpClient({
  url: required('BANKID_URL'),
  pfx: readFileSync(required('BANKID_PFX')),
  passphrase: required('BANKID_PASSPHRASE'),
  ca: readFileSync(required('BANKID_CA')),
});

export const backend = createBankIdBackend({
  rp,
  cookieKey: cookieKeyFromEnv(),
  previousCookieKeys: previousCookieKeysFromEnv(),
  ...(env['PUBLIC_ORIGIN'] ? { publicOrigin: env['PUBLIC_ORIGIN'] } : {}),
  userVisibleData: 'Logga in på Exempelbutiken',
  // Called once per completed login. Log the user in here: completion.completionData.user says who
  // it is (personalNumber, name). Start your own session for that user (reply.headers takes a
  // Set-Cookie line) and keep completionData (signature, ocspResponse) for your records.
  // What you return reaches the page as the bankid-complete event's detail.response.
  // completion.flow === 'this-device' with completion.deviceIpMatches === null: BankID saw the app
  // on IPv4 and this browser on IPv6 (or the other way round), so a forwarded autostart link cannot
  // be ruled out. Ask for one more step there, or set deviceAddressCheck: 'strict'
  // (server/README.md, "The device check").
  onComplete: async (_completion, _request, _reply) => ({ redirect: '/mina-sidor' }),
});

export const host = env['HOST'] || '127.0.0.1';
export const port = Number(env['PORT'] || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a whole number from 0 to 65535, got ${env['PORT']}`);
  process.exit(1);
}

/**
 * Stops cleanly on SIGTERM and SIGINT (Ctrl-C): `close` stops the server, then the kept-alive
 * connections to BankID are dropped and the process ends on its own. A second signal ends it at once.
 * @param {() => unknown} close
 */
export function stopOnSignals(close) {
  const stop = async () => {
    await close();
    rp.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
