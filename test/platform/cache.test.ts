// platform/cache against a real Redis and PostgreSQL: get-or-load, one load per key at a time, tags,
// invalidation after commit only, across instances through pub/sub, and without Redis.
import t from 'tap';
import pino from 'pino';
import type { Test } from 'tap';
import { createCache, type Cache } from '../../apps/backend/src/platform/cache/index.js';
import { connectRedis, createRedis, keys } from '../../apps/backend/src/platform/redis.js';
import { buildTestApp } from '../helpers/app.js';
import { startPrivateRedis, testRedisUrl } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: 'silent' });
const noTx = () => {
  throw new Error('no transaction in this test');
};

/** A cache on its own Redis connection (another instance, as far as the cache knows). */
async function instance(
  t: Test,
  redisUrl: string | null,
  o: { clock?: { offset: number }; bypass?: string[]; maxLocalEntries?: number } = {},
): Promise<Cache> {
  const redis = redisUrl ? createRedis(redisUrl, log) : null;
  if (redis) await connectRedis(redis, log);
  const cache = createCache({
    redis,
    log,
    afterCommit: noTx,
    ttlSeconds: 300,
    localTtlSeconds: 5,
    maxLocalEntries: o.maxLocalEntries ?? 100,
    bypass: new Set(o.bypass),
    now: o.clock ? () => Date.now() + o.clock!.offset : undefined,
  });
  t.teardown(() => {
    cache.close();
    redis?.disconnect();
  });
  if (redis) await waitFor(() => cache.linked(), { timeout: 10_000, what: 'the cache channel' });
  return cache;
}

/** A loader that counts its calls and answers `value()` (read at call time). */
function counted<T>(value: () => T) {
  const f = async () => {
    f.calls++;
    return value();
  };
  f.calls = 0;
  return f;
}

t.test('get-or-load: a cached value is not loaded again; invalidating a tag drops only what it tags', async (t) => {
  const cache = await instance(t, await testRedisUrl());
  const r = cache.region<{ n: number }>('things');
  let n = 1;
  const a = counted(() => ({ n }));
  const b = counted(() => ({ n: 100 }));
  t.same(await r.get('a', ['t:a', 'all'], a), { n: 1 });
  t.same(await r.get('a', ['t:a', 'all'], a), { n: 1 });
  t.same(await r.get('b', ['t:b'], b), { n: 100 });
  t.equal(a.calls, 1, 'loaded once');
  n = 2;
  await cache.invalidate(['t:a']);
  t.same(await r.get('a', ['t:a', 'all'], a), { n: 2 }, 'reloaded after its tag was invalidated');
  await r.get('b', ['t:b'], b);
  t.equal(b.calls, 1, 'another tag is untouched');
  n = 3;
  await cache.invalidate(['all']);
  t.same(await r.get('a', ['t:a', 'all'], a), { n: 3 }, 'any of its tags drops it');
  t.equal(a.calls, 3);
});

t.test('single flight: concurrent misses on one key load once', async (t) => {
  const cache = await instance(t, await testRedisUrl());
  const r = cache.region<string>('flight');
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let loads = 0;
  const load = async () => {
    loads++;
    await gate;
    return `value ${loads}`;
  };
  const all = Promise.all(Array.from({ length: 50 }, () => r.get('k', ['flight'], load)));
  release();
  const values = await all;
  t.equal(loads, 1, '50 concurrent misses, one load');
  t.same(new Set(values), new Set(['value 1']));

  // A reader arriving after an invalidation does not join a load that began before it, and that load's
  // (possibly old) value is not kept.
  let release2!: () => void;
  const gate2 = new Promise<void>((resolve) => (release2 = resolve));
  let started!: () => void;
  const loading = new Promise<void>((resolve) => (started = resolve));
  let source = 'old';
  const held = async () => {
    loads++;
    const read = source;
    started();
    await gate2;
    return read;
  };
  const before = r.get('k2', ['flight2'], held);
  await loading;
  source = 'new';
  await cache.invalidate(['flight2']);
  const after = r.get('k2', ['flight2'], held);
  release2();
  t.equal(await before, 'old');
  t.equal(await after, 'new', 'the later reader loads again');
  t.equal(await r.get('k2', ['flight2'], held), 'new', 'and what is kept is the newer value');
  t.equal(loads, 3);
});

