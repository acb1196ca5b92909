// Redis for tests: the shared server with a logical database of its own per caller, or a private server
// that a test may stop and start (outage tests).
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedServer } from '../../apps/backend/src/platform/embedded.js';
import { services } from './services.js';

/** A URL to a fresh logical database (1..1023) of the shared redis-server, or null when none runs. */
export async function testRedisUrl(): Promise<string | null> {
  const base = services().redisUrl;
  if (!base) return null;
  const counter = new Redis(base, { lazyConnect: true });
  await counter.connect();
  const n = ((await counter.incr('acolhe:test:next-db')) % 1023) + 1;
  await counter.quit();
  return `${base}/${n}`;
}

export async function startPrivateRedis(): Promise<EmbeddedServer> {
  const server = await startEmbeddedRedis(() => {});
  if (!server) throw new Error('redis-server is not installed');
  return server;
}
