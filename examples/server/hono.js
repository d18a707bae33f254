// @ts-check
// Hono on Node: the backend is a Fetch handler, so it takes Hono's Request as it is.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { backend, host, port, stopOnSignals } from './bankid.js';

const app = new Hono();
app.all('/api/bankid/*', async (c, next) => {
  // The socket's address: the backend needs it for BankID's endUserIp and its rate limits.
  const clientAddress = getConnInfo(c).remote.address ?? '';
  const answer = await backend.fetch(c.req.raw, { clientAddress });
  return answer ?? next(); // null: not one of the four endpoints, so on to your routes or Hono's 404
});
app.get('/', (c) => c.text('Your page with <bankid-login api="/api/bankid"> goes here\n'));

const server = /** @type {import('node:http').Server} */ (
  serve({ fetch: app.fetch, port, hostname: host }, (info) => console.log(`listening on http://${host}:${info.port}`))
);
server.headersTimeout = 10_000;
server.requestTimeout = 15_000;
server.maxConnections = 200;
stopOnSignals(() => new Promise((resolve) => server.close(resolve)));
