// The one cache (docs/development.md, "Caching"): get-or-load by key, values tagged, an in-process LRU in front
// of Redis, one load per key at a time, invalidation by tag after commit reaching every instance.
//
// Validity, in-process: an entry remembers the generation of each of its tags and the cache epoch when its load
// began; invalidating a tag bumps its generation (here at once, elsewhere when the message arrives), losing the
// subscription bumps the epoch. An entry is trusted while it is younger than its TTL and the link is fresh
// (channel.ts), or, without a fresh link, while it is younger than the short local TTL.
// Validity, in Redis: an entry carries the tokens its tags had before its load began (channel.ts).
// Either way, a load that began before an invalidation is never kept: no second delete is needed.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db.js';
import { keys, type RedisClient } from '../redis.js';
import { Lru } from './lru.js';
import { newToken, publishInvalidation, subscribe, type Link } from './channel.js';

export interface CacheOptions {
  redis: RedisClient | null;
  log: FastifyBaseLogger;
  /** db.afterCommit: invalidations tied to a transaction. */
  afterCommit: (tx: Executor, work: () => Promise<void>) => void;
  /** CACHE_TTL_SECONDS: the longest an entry lives anywhere. */
  ttlSeconds: number;
  /** CACHE_LOCAL_TTL_SECONDS: the longest an in-process copy is trusted without a fresh link to Redis. */
  localTtlSeconds: number;
  /** CACHE_LOCAL_MAX_ENTRIES */
  maxLocalEntries: number;
  /** CACHE_BYPASS: regions whose every read loads ('*': all), for diagnosis and the benchmark's uncached side. */
  bypass: ReadonlySet<string>;
  /** Tests move time forward. */
  now?: () => number;
}

export interface RegionOptions<T> {
  /**
   * false: no in-process copy, Redis only, and no shared in-flight loads, so a change is seen by every
   * instance on its next read (permissions). Without Redis such a region loads every time.
   */
  local?: boolean;
  /** The Redis form of a value and back (default: JSON as is). */
  encode?: (value: T) => unknown;
  decode?: (stored: unknown) => T;
}

export interface Region<T> {
  /** The value of `key`, loaded by `load` (once, however many callers miss at the same time) when not cached. */
  get(key: string, tags: readonly string[], load: () => Promise<T>): Promise<T>;
}

interface Stamp {
  at: number;
  epoch: number;
  tags: readonly string[];
  gens: number[];
}

interface LocalEntry {
  value: unknown;
  stamp: Stamp;
}

export interface CacheStats {
  localHits: number;
  redisHits: number;
  loads: number;
}

