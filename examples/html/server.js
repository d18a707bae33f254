// @ts-check
// The script-tag host: one Express server for the page, the element's bundle and the BankID endpoints,
// all on one origin (no proxy, so no Host/Origin mismatch).
//
//   BANKID_URL, BANKID_PFX, BANKID_PASSPHRASE, BANKID_CA   BankID's RP API and your certificate
//   BANKID_COOKIE_KEY   32 random bytes in base64 (unset: a random key, orders do not survive a restart)
//   PUBLIC_ORIGIN       the origin your users see (required when NODE_ENV=production)
//   PORT, HOST          default 3000 and 127.0.0.1 (PORT=0 picks a free port)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { cookieKeyFromEnv, createBankIdBackend, createRpClient } from 'bankid-login/server';

const env = process.env;
const required = (/** @type {string} */ name) => env[name] || (console.error(`${name} is not set`), process.exit(1));

const rp = createRpClient({
  url: required('BANKID_URL'),
  pfx: readFileSync(required('BANKID_PFX')),
  passphrase: required('BANKID_PASSPHRASE'),
  ca: readFileSync(required('BANKID_CA')),
});
const backend = createBankIdBackend({
  rp,
  cookieKey: cookieKeyFromEnv(),
  ...(env['PUBLIC_ORIGIN'] ? { publicOrigin: env['PUBLIC_ORIGIN'] } : {}),
  userVisibleData: 'Logga in på Exempelbutiken',
  // Log the user in here (completion.completionData.user); the answer reaches the page as detail.response.
  onComplete: async () => ({ redirect: '/mina-sidor' }),
});

const app = express();
app.use(backend.nodeListener); // POST /api/bankid/{auth,sign,collect,cancel}
// The bundle from the installed package, under a path of your choosing.
const bundle = fileURLToPath(import.meta.resolve('bankid-login/bundle'));
app.get('/bankid-login.bundle.js', (_req, res) => res.sendFile(bundle));
app.use(express.static(fileURLToPath(new URL('public', import.meta.url)), { extensions: ['html'] }));

const server = app.listen(Number(env['PORT'] ?? 3000), env['HOST'] || '127.0.0.1', (error) => {
  if (error) throw error;
  const { address, port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://${address}:${port}`);
});
server.headersTimeout = 10_000;
server.requestTimeout = 15_000;
const stop = () => server.close(() => rp.close());
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
