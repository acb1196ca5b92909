// One ioredis client. Redis only accelerates and coordinates: every caller must cope with
// `redis` being null (not configured) or a command failing (Redis down) by falling back to PostgreSQL.
import { Redis } from 'ioredis';
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export type RedisClient = Redis;

declare module 'fastify' {
  interface FastifyInstance {
    /** null when REDIS_URL is not set: every caller then works on PostgreSQL alone. */
    redis: RedisClient | null;
  }
}

/** Key namespaces (ARCHITECTURE §5): `namespace:id`. One place so keys never drift apart. */
export const keys = {
  sessions: (userId: string | number) => `sessions:${userId}`,
  /** A shared cache entry (platform/cache): `cache:<region>:<key>`. */
  cache: (entry: string) => `cache:${entry}`,
  /** The current token of a cache tag (platform/cache/channel.ts). */
  cacheTag: (tag: string) => `cache-tag:${tag}`,
  /** Rate-limit counters (platform/rate-limit.ts), e.g. `ratelimit:login:email:<address>`. */
  rateLimit: (name: string, value: string) => `ratelimit:${name}:${value}`,
  lock: (name: string) => `lock:${name}`,
  /** The primary's WAL position after a session's last write (platform/read-your-writes.ts). */
  readFence: (sessionId: string) => `readfence:${sessionId}`,
} as const;

export function createRedis(url: string, log: FastifyBaseLogger): Redis {
  let wasReady = false;
  const client = new Redis(url, {
    lazyConnect: true,
    // Fail commands at once while disconnected instead of queueing them: callers fall back to PostgreSQL.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick share one round trip (session check + permissions on every request).
    enableAutoPipelining: true,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  });
  client.on('ready', () => {
    if (wasReady) log.info('redis reconnected');
    wasReady = true;
  });
  client.on('error', (err: Error) => {
    // ioredis reconnects by itself; log once per outage rather than at every retry.
    if (client.status !== 'reconnecting' || wasReady) log.warn({ err: { message: err.message } }, 'redis error');
    wasReady = false;
  });
  return client;
}

/** Connects, but lets the service start without Redis: it reconnects in the background. */
export async function connectRedis(client: Redis, log: FastifyBaseLogger): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    log.warn(
      { err: { message: (err as Error).message } },
      'redis unavailable at start; continuing on PostgreSQL and retrying in the background',
    );
  }
}

export async function redisHealthy(client: Redis, timeoutMs = 500): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      client.ping(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** host:port of a Redis URL for logs (never the password). */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/** The `redis` platform plugin: one client for REDIS_URL (or null), connected without blocking start-up. */
export default fp(
  async function redisPlugin(app: FastifyInstance) {
    const url = app.config.REDIS_URL;
    const client = url ? createRedis(url, app.log) : null;
    if (client) await connectRedis(client, app.log);
    app.decorate('redis', client);
    app.addHook('onClose', async () => {
      if (!client) return;
      // QUIT lets queued replies arrive; a client that is not connected is simply stopped from reconnecting.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    });
  },
  { name: 'redis', decorators: { fastify: ['config'] } },
);
