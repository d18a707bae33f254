// @ts-check
// Fastify 5: the backend runs as middleware through @fastify/middie.
import Fastify from 'fastify';
import middie from '@fastify/middie';
import { backend, host, port, stopOnSignals } from './bankid.js';

const fastify = Fastify({ connectionTimeout: 10_000, requestTimeout: 15_000 });
fastify.server.maxConnections = 200;
await fastify.register(middie);
// Without a path: it matches /api/bankid/* itself (middie would strip a mount path from req.url).
fastify.use(backend.nodeListener);
fastify.get('/', async (_request, reply) => {
  reply.type('text/plain; charset=utf-8');
  return 'Your page with <bankid-login api="/api/bankid"> goes here\n';
});

await fastify.listen({ port, host });
const { port: actual } = /** @type {import('node:net').AddressInfo} */ (fastify.server.address());
console.log(`listening on http://${host}:${actual}`);
stopOnSignals(() => fastify.close());
