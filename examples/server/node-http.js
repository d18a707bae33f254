// @ts-check
// Plain node:http: the backend answers /api/bankid/*, everything else is yours.
import { createServer } from 'node:http';
import { backend, host, port, stopOnSignals } from './bankid.js';

const server = createServer((req, res) => {
  backend.nodeListener(req, res, () => {
    // Not a BankID endpoint: your own routes go here.
    const found = req.url === '/';
    res.writeHead(found ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(found ? 'Your page with <bankid-login api="/api/bankid"> goes here\n' : 'Not found\n');
  });
});
// Slow or idle clients cannot hold the server: node:http's defaults are minutes long.
server.headersTimeout = 10_000;
server.requestTimeout = 15_000;
server.maxConnections = 200;

server.listen(port, host, () => {
  const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://${host}:${actual}`);
});
stopOnSignals(() => new Promise((resolve) => server.close(resolve)));
