// Session-cache entries (modules/auth/session-store.ts) that must change after a PostgreSQL change (revocations).
// Everything else cached goes through platform/cache, which has its own way (docs/development.md, "Caching").
// When Redis is unreachable at that moment, the keys are remembered and deleted as soon as it is back;
// every such entry also carries a TTL, which bounds staleness if this process dies before then.
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { RedisClient } from './redis.js';

export function createInvalidator(redis: RedisClient | null, log: FastifyBaseLogger) {
  const pending = new Set<string>();
  redis?.on('ready', () => {
    if (!pending.size) return;
    const batch = [...pending];
    pending.clear();
    redis.del(...batch).catch(() => batch.forEach((k) => pending.add(k)));
    log.info({ keys: batch.length }, 'redis back: applied deferred cache invalidations');
  });

  return {
    /** Runs `write` (HSET tombstones, DEL ...); on failure, deletes `keys` once Redis returns. */
    async apply(keys: string[], write: (r: RedisClient) => Promise<unknown>): Promise<void> {
      if (!redis) return;
      try {
        await write(redis);
      } catch {
        keys.forEach((k) => pending.add(k));
      }
    },
  };
}

export type Invalidator = ReturnType<typeof createInvalidator>;

declare module 'fastify' {
  interface FastifyInstance {
    /** One per app: session-cache writes that must happen after a PostgreSQL change (revocations). */
    cacheInvalidator: Invalidator;
  }
}

export default fp(
  async function cacheInvalidation(app: FastifyInstance) {
    app.decorate('cacheInvalidator', createInvalidator(app.redis, app.log));
  },
  { name: 'cache-invalidation', dependencies: ['redis'] },
);
