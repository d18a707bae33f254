// The Redis store against a real redis-server (started here on a free loopback port): the store's
// contract, and two backend instances sharing it the way a fleet behind a load balancer would.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { createBankIdBackend } from '../index.js';
import { createRedisStore, type RedisStore } from '../redis.js';
import { API, Browser, KEY, completionData, fakeBankId } from './support.js';

const execFileAsync = promisify(execFile);

let server: ChildProcess;
let url = '';
const stores: RedisStore[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  server.on('error', (error) => {
    throw new Error(`redis-server could not start (apt-get install redis-server): ${error.message}`);
  });
  const probe = createClient({ url });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await probe.close();
});

after(async () => {
  await Promise.all(stores.map((store) => store.close()));
  server?.kill();
});

const newStore = (prefix = `t${Math.random().toString(36).slice(2)}`): RedisStore => {
  const store = createRedisStore({ url, prefix });
  stores.push(store);
  return store;
};

describe('createRedisStore: the store contract', () => {
  test('takeTokens takes from every bucket or from none, refilling with time', async () => {
    const store = newStore();
    const a = { key: 'a', burst: 2, perMinute: 60 };
    const b = { key: 'b', burst: 1, perMinute: 60 };
    assert.equal(await store.takeTokens([a, b]), 0);
    const wait = await store.takeTokens([a, b]);
    assert.ok(wait > 900 && wait <= 1000, `${wait}`);
    assert.equal(await store.takeTokens([a]), 0, 'a kept its token when b refused');
    assert.ok((await store.takeTokens([a])) > 0);
  });

  test('claimOnce has one winner among concurrent callers', async () => {
    const store = newStore();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claimOnce('order-1', 60_000)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  test('collectTurn: one turn per period among concurrent callers; the recorded answer is shared', async () => {
    const store = newStore();
    const turns = await Promise.all(Array.from({ length: 10 }, () => store.collectTurn('o', 2000)));
    assert.equal(turns.filter((t) => t.turn).length, 1);
    assert.ok(turns.every((t) => t.last === null));
    await store.recordCollect('o', 'userSign', 60_000);
    assert.deepEqual(await store.collectTurn('o', 2000), { turn: false, last: 'userSign' });
    // A final record ('!…') is never replaced by a late answer.
    await store.recordCollect('o', '!ended', 60_000);
    await store.recordCollect('o', 'userSign', 60_000);
    assert.equal((await store.collectTurn('o', 2000)).last, '!ended');
  });

  test('works with a client you made: node-redis or ioredis', async () => {
    const nodeRedis = createClient({ url });
    await nodeRedis.connect();
    const io = new Redis(url);
    try {
      for (const client of [nodeRedis, io]) {
        const store = createRedisStore({ client: client as never, prefix: `c${Math.random().toString(36).slice(2)}` });
        assert.equal(await store.claimOnce('x', 1000), true);
        assert.equal(await store.claimOnce('x', 1000), false);
        assert.equal(await store.takeTokens([{ key: 'k', burst: 1, perMinute: 1 }]), 0);
        assert.deepEqual(await store.collectTurn('o', 1000), { turn: true, last: null });
      }
    } finally {
      await nodeRedis.close();
      io.disconnect();
    }
  });

  test('option mistakes are TypeErrors', () => {
    assert.throws(() => createRedisStore({} as never), /either \{ url \} or \{ client \}/);
    assert.throws(() => createRedisStore({ client: {} }), /node-redis .* or ioredis/);
    // An unset variable, passed as the README shows it (and typed so, also under exactOptionalPropertyTypes).
    const unset: string | undefined = process.env['BANKID_LOGIN_NO_SUCH_VARIABLE'];
    assert.throws(() => createRedisStore({ url: unset }), /either \{ url \} or \{ client \}/);
  });

  test("with your own client the entry works where the 'redis' package is not installed", async () => {
    // A child process in which resolving 'redis' fails, as in an app that has only ioredis.
    const hooks = `export async function resolve(specifier, context, next) {
      if (specifier === 'redis') throw Object.assign(new Error('Cannot find package redis'), { code: 'ERR_MODULE_NOT_FOUND' });
      return next(specifier, context);
    }`;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
      const { createRedisStore } = await import(${JSON.stringify(new URL('../redis.ts', import.meta.url).href)});
      const calls = [];
      const store = createRedisStore({ client: { call: async (...args) => (calls.push(args[0]), 'OK') } });
      console.log(await store.claimOnce('x', 1000), calls.join());
      await import('redis').then(() => console.log('redis loaded'), () => console.log('no redis'));
    `;
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    assert.equal(stdout.trim(), 'true SET\nno redis');
  });

  test('Redis unreachable: the backend answers 500 (fails closed) and logs, and does not crash', async () => {
    const logs: string[] = [];
    const store = createRedisStore({ url: `redis://127.0.0.1:${await freePort()}`, log: (line) => logs.push(line) });
    stores.push(store);
    const bankid = fakeBankId();
    const backend = createBankIdBackend({
      rp: bankid.rp,
      cookieKey: KEY,
      userVisibleData: 'x',
      store,
      log: (l) => logs.push(l),
    });
    const answer = await Promise.race([
      new Browser(backend).start(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5000)),
    ]);
    assert.equal(answer.status, 500);
    assert.equal(bankid.count('auth'), 0);
  });
});

describe('two backend instances on one Redis', () => {
  function fleet(options: { collectEveryMs?: number } = {}) {
    const bankid = fakeBankId();
    const prefix = `f${Math.random().toString(36).slice(2)}`;
    let completions = 0;
    const make = () =>
      createBankIdBackend({
        rp: bankid.rp,
        cookieKey: KEY,
        userVisibleData: 'Logga in',
        store: newStore(prefix),
        log: () => {},
        onComplete: () => void completions++,
        ...options,
      });
    return { bankid, a: make(), b: make(), completions: () => completions };
  }

  test('an order cookie replayed to the other instance reaches onComplete once', async () => {
    const { bankid, a, b, completions } = fleet({ collectEveryMs: 1000 });
    const browser = new Browser(a);
    const orderRef = (await browser.start()).json['orderRef'] as string;
    const copied = browser.cookieHeader();
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData(),
    }));
    assert.equal((await browser.collect(orderRef)).json['status'], 'complete');
    // Both BankID answers would say complete if asked; the fleet must not ask, nor complete again.
    bankid.queue('collect', (ref: unknown) => ({
      orderRef: ref,
      status: 'complete',
      completionData: completionData(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replay = await new Browser(b).post(`${API}/collect`, { orderRef }, { headers: { Cookie: copied } });
    assert.equal(replay.status, 400);
    assert.equal(completions(), 1);
    assert.equal(bankid.count('collect'), 1);
  });

  test("a client's start limit holds across both instances", async () => {
    const { a, b } = fleet();
    const results: number[] = [];
    for (let i = 0; i < 8; i++) results.push((await new Browser(i % 2 ? a : b, '198.51.100.20').start()).status);
    assert.deepEqual(results, [200, 200, 200, 200, 200, 429, 429, 429]);
  });

  test("BankID's collect for one order is called at most once per 2 s across both", async () => {
    const { bankid, a, b } = fleet();
    const browser = new Browser(a);
    const orderRef = (await browser.start()).json['orderRef'] as string;
    const cookies = browser.cookieHeader();
    const started = Date.now();
    let i = 0;
    while (Date.now() - started < 4500) {
      const answer = await new Browser(i % 2 ? a : b, `198.51.100.${i++ % 250}`).post(
        `${API}/collect`,
        { orderRef },
        { headers: { Cookie: cookies } },
      );
      assert.equal(answer.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(i > 30, `${i} polls`);
    assert.equal(bankid.count('collect'), 3, 'at 0, 2 and 4 s');
  });
});
