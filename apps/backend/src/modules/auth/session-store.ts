// "Is this session still active?" on every authenticated request: Redis first, PostgreSQL on a miss.
// Redis hash `sessions:<userId>`: field = session id, value = expiry (epoch ms) or "0" for revoked.
// Fills use HSETNX so a fill racing a revocation can never overwrite the "0" tombstone.
import type { Invalidator } from '../../platform/cache-invalidation.js';
import { keys, type RedisClient } from '../../platform/redis.js';
import type { AuthRepository } from './repository.js';

const REVOKED = '0';

export function createSessionStore(
  repo: AuthRepository,
  redis: RedisClient | null,
  invalidator: Invalidator,
  cacheTtlSeconds: number,
) {
  async function cached(userId: string, sessionId: string): Promise<string | null> {
    if (!redis) return null;
    try {
      return await redis.hget(keys.sessions(userId), sessionId);
    } catch {
      return null; // Redis away: PostgreSQL answers.
    }
  }

  return {
    async isActive(userId: string, sessionId: string): Promise<boolean> {
      const hit = await cached(userId, sessionId);
      if (hit !== null) return hit !== REVOKED && Number(hit) > Date.now();
      const row = await repo.activeSession(userId, sessionId);
      if (redis) {
        const key = keys.sessions(userId);
        redis
          .multi()
          .hsetnx(key, sessionId, row ? String(row.expires_at.getTime()) : REVOKED)
          .expire(key, cacheTtlSeconds)
          .exec()
          .catch(() => {});
      }
      return row !== null;
    },

    /** Call after the revoking transaction committed. */
    async revoked(userId: string, sessionIds: string[]): Promise<void> {
      if (!sessionIds.length) return;
      const key = keys.sessions(userId);
      await invalidator.apply([key], (r) => {
        const m = r.multi();
        for (const id of sessionIds) m.hset(key, id, REVOKED);
        return m.expire(key, cacheTtlSeconds).exec();
      });
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
