// Rate limits (docs/auth/rate-limits.md). Counters are fixed windows kept in Redis (`ratelimit:<name>:<key>`),
// shared by every instance; one Lua call increments and reads a counter, so parallel requests cannot
// overshoot (count first, then decide). Without Redis, or while it does not answer, each process keeps its own
// counters in a bounded map: limits hold per process, memory stays bounded.
//
// @fastify/rate-limit applies the request limits (createRateLimit) over this store. Its own RedisStore is not
// used: it has no fallback (with Redis away it either stops limiting or fails every request) and no refund,
// which the sign-in throttle needs (a successful sign-in gives its attempt back).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimitPlugin, { normalizeIP, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { tooManyRequests } from './errors.js';
import { keys, type RedisClient } from './redis.js';

/** Keys kept by one process while Redis is away; the oldest goes first beyond that. */
export const LOCAL_KEYS = 10_000;

export interface Count {
  current: number;
  ttlMs: number;
}

const HIT = `local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;
const REFUND = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

type Scripted = RedisClient & {
  rateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
  rateLimitRefund(key: string): Promise<number>;
};

export function createRateCounters(redis: RedisClient | null, localKeys = LOCAL_KEYS) {
  const local = new Map<string, { count: number; resetAt: number }>();
  if (redis && !('rateLimitHit' in redis)) {
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('rateLimitRefund', { numberOfKeys: 1, lua: REFUND });
  }
  const scripted = redis as Scripted | null;

  function localHit(key: string, windowMs: number): Count {
    const now = Date.now();
    let e = local.get(key);
    if (!e || e.resetAt <= now) {
      local.delete(key);
      if (local.size >= localKeys) local.delete(local.keys().next().value!);
      e = { count: 0, resetAt: now + windowMs };
      local.set(key, e);
    }
    e.count++;
    return { current: e.count, ttlMs: e.resetAt - now };
  }

  /** Redis when it answers, else this process's map. */
  async function either<T>(remote: (r: Scripted) => Promise<T>, fallback: () => T): Promise<T> {
    if (scripted) {
      try {
        return await remote(scripted);
      } catch {
        // Redis away: this process's counters.
      }
    }
    return fallback();
  }

  return {
    /** Counts one hit of `name:value` in a window of `windowMs` and returns the count so far. */
    hit: (name: string, value: string, windowMs: number): Promise<Count> => {
      const key = keys.rateLimit(name, value);
      return either(
        async (r) => {
          const [current, ttlMs] = await r.rateLimitHit(key, windowMs);
          return { current, ttlMs };
        },
        () => localHit(key, windowMs),
      );
    },
    /** Gives one hit back (a sign-in that succeeded). */
    refund: (name: string, value: string): Promise<void> => {
      const key = keys.rateLimit(name, value);
      return either(
        async (r) => void (await r.rateLimitRefund(key)),
        () => {
          const e = local.get(key);
          if (e && e.count > 0) e.count--;
        },
      );
    },
    /** Forgets the count of `name:value`. */
    reset: (name: string, value: string): Promise<void> => {
      const key = keys.rateLimit(name, value);
      local.delete(key);
      return either(
        async (r) => void (await r.del(key)),
        () => undefined,
      );
    },
    /** Keys held by this process (tests: the fallback stays bounded). */
    localSize: () => local.size,
  };
}

export type RateCounters = ReturnType<typeof createRateCounters>;

/** The key of a client address: IPv6 addresses count per /64 (one host usually holds a whole /64). */
export const addressKey = (ip: string) => normalizeIP(ip);
/** The client a per-address limit counts: request.ip (what the proxy setting makes it). */
export const clientKey = (req: FastifyRequest) => addressKey(req.ip);

export interface Limit {
  /** Names the counter: `ratelimit:<name>:<key>`. */
  name: string;
  max: number;
  windowSeconds: number;
  key: (req: FastifyRequest) => string;
}

export type LimitCheck = (req: FastifyRequest) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The counters behind every limit (the sign-in throttle counts and refunds with them). */
    rateCounters: RateCounters;
    /** A check that counts the request against `limit` and throws 429 (problem+json, Retry-After) past it. */
    rateLimitCheck(limit: Limit): LimitCheck;
  }
}

/**
 * The `rate-limits` platform plugin: counters over the app's Redis (per process while it is away), and
 * @fastify/rate-limit over them with no global limit (each limit is applied where it belongs).
 */
export default fp(
  async (app: FastifyInstance) => {
    const counters = createRateCounters(app.redis);
    app.decorate('rateCounters', counters);
    // Keys arrive as `<name>\u0000<value>` from the keyGenerator below.
    class Store {
      incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number) {
        const at = key.indexOf('\u0000');
        counters.hit(key.slice(0, at), key.slice(at + 1), timeWindow).then(
          (c) => cb(null, { current: c.current, ttl: c.ttlMs }),
          (err: Error) => cb(err),
        );
      }
      child() {
        return this;
      }
    }
    await app.register(rateLimitPlugin, { global: false, store: Store as unknown as FastifyRateLimitStoreCtor });
    app.decorate('rateLimitCheck', (limit: Limit): LimitCheck => {
      const check = app.createRateLimit({
        max: limit.max,
        timeWindow: limit.windowSeconds * 1000,
        keyGenerator: (req) => `${limit.name}\u0000${limit.key(req)}`,
      });
      return async (req) => {
        const r = await check(req);
        if (!r.isAllowed && r.isExceeded) throw tooManyRequests(r.ttlInSeconds);
      };
    });
  },
  { name: 'rate-limits', dependencies: ['redis'] },
);
