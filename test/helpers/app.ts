// Builds the real app over a test database and Redis; tests talk to it with app.inject().
import { PassThrough } from 'node:stream';
import type { Test } from 'tap';
import { buildApp, type App } from '../../apps/backend/src/app.js';
import { loadConfig, type Config } from '../../apps/backend/src/config.js';
import type { Db } from '../../apps/backend/src/platform/db.js';
import type { RedisClient } from '../../apps/backend/src/platform/redis.js';
import type { Mailer } from '../../apps/backend/src/platform/mailer.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { testRedisUrl } from './redis.js';
import { pooledRoute } from './pgbouncer.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';
export const TEST_WEBHOOK_SECRET_KEY = 'test-webhook-secret-key-long-enough-for-hkdf';

export interface TestContext {
  app: App;
  db: Db;
  redis: RedisClient | null;
  config: Config;
  database: TestDatabase;
  /** Every log line written so far, as parsed JSON objects. */
  logs(): Record<string, unknown>[];
  /** Mails the app tried to send. */
  mails: { to: { userId: string; email: string }; link: string }[];
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** `false`: no Redis at all; a URL: that Redis; default: a fresh logical database on the shared server. */
  redis?: false | string;
  database?: TestDatabase;
  /** Extra routes for platform tests, added before the app is ready (outside /api/v1). */
  extend?: (app: App) => void;
  /** Inside /api/v1, after the modules (buildApp's extendApi): where the modules' services are visible. */
  extendApi?: (api: App) => void;
  /** A different PostgreSQL URL for the pool (e.g. through a proxy the test controls). */
  poolUrl?: string;
  /** The mailer MAILER configures (platform/mailer.ts) instead of the one recording into `mails`. */
  configuredMailer?: boolean;
}

export async function buildTestApp(t: Test, o: TestAppOptions = {}): Promise<TestContext> {
  const database = o.database ?? (await createTestDatabase());
  // ACOLHE_TEST_POOLER=pgbouncer: the pool goes through a transaction pooler (test/helpers/pgbouncer.ts).
  const pooled = o.poolUrl ? null : await pooledRoute(database.name);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DB_APPLICATION_NAME: 'acolhe-test',
    JWT_SECRET: TEST_JWT_SECRET,
    ...(pooled ? { DATABASE_PREPARED_STATEMENTS: 'false', DIRECT_DATABASE_URL: database.url } : {}),
    WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY,
    // Workers and schedules only where a test asks (JOBS_ENABLED=true): the others only enqueue.
    JOBS_ENABLED: 'false',
    ...o.env,
  });
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const redisUrl = o.redis === false ? undefined : (o.redis ?? (await testRedisUrl()) ?? undefined);
  const mails: TestContext['mails'] = [];
  const mailer: Mailer = {
    async sendPasswordReset(to, link) {
      mails.push({ to, link });
      return true;
    },
  };
  // The real assembly; only the database, Redis and secret of this test, and where logs and mails go, differ.
  const app = await buildApp(
    {
      ...config,
      DATABASE_URL: o.poolUrl ?? pooled?.url ?? database.url,
      REDIS_URL: redisUrl,
      JWT_SECRET: TEST_JWT_SECRET,
    },
    { logStream: stream, extendApi: o.extendApi, ...(o.configuredMailer ? {} : { mailer }) },
  );
  // Before ready: an app that fails to start still closes its pool and Redis client.
  t.teardown(async () => {
    await app.close(); // closes the pool and the Redis client
    if (!o.database) await database.drop();
  });
  o.extend?.(app);
  await app.ready();
  if (pooled) {
    await app.db.one({ text: 'SELECT 1 AS one' });
    t.ok((await pooled.clients()) > 0, 'the app reaches PostgreSQL through PgBouncer');
  }
  return {
    app,
    db: app.db,
    redis: app.redis,
    config,
    database,
    mails,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
