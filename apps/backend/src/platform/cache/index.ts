// The `cache` platform plugin: one cache per app (cache.ts), closed with it. Modules build their regions from
// `app.cache` and invalidate through it (docs/development.md, "Caching").
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createCache, type Cache } from './cache.js';

export { createCache, type Cache, type Region, type RegionOptions } from './cache.js';
export { BOUND_MS, invalidateFromScript } from './channel.js';

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
  }
}

export default fp(
  async function cachePlugin(app: FastifyInstance) {
    const c = app.config;
    const cache = createCache({
      redis: app.redis,
      log: app.log,
      afterCommit: app.db.afterCommit,
      ttlSeconds: c.CACHE_TTL_SECONDS,
      localTtlSeconds: c.CACHE_LOCAL_TTL_SECONDS,
      maxLocalEntries: c.CACHE_LOCAL_MAX_ENTRIES,
      bypass: c.cacheBypass,
    });
    app.decorate('cache', cache);
    app.addHook('onClose', async () => cache.close());
  },
  { name: 'cache', dependencies: ['db', 'redis'] },
);