export function createCache(o: CacheOptions) {
  const now = o.now ?? Date.now;
  const ttlMs = o.ttlSeconds * 1000;
  const localTtlMs = o.localTtlSeconds * 1000;
  const self = randomUUID();
  const redis = o.redis;
  const lru = new Lru<LocalEntry>(o.maxLocalEntries);
  /** Strict regions: the value last decoded from each stored string (the same string is not parsed again). */
  const decoded = new Lru<{ raw: string; value: unknown }>(o.maxLocalEntries);
  const flights = new Map<string, { stamp: Stamp; promise: Promise<unknown> }>();
  const gens = new Map<string, number>();
  const pending = new Set<string>();
  const stats: CacheStats = { localHits: 0, redisHits: 0, loads: 0 };
  let epoch = 0;

  const gen = (tag: string) => gens.get(tag) ?? 0;
  const bump = (tags: Iterable<string>) => {
    for (const tag of tags) gens.set(tag, gen(tag) + 1);
  };
  const stampOf = (tags: readonly string[]): Stamp => ({ at: now(), epoch, tags, gens: tags.map(gen) });
  const current = (s: Stamp) => s.epoch === epoch && s.tags.every((t, i) => gen(t) === s.gens[i]);

  const link: Link | null = redis
    ? subscribe(redis, {
        self,
        now,
        onMessage: bump,
        onSubscribed: () => epoch++,
        onError: (err) => o.log.warn({ err: { message: err.message } }, 'cache channel error'),
      })
    : null;

  function trusted(e: LocalEntry, t: number): boolean {
    const age = t - e.stamp.at;
    if (age >= ttlMs || !current(e.stamp)) return false;
    return age < localTtlMs || (link?.fresh(t) ?? false);
  }

  const usable = () => redis !== null && redis.status === 'ready';

  /** The stored value of `entry` if its tag tokens are unchanged; the tokens to store a fresh one under. */
  async function readShared(entry: string, tags: readonly string[]) {
    if (!usable()) return null;
    try {
      const tagKeys = tags.map(keys.cacheTag);
      const [raw, found] = await Promise.all([
        redis!.get(keys.cache(entry)),
        tagKeys.length ? redis!.mget(tagKeys) : Promise.resolve([] as (string | null)[]),
      ]);
      let tokens = found;
      if (tokens.some((t) => t === null)) {
        // A tag never invalidated (or evicted): give it a token; a concurrent reader may win, so read back.
        const m = redis!.multi();
        tokens.forEach((t, i) => t === null && m.set(tagKeys[i]!, newToken(), 'NX'));
        await m.exec();
        tokens = await redis!.mget(tagKeys);
        return { raw: null, tokens: tokens.some((t) => t === null) ? null : (tokens as string[]) };
      }
      const header = `${tokens.join(',')}\n`;
      return { raw: raw?.startsWith(header) ? raw.slice(header.length) : null, tokens: tokens as string[] };
    } catch {
      return null; // Redis away: the load answers
    }
  }

  function writeShared(entry: string, tokens: string[], stored: unknown) {
    if (!usable()) return;
    redis!.set(keys.cache(entry), `${tokens.join(',')}\n${JSON.stringify(stored)}`, 'PX', ttlMs).catch(() => {});
  }

  function region<T>(name: string, ro: RegionOptions<T> = {}): Region<T> {
    const local = ro.local ?? true;
    const bypass = o.bypass.has('*') || o.bypass.has(name);
    const encode = ro.encode ?? ((v: T) => v as unknown);
    const decode = ro.decode ?? ((v: unknown) => v as T);
    const fromShared = (entry: string, raw: string): T => {
      if (local) return decode(JSON.parse(raw));
      const last = decoded.get(entry);
      if (last?.raw === raw) return last.value as T;
      const value = decode(JSON.parse(raw));
      decoded.set(entry, { raw, value });
      return value;
    };

    async function fill(entry: string, stamp: Stamp, load: () => Promise<T>): Promise<T> {
      const shared = await readShared(entry, stamp.tags);
      let value: T;
      if (shared?.raw != null) {
        stats.redisHits++;
        value = fromShared(entry, shared.raw);
      } else {
        stats.loads++;
        value = await load();
        if (shared?.tokens) writeShared(entry, shared.tokens, encode(value));
      }
      if (local && current(stamp)) lru.set(entry, { value, stamp });
      return value;
    }

    return {
      get(key, tags, load) {
        if (bypass) {
          stats.loads++;
          return load();
        }
        const entry = `${name}:${key}`;
        if (!local) return fill(entry, stampOf(tags), load);
        const hit = lru.get(entry);
        if (hit && trusted(hit, now())) {
          stats.localHits++;
          return Promise.resolve(hit.value as T);
        }
        const flying = flights.get(entry);
        if (flying && current(flying.stamp)) return flying.promise as Promise<T>;
        const stamp = stampOf(tags);
        const promise: Promise<T> = fill(entry, stamp, load).finally(() => {
          if (flights.get(entry)?.promise === promise) flights.delete(entry);
        });
        flights.set(entry, { stamp, promise });
        return promise;
      },
    };
  }

  async function announce(tags: readonly string[]) {
    try {
      await publishInvalidation(redis!, self, tags);
    } catch {
      // Remembered and announced once Redis is back; meanwhile shared entries are not read (Redis is away)
      // and every instance trusts its own copies for the short local TTL only.
      tags.forEach((t) => pending.add(t));
    }
  }
  redis?.on('ready', () => {
    if (!pending.size) return;
    const tags = [...pending];
    pending.clear();
    void announce(tags).then(() =>
      o.log.info({ tags: tags.length }, 'redis back: announced deferred cache invalidations'),
    );
  });

  /** Drops every value tagged with one of `tags`: here before it returns, on other instances within BOUND_MS. */
  async function invalidate(tags: readonly string[]): Promise<void> {
    if (!tags.length) return;
    bump(tags);
    if (redis) await announce(tags);
  }

  return {
    region,
    invalidate,
    /**
     * Invalidates `tags` once the transaction of `tx` commits (before db.transaction() returns); a rollback
     * invalidates nothing. The way a service says "these cached values change with this write".
     */
    invalidateOnCommit(tx: Executor, tags: readonly string[]): void {
      o.afterCommit(tx, () => invalidate(tags));
    },
    stats: (): Readonly<CacheStats> => ({ ...stats }),
    /** Whether in-process copies may be trusted for the full TTL now (a fresh link to Redis). */
    linked: () => link?.fresh(now()) ?? false,
    close: () => link?.close(),
  };
}

export type Cache = ReturnType<typeof createCache>;