t.test('invalidateOnCommit: nothing before the commit, nothing on rollback, at once after commit', async (t) => {
  const ctx = await buildTestApp(t);
  const cache = ctx.app.cache;
  const r = cache.region<number>('tx');
  let v = 1;
  const load = counted(() => v);
  await r.get('k', ['tx'], load);

  await t.rejects(
    ctx.db.transaction(async (tx) => {
      cache.invalidateOnCommit(tx, ['tx']);
      v = 2;
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  t.equal(await r.get('k', ['tx'], load), 1, 'a rollback invalidates nothing');
  t.equal(load.calls, 1);

  await ctx.db.transaction(async (tx) => {
    cache.invalidateOnCommit(tx, ['tx']);
    v = 3;
    t.equal(await r.get('k', ['tx'], load), 1, 'inside the transaction the cached value stands');
  });
  t.equal(await r.get('k', ['tx'], load), 3, 'after the commit it is gone');
  t.equal(load.calls, 2);
  t.throws(() => cache.invalidateOnCommit(ctx.db.pool, ['tx']), /needs the client of a running db.transaction/);
});

t.test('across instances: shared through Redis, invalidated everywhere through pub/sub', async (t) => {
  const url = await testRedisUrl();
  const [a, b, c] = [await instance(t, url), await instance(t, url), await instance(t, url)];
  let v = 'one';
  const load = counted(() => v);
  const region = (x: Cache) => x.region<string>('shared');
  t.equal(await region(a).get('k', ['s'], load), 'one');
  t.equal(await region(b).get('k', ['s'], load), 'one');
  t.equal(load.calls, 1, 'the second instance read what the first stored in Redis');
  t.equal(b.stats().redisHits, 1);
  t.equal(await region(b).get('k', ['s'], load), 'one');
  t.equal(b.stats().localHits, 1, 'then from its own memory');

  v = 'two';
  await c.invalidate(['s']);
  await waitFor(async () => (await region(b).get('k', ['s'], load)) === 'two', {
    timeout: 5_000,
    what: 'the invalidation reaching another instance',
  });
  t.equal(await region(a).get('k', ['s'], load), 'two');

  // A strict region has no copy in memory: the next read after an invalidation on any instance is new.
  const strict = (x: Cache) => x.region<string[]>('strict', { local: false });
  let perms = ['read'];
  const loadPerms = counted(() => perms);
  t.same(await strict(a).get('admin', ['role:admin'], loadPerms), ['read']);
  t.same(await strict(b).get('admin', ['role:admin'], loadPerms), ['read']);
  t.equal(loadPerms.calls, 1);
  perms = [];
  await c.invalidate(['role:admin']);
  t.same(await strict(a).get('admin', ['role:admin'], loadPerms), [], 'next read, no waiting');
  t.same(await strict(b).get('admin', ['role:admin'], loadPerms), []);
});

t.test('a load that began before an invalidation elsewhere is never kept in Redis', async (t) => {
  const url = (await testRedisUrl())!;
  const [a, b] = [await instance(t, url), await instance(t, url)];
  let source = 'old';
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = async () => {
    const read = source;
    await gate;
    return read;
  };
  const probe = await redisProbe(t, url);
  const pending = a.region<string>('race', { local: false }).get('k', ['race'], slow);
  await waitFor(async () => (await probe.exists(keys.cacheTag('race'))) === 1, {
    timeout: 5_000,
    what: 'the tag token',
  });
  source = 'new';
  await b.invalidate(['race']);
  release();
  t.equal(await pending, 'old', 'the slow reader answers what it read');
  const fresh = counted(() => source);
  t.equal(await b.region<string>('race', { local: false }).get('k', ['race'], fresh), 'new');
  t.equal(fresh.calls, 1, 'its old value was stored under the old token, so it is not served');

  // A tag token that disappears (eviction) makes every entry under it unusable, never valid again.
  await probe.del(keys.cacheTag('race'));
  t.equal(await b.region<string>('race', { local: false }).get('k', ['race'], fresh), 'new');
  t.equal(fresh.calls, 2);
});

async function redisProbe(t: Test, url: string) {
  const r = createRedis(url, log);
  await connectRedis(r, log);
  t.teardown(() => r.disconnect());
  return r;
}

t.test('TTL: a value lives at most CACHE_TTL_SECONDS, in memory and in Redis', async (t) => {
  const url = (await testRedisUrl())!;
  const clock = { offset: 0 };
  const cache = await instance(t, url, { clock });
  const load = counted(() => 'x');
  const r = cache.region<string>('ttl');
  await r.get('k', ['ttl'], load);
  const ttl = await (await redisProbe(t, url)).pttl(keys.cache('ttl:k'));
  t.ok(ttl > 290_000 && ttl <= 300_000, `Redis expires it with the TTL (${ttl} ms left)`);
  clock.offset = 299_000;
  await waitFor(() => cache.linked(), { timeout: 5_000, what: 'a heartbeat on the moved clock' });
  await r.get('k', ['ttl'], load);
  t.equal(cache.stats().localHits, 1, 'in memory just before the TTL');
  clock.offset = 301_000;
  await r.get('k', ['ttl'], load);
  t.equal(cache.stats().localHits, 1, 'not from memory after it');
  t.equal(cache.stats().redisHits, 1, '(Redis, whose clock did not move, still had it)');
});

t.test('without Redis: in-process only, trusted for the short local TTL', async (t) => {
  const clock = { offset: 0 };
  const cache = await instance(t, null, { clock });
  const r = cache.region<string>('alone');
  const load = counted(() => 'x');
  await r.get('k', ['alone'], load);
  clock.offset = 4_000;
  await r.get('k', ['alone'], load);
  t.equal(load.calls, 1);
  clock.offset = 5_500;
  await r.get('k', ['alone'], load);
  t.equal(load.calls, 2, 'reloaded after CACHE_LOCAL_TTL_SECONDS');
  await cache.invalidate(['alone']);
  await r.get('k', ['alone'], load);
  t.equal(load.calls, 3, 'its own invalidations apply at once');
  const strict = counted(() => 'y');
  await cache.region<string>('strict-alone', { local: false }).get('k', [], strict);
  await cache.region<string>('strict-alone', { local: false }).get('k', [], strict);
  t.equal(strict.calls, 2, 'a strict region loads every time without Redis');
});

t.test(
  'the in-process LRU: at most CACHE_LOCAL_MAX_ENTRIES copies, the least recently used forgotten first',
  async (t) => {
    const cache = await instance(t, null, { maxLocalEntries: 2 });
    const r = cache.region<string>('lru');
    const loads: string[] = [];
    const get = (key: string) =>
      r.get(key, ['lru'], async () => {
        loads.push(key);
        return key;
      });
    await get('a');
    await get('b');
    await get('a'); // a is now the most recently used
    await get('c'); // full: b goes
    t.same(loads, ['a', 'b', 'c']);
    t.equal(await get('a'), 'a');
    t.equal(await get('c'), 'c');
    t.same(loads, ['a', 'b', 'c'], 'a and c stayed in memory');
    await get('b');
    t.same(loads, ['a', 'b', 'c', 'b'], 'b, the least recently used, was forgotten and loads again');
    t.equal(cache.stats().localHits, 3);
  },
);

t.test('CACHE_BYPASS: every read of a named region loads; * names them all', async (t) => {
  const cache = await instance(t, await testRedisUrl(), { bypass: ['off'] });
  const load = counted(() => 1);
  for (let i = 0; i < 3; i++) await cache.region<number>('off').get('k', [], load);
  t.equal(load.calls, 3);
  for (let i = 0; i < 3; i++) await cache.region<number>('on').get('k', [], load);
  t.equal(load.calls, 4, 'other regions are cached');
  const all = await instance(t, null, { bypass: ['*'] });
  for (let i = 0; i < 2; i++) await all.region<number>('any').get('k', [], load);
  t.equal(load.calls, 6);
});

t.test('Redis stopped: copies older than the local TTL are reloaded from the source; writes still apply', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.stop());
  const clock = { offset: 0 };
  const [a, b] = [await instance(t, redis.url, { clock }), await instance(t, redis.url, { clock })];
  let v = 1;
  const load = counted(() => v);
  await a.region<number>('down').get('k', ['down'], load);
  await b.region<number>('down').get('k', ['down'], load);
  t.equal(load.calls, 1);

  await redis.stop();
  await waitFor(() => !a.linked() && !b.linked(), { timeout: 10_000, what: 'the caches noticing' });
  v = 2;
  await a.invalidate(['down']); // Redis away: applied here, remembered for later
  t.equal(await a.region<number>('down').get('k', ['down'], load), 2, 'the writer sees its change at once');
  clock.offset = 5_100;
  t.equal(await b.region<number>('down').get('k', ['down'], load), 2, 'others within CACHE_LOCAL_TTL_SECONDS');
});
