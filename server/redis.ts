// bankid-login/server/redis: the store for many instances (store.ts) on Redis, so a fleet behind a
// load balancer holds every limit together: rate-limit buckets, the one-time claim of a completed
// order, and the per-order pace of BankID's collect.
//
// Each operation is one round trip and atomic (a Lua script, or SET NX). Time comes from Redis
// itself (TIME), so instances with slightly different clocks still agree. All keys carry one hash
// tag, so a script's keys always sit together on one Redis Cluster node.

import { createHash } from 'node:crypto';
import type { BankIdStore, TokenBucket } from './store.js';

/** The commands we need, from a node-redis client (sendCommand) or an ioredis one (call). */
export interface RedisClientLike {
  sendCommand?(args: string[]): Promise<unknown>;
  call?(command: string, ...args: string[]): Promise<unknown>;
}

export interface RedisStoreOptions {
  /** A Redis URL such as redis://localhost:6379 (rediss:// for TLS); the store makes and owns the client. */
  url?: string | undefined; // `| undefined`: process.env.REDIS_URL goes in as it is (exactOptionalPropertyTypes)
  /** Or a client you made and connected (node-redis v4+ or ioredis); you close it. */
  client?: RedisClientLike;
  /** Key prefix; default 'bankid-login'. Keys look like `{bankid-login}:bucket:<key>`. */
  prefix?: string;
  /** Where connection problems are reported; default console.error. */
  log?: (line: string) => void;
}

export interface RedisStore extends BankIdStore {
  /** Closes the client the store made from `url` (a client you passed stays yours). */
  close(): Promise<void>;
}

/** Token buckets, all or none. ARGV: burst and perMinute per key. Returns 0, or ms to wait. */
const TAKE_TOKENS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local tokens = {}
local wait = 0
for i = 1, #KEYS do
  local burst = tonumber(ARGV[2 * i - 1])
  local perMs = tonumber(ARGV[2 * i]) / 60000
  local saved = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local have = burst
  if saved[1] then have = math.min(burst, tonumber(saved[1]) + math.max(0, now - tonumber(saved[2])) * perMs) end
  tokens[i] = have
  if have < 1 then wait = math.max(wait, math.ceil((1 - have) / perMs)) end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  local burst = tonumber(ARGV[2 * i - 1])
  local perMs = tonumber(ARGV[2 * i]) / 60000
  redis.call('HSET', KEYS[i], 'tokens', tostring(tokens[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / perMs) + 1000)
end
return 0
`;

/** KEYS: the turn key, the record key. ARGV: everyMs. Returns {1|0, last or ''}. */
const COLLECT_TURN = `
local last = redis.call('GET', KEYS[2])
local turn = redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1])
return { turn and 1 or 0, last or '' }
`;

/** KEYS: the record key. ARGV: the record, its ttl. A final record ('!…') is never replaced. */
const RECORD_COLLECT = `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) == '!' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

interface Script {
  text: string;
  sha: string;
}
const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const SCRIPTS = {
  takeTokens: script(TAKE_TOKENS),
  collectTurn: script(COLLECT_TURN),
  recordCollect: script(RECORD_COLLECT),
};

/** How long a request waits for a Redis connection before it fails. */
const CONNECT_WAIT_MS = 2000;

/** The part of a node-redis client the store uses when it owns one. */
interface OwnedClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<unknown>;
  destroy(): void;
}

/** Resolves once the client is ready, or rejects after `ms`. */
function whenReady(client: OwnedClient, ms: number): Promise<void> {
  if (client.isReady) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', done);
      reject(new Error(`Redis is not reachable (waited ${ms} ms)`));
    }, ms);
    client.on('ready', done);
  });
}

/**
 * The store on Redis. With `url` the store connects on first use and reconnects by itself; while
 * Redis is unreachable every request that needs it fails (500), which is the safe way to fail.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { url, prefix = 'bankid-login', log = (line: string) => console.error(line) } = options;
  if ((url === undefined) === (options.client === undefined)) {
    throw new TypeError('createRedisStore: give either { url } or { client }');
  }
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(prefix))
    throw new TypeError('createRedisStore: prefix must be a short plain name');
  const key = (kind: string, name: string): string => `{${prefix}}:${kind}:${name}`;

  /** The client the store makes from `url`, once first needed; a client you passed is not in it. */
  let made: Promise<OwnedClient> | null = null;
  let closed = false;
  let command: (args: string[]) => Promise<unknown>;
  if (url !== undefined) {
    let lastLog = 0;
    // `redis` is an optional peer dependency: loaded only here, so a host with its own client
    // (ioredis, say) need not install it.
    const makeClient = async (): Promise<OwnedClient> => {
      const { createClient } = await import('redis');
      // No offline queue: while Redis is away, commands fail at once instead of piling up.
      const client: OwnedClient = createClient({ url, disableOfflineQueue: true });
      // Without a listener an unreachable Redis would crash the process; one line a minute is enough.
      client.on('error', (error: Error) => {
        if (Date.now() - lastLog > 60_000) {
          lastLog = Date.now();
          log(`bankid-login: Redis store: ${error.message.slice(0, 200)}`);
        }
      });
      client.connect().catch(() => undefined); // it keeps reconnecting by itself
      return client;
    };
    command = async (args) => {
      if (closed) throw new Error('bankid-login: the Redis store is closed');
      const client = await (made ??= makeClient());
      if (!client.isReady) await whenReady(client, CONNECT_WAIT_MS);
      return client.sendCommand(args);
    };
  } else {
    const client = options.client!;
    // ioredis has both; its sendCommand takes a Command object, so `call` is tried first.
    if (typeof client.call === 'function') command = ([name, ...args]) => client.call!(name!, ...args);
    else if (typeof client.sendCommand === 'function') command = (args) => client.sendCommand!(args);
    else throw new TypeError('createRedisStore: client must be a node-redis (sendCommand) or ioredis (call) client');
  }

  /** EVALSHA, and EVAL once when Redis does not have the script yet (after a restart, say). */
  async function run(which: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await command(['EVALSHA', which.sha, ...tail]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error)?.message))) throw error;
      return command(['EVAL', which.text, ...tail]);
    }
  }

  return {
    async takeTokens(buckets: readonly TokenBucket[]) {
      const keys = buckets.map((bucket) => key('bucket', bucket.key));
      const args = buckets.flatMap((bucket) => [String(bucket.burst), String(bucket.perMinute)]);
      return Number(await run(SCRIPTS.takeTokens, keys, args));
    },
    async claimOnce(name, ttlMs) {
      const answer = await command(['SET', key('claim', name), '1', 'NX', 'PX', String(Math.ceil(ttlMs))]);
      return answer === 'OK';
    },
    async collectTurn(orderRef, everyMs) {
      const answer = (await run(
        SCRIPTS.collectTurn,
        [key('turn', orderRef), key('collect', orderRef)],
        [String(Math.ceil(everyMs))],
      )) as [unknown, unknown];
      const last = answer[1] === null || answer[1] === undefined ? '' : String(answer[1]);
      return { turn: Number(answer[0]) === 1, last: last === '' ? null : last };
    },
    async recordCollect(orderRef, last, ttlMs) {
      await run(SCRIPTS.recordCollect, [key('collect', orderRef)], [last, String(Math.ceil(ttlMs))]);
    },
    async close() {
      closed = true;
      const owned = await made?.catch(() => null);
      if (owned?.isOpen) await owned.close();
      else owned?.destroy();
    },
  };
}
