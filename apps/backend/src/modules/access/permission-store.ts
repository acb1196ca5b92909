// Permissions of a role, cached in Redis (`permissions:<role>`) for CACHE_TTL_SECONDS and dropped when the
// role changes. PostgreSQL answers on a miss or when Redis is away.
import type { Invalidator } from '../../platform/cache-invalidation.js';
import { keys, type RedisClient } from '../../platform/redis.js';
import type { AccessRepository } from './repository.js';

export function createPermissionStore(
  repo: AccessRepository,
  redis: RedisClient | null,
  invalidator: Invalidator,
  ttlSeconds: number,
) {
  // The set last built from each role's cached JSON: the same string (the usual case, on every request) is the
  // same set, so it is not parsed again. Redis is still asked every time: a changed role shows at once.
  const parsed = new Map<string, { json: string; set: ReadonlySet<string> }>();
  const setOf = (role: string, json: string) => {
    const last = parsed.get(role);
    if (last?.json === json) return last.set;
    const set: ReadonlySet<string> = new Set(JSON.parse(json) as string[]);
    parsed.set(role, { json, set });
    return set;
  };

  return {
    async permissionsOf(role: string): Promise<ReadonlySet<string>> {
      const key = keys.permissions(role);
      if (redis) {
        try {
          const cached = await redis.get(key);
          if (cached !== null) return setOf(role, cached);
        } catch {
          // Redis away: PostgreSQL answers.
        }
      }
      const permissions = await repo.permissionsOfRole(role);
      if (redis) redis.set(key, JSON.stringify(permissions), 'EX', ttlSeconds).catch(() => {});
      return new Set(permissions);
    },

    /**
     * Call after the transaction that changed the role has committed. Deleted twice: the second delete
     * (a moment later) removes a value a concurrent reader fetched from PostgreSQL before the commit.
     */
    async forget(role: string): Promise<void> {
      const key = keys.permissions(role);
      await invalidator.apply([key], (r) => r.del(key));
      setTimeout(() => void invalidator.apply([key], (r) => r.del(key)), 1_000).unref();
    },
  };
}

export type PermissionStore = ReturnType<typeof createPermissionStore>;
