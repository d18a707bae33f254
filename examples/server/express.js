// @ts-check
// Express 5: the backend is one middleware for /api/bankid/*.
import express from 'express';
import { backend, host, port, stopOnSignals } from './bankid.js';

const app = express();
// It matches /api/bankid/* itself, so no mount path is needed (one works too: it reads the full
// URL). Mount it before any body parser; if express.json() runs first, it reads req.body instead.
app.use(backend.nodeListener);
app.get('/', (_req, res) => {
  res.type('text/plain').send('Your page with <bankid-login api="/api/bankid"> goes here\n');
});

const server = app.listen(port, host, (error) => {
  if (error) throw error;
  const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://${host}:${actual}`);
});
server.headersTimeout = 10_000;
server.requestTimeout = 15_000;
server.maxConnections = 200;
stopOnSignals(() => new Promise((resolve) => server.close(resolve)));
