// Failed-login throttling per e-mail and per IP. Redis (`ratelimit:login:...`) shares the counters between
// instances; without Redis, or while it is down, counters are kept per process.
import { keys, type RedisClient } from '../../platform/redis.js';
import { tooManyRequests } from '../../platform/errors.js';

export function createLoginThrottle(redis: RedisClient | null, o: { maxAttempts: number; windowSeconds: number }) {
  const local = new Map<string, { count: number; resetAt: number }>();
  const limits = { email: o.maxAttempts, ip: o.maxAttempts * 5 };

  async function count(key: string): Promise<{ count: number; ttl: number }> {
    if (redis) {
      try {
        const [[, c], [, ttl]] = (await redis.multi().get(key).ttl(key).exec()) as [
          [null, string | null],
          [null, number],
        ];
        return { count: Number(c ?? 0), ttl: Math.max(ttl, 1) };
      } catch {
        // Redis away: fall back to this process's counters.
      }
    }
    const e = local.get(key);
    if (!e || e.resetAt <= Date.now()) return { count: 0, ttl: 0 };
    return { count: e.count, ttl: (e.resetAt - Date.now()) / 1000 };
  }

  async function bump(key: string) {
    if (redis) {
      try {
        await redis.multi().incr(key).expire(key, o.windowSeconds, 'NX').exec();
        return;
      } catch {
        // fall through to the local counter
      }
    }
    const e = local.get(key);
    if (!e || e.resetAt <= Date.now()) local.set(key, { count: 1, resetAt: Date.now() + o.windowSeconds * 1000 });
    else e.count++;
  }

  const subjects = (email: string, ip: string) =>
    [
      [keys.loginLimit('email', email.toLowerCase()), limits.email],
      [keys.loginLimit('ip', ip), limits.ip],
    ] as const;

  return {
    /** Throws 429 with Retry-After when the e-mail or the IP has failed too often. */
    async check(email: string, ip: string) {
      for (const [key, limit] of subjects(email, ip)) {
        const { count: n, ttl } = await count(key);
        if (n >= limit) throw tooManyRequests(ttl);
      }
    },
    async failed(email: string, ip: string) {
      for (const [key] of subjects(email, ip)) await bump(key);
    },
    async succeeded(email: string) {
      const key = keys.loginLimit('email', email.toLowerCase());
      local.delete(key);
      await redis?.del(key).catch(() => {});
    },
  };
}
