// What the backend must share between its instances: rate-limit buckets, the one-time claim of a
// completed order, and the per-order pace of BankID collects. Orders themselves travel in sealed
// cookies, so any instance can serve any request; only these defences need a common memory.
//
// createMemoryStore() serves one instance. createRedisStore() (bankid-login/server/redis) serves a
// fleet. Any object with these four methods can stand in, e.g. on another database.

/** A token bucket: `burst` requests at once, refilled at `perMinute`. */
export interface RateRule {
  burst: number;
  perMinute: number;
}

export interface TokenBucket extends RateRule {
  /** Who the bucket belongs to, e.g. `start:198.51.100.7` or `bankid`. */
  key: string;
}

/** Whose turn it is to ask BankID about an order, and what BankID said last. */
export interface CollectTurn {
  /** True when this caller may call BankID's collect now (at most one caller per period). */
  turn: boolean;
  /** What recordCollect() saved last for the order, or null. */
  last: string | null;
}

export interface BankIdStore {
  /**
   * Takes one token from every bucket, or from none: resolves 0 when all had one, else the ms
   * until the emptiest has one again.
   */
  takeTokens(buckets: readonly TokenBucket[]): Promise<number>;
  /** Sets `key` for `ttlMs` unless it is set: true for the one caller that set it. */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Gives the turn to one caller per `everyMs` for this order, with what was recorded last. */
  collectTurn(orderRef: string, everyMs: number): Promise<CollectTurn>;
  /**
   * Records what BankID said about the order, for the callers whose turn it is not. A record that
   * starts with '!' is final (the order has ended): a later record never replaces it, so a slow
   * answer that comes in after the end cannot bring the order back.
   */
  recordCollect(orderRef: string, last: string, ttlMs: number): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Clock in ms (tests move it by hand). */
  now?: () => number;
  /** Bound of each table (buckets, claims, collect records); default 100 000. */
  maxEntries?: number;
}

/**
 * The store for one instance, in memory, bounded. When a table is full:
 * - buckets: full (refilled) buckets go first, since a full bucket is the same as none; if every
 *   bucket is in use, new clients share one overflow bucket. A flood of new addresses therefore
 *   never resets a throttled client, and never gets more than one extra bucket's worth.
 * - claims: expired ones go; if all are live the claim is refused (a completed order is never
 *   completed twice, at the price of refusing logins after 100 000 in ten minutes).
 * - collect records: expired ones go, then the oldest (at worst one extra BankID collect).
 */
export function createMemoryStore({ now = Date.now, maxEntries = 100_000 }: MemoryStoreOptions = {}): BankIdStore {
  const buckets = new Map<string, { tokens: number; at: number; rule: RateRule }>();
  const claims = new Map<string, number>(); // key → until
  const collects = new Map<string, { turnUntil: number; last: string | null; until: number }>();

  /** Tokens in a bucket at time t (a missing bucket is full). */
  const tokensAt = (key: string, rule: RateRule, t: number): number => {
    const bucket = buckets.get(key);
    if (!bucket) return rule.burst;
    return Math.min(rule.burst, bucket.tokens + (Math.max(0, t - bucket.at) * rule.perMinute) / 60_000);
  };

  let sweptAt = -Infinity;
  /** Drops what has run out (full buckets are the same as none), at most every 10 s. */
  const sweep = (t: number): void => {
    if (t - sweptAt < 10_000) return;
    sweptAt = t;
    for (const [key, bucket] of buckets) if (tokensAt(key, bucket.rule, t) >= bucket.rule.burst) buckets.delete(key);
    for (const [key, until] of claims) if (until <= t) claims.delete(key);
    for (const [key, record] of collects) if (record.until <= t) collects.delete(key);
  };

  /** The key a bucket may use: its own if it has one or there is room, else the shared overflow key. */
  const roomFor = (key: string, rule: RateRule): string =>
    buckets.has(key) || buckets.size < maxEntries ? key : `overflow:${rule.burst}/${rule.perMinute}`;

  return {
    async takeTokens(wanted) {
      const t = now();
      sweep(t);
      const resolved = wanted.map((bucket) => ({ ...bucket, key: roomFor(bucket.key, bucket) }));
      let waitMs = 0;
      for (const bucket of resolved) {
        const tokens = tokensAt(bucket.key, bucket, t);
        if (tokens < 1) waitMs = Math.max(waitMs, Math.ceil(((1 - tokens) * 60_000) / bucket.perMinute));
      }
      if (waitMs > 0) return waitMs;
      for (const bucket of resolved) {
        const tokens = tokensAt(bucket.key, bucket, t) - 1;
        buckets.set(bucket.key, { tokens, at: t, rule: { burst: bucket.burst, perMinute: bucket.perMinute } });
      }
      return 0;
    },

    async claimOnce(key, ttlMs) {
      const t = now();
      sweep(t);
      if ((claims.get(key) ?? -Infinity) > t || claims.size >= maxEntries) return false;
      claims.set(key, t + ttlMs);
      return true;
    },

    async collectTurn(orderRef, everyMs) {
      const t = now();
      sweep(t);
      const record = collects.get(orderRef);
      const last = record && record.until > t ? record.last : null;
      if (record && record.until > t && record.turnUntil > t) return { turn: false, last };
      if (!record && collects.size >= maxEntries) collects.delete(collects.keys().next().value as string);
      collects.set(orderRef, { turnUntil: t + everyMs, last, until: Math.max(record?.until ?? 0, t + everyMs) });
      return { turn: true, last };
    },

    async recordCollect(orderRef, last, ttlMs) {
      const t = now();
      const record = collects.get(orderRef);
      if (record && record.until > t && record.last?.startsWith('!')) return;
      collects.set(orderRef, { turnUntil: record?.turnUntil ?? t, last, until: t + ttlMs });
    },
  };
}
