// Entry point: config → infrastructure → buildApp → listen → graceful close.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { ConfigError, loadConfig, REPO_ROOT, type Config } from './config.js';
import { buildApp } from './app.js';
import { createDb, dbOptions, describeDatabaseUrl, waitForDatabase } from './platform/db.js';
import { describeRedisUrl } from './platform/redis.js';
import { flushLog, logDestination, loggerOptions } from './platform/logger.js';
import { ensureDatabase, startEmbeddedPostgres, startEmbeddedRedis, type EmbeddedServer } from './platform/embedded.js';
import { isUpToDate, migrateUp, readStatus } from './database/migrator.js';
import { runInitialSeed } from './database/seed/initial-data.js';
import { createReportsRepository, createReportsService } from './modules/reports/index.js';

const envFile = path.join(REPO_ROOT, '.env');
if (fs.existsSync(envFile)) process.loadEnvFile(envFile);

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const logStream = logDestination();
const log = pino(loggerOptions(config.LOG_LEVEL, logStream));
const say = (msg: string) => log.info(msg);
const embedded: EmbeddedServer[] = [];

async function resolveDatabaseUrl(): Promise<string> {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, log: say });
  embedded.push(pg);
  return ensureDatabase(pg.url, 'acolhe');
}

/** The Redis URL to use (configured, or a private redis-server in development), or none. */
async function resolveRedisUrl(): Promise<{ url: string | undefined; description: string }> {
  if (config.REDIS_URL || config.NODE_ENV === 'production')
    return { url: config.REDIS_URL, description: describeRedisUrl(config.REDIS_URL!) };
  const server = await startEmbeddedRedis(say);
  if (!server)
    return {
      url: undefined,
      description: 'none (no redis-server on the PATH): sessions checked in PostgreSQL, login throttling per process',
    };
  embedded.push(server);
  return { url: server.url, description: describeRedisUrl(server.url) };
}

/**
 * A secret the configuration may leave unset outside production (the JWT secret, the webhook secrets' key):
 * one random value kept under .data/ (owner-only), the same across restarts and across instances sharing it.
 */
function devSecret(configured: string | undefined, name: string): string | undefined {
  if (configured) return configured;
  if (config.NODE_ENV === 'production') return undefined;
  const file = path.join(config.dataDir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

async function main() {
  const databaseUrl = await resolveDatabaseUrl();
  // Migrations and the seed hold session-level locks: never through a transaction pooler.
  const migrationUrl = config.MIGRATION_DATABASE_URL ?? config.DIRECT_DATABASE_URL ?? databaseUrl;
  await waitForDatabase(databaseUrl, {
    maxWaitMs: config.DB_STARTUP_WAIT_MS,
    log: say,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });

  if (config.NODE_ENV === 'production') {
    // In production migrations are applied by `npm run migrate`, never by the server.
    const probe = createDb({ ...dbOptions({ ...config, DATABASE_URL: databaseUrl }, log), max: 1 });
    const status = await readStatus({
      query: async (text, values) => ({ rows: await probe.many({ text, values }) }),
    }).finally(() => probe.close());
    if (!isUpToDate(status)) {
      throw new Error(
        `refusing to serve: ${status.pending.length} pending, ${status.drifted.length} drifted, ${status.missing.length} missing migration(s); run npm run migrate -- status`,
      );
    }
  } else {
    const { applied } = await migrateUp({ connectionString: migrationUrl, log: say });
    say(applied.length ? `applied ${applied.length} migration(s)` : 'migrations up to date');
    await runInitialSeed({ connectionString: migrationUrl, config, log: say });
  }

  const redis = await resolveRedisUrl();
  const app = await buildApp(
    {
      ...config,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      JWT_SECRET: devSecret(config.JWT_SECRET, 'jwt-secret'),
      WEBHOOK_SECRET_KEY: devSecret(config.WEBHOOK_SECRET_KEY, 'webhook-secret-key'),
    },
    { logStream },
  );

  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close(); // the pool and the Redis client close with it
    await stopEmbedded();
    await flushLog(log);
  });

  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
  say(`Acolhe API listening on ${base}/api/v1 — docs at ${base}/docs`);
  // Development: the sample data just seeded shows in the reports at once (elsewhere a schedule or
  // POST /reports/refresh refreshes them). In the background: the API answers meanwhile (as_of says when from).
  if (config.NODE_ENV === 'development')
    createReportsService({ db: app.db, repo: createReportsRepository(app.db), config, log })
      .refreshAll({ system: 'startup' })
      .catch((err: Error) => log.warn(`reports not refreshed: ${err.message}`));
  say(
    `database: ${embedded.length && !config.DATABASE_URL ? embedded[0]!.description : describeDatabaseUrl(databaseUrl)}; redis: ${redis.description}`,
  );
}

async function stopEmbedded() {
  for (const s of embedded.reverse()) await s.stop().catch(() => {});
}

main().catch(async (err) => {
  log.fatal(err instanceof Error ? err.message : String(err));
  await stopEmbedded();
  await flushLog(log);
  process.exit(1);
});
