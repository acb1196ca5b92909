// The benchmark environment: a private embedded PostgreSQL (durable settings, like development) and
// redis-server, a migrated and seeded database, and the real app listening on a loopback port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/platform/db.js';
import { connectRedis, createRedis } from '../../src/platform/redis.js';
import {
  ensureDatabase,
  startEmbeddedPostgres,
  startEmbeddedRedis,
  type EmbeddedServer,
} from '../../src/platform/embedded.js';
import { migrateUp } from '../../src/database/migrator.js';
import { runInitialSeed } from '../../src/database/seed/initial-data.js';

export interface BenchEnv {
  adminUrl: string;
  databaseUrl: string;
  baseUrl: string;
  app: App;
  token: string;
  adminEmail: string;
  adminPassword: string;
  log: (line: string) => void;
  close(): Promise<void>;
}

export async function startBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-bench-'));
  const servers: EmbeddedServer[] = [];
  const pgServer = await startEmbeddedPostgres({ dataDir: dir, log: () => {}, persistent: false });
  servers.push(pgServer);
  const redisServer = await startEmbeddedRedis(() => {});
  if (redisServer) servers.push(redisServer);
  const databaseUrl = await ensureDatabase(pgServer.url, 'bench');
  const adminEmail = 'bench-admin@acolhe.test';
  const adminPassword = 'Bench-admin-passphrase-2026';
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    SEED_ADMIN_EMAIL: adminEmail,
    SEED_ADMIN_PASSWORD: adminPassword,
    DB_POOL_MAX: '10',
    LOGIN_MAX_ATTEMPTS: '10000',
    // The load comes from one address: the per-address limits would otherwise answer 429 to the login bench.
    ANONYMOUS_MAX_PER_IP: '1000000',
  });
  await migrateUp({ connectionString: databaseUrl, log: () => {} });
  await runInitialSeed({ connectionString: databaseUrl, config, log: () => {}, withSamples: false });
  const logger = pino({ level: 'warn' });
  const db = createDb({
    connectionString: databaseUrl,
    max: config.DB_POOL_MAX,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    applicationName: 'acolhe-bench',
    slowQueryMs: config.SLOW_QUERY_MS,
    log: logger,
  });
  const redis = redisServer ? createRedis(redisServer.url, logger) : null;
  if (redis) await connectRedis(redis, logger);
  const app = await buildApp({ config, db, redis, jwtSecret: 'bench-secret-long-enough-for-hs256-signing!!' });
  // Bench-only routes, outside /api/v1: the same work as their API counterparts, minus HTTP auth.
  app.get('/bench/select-1', async () => db.one({ name: 'bench-select-1', text: 'SELECT 1 AS one' }));
  let adminId = '';
  app.get('/bench/me-without-auth', async () => {
    const user = await app.services.auth.me(adminId);
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      permissions: [...(await app.services.access.permissionsOf(user.role))].sort(),
    };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: adminEmail, password: adminPassword },
  });
  const token = (login.json() as { access_token: string }).access_token;
  adminId = (
    await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })
  ).json().id;
  log(`bench environment: PostgreSQL ${pgServer.description}, Redis ${redisServer ? 'on' : 'off'}, API ${baseUrl}`);
  return {
    adminUrl: pgServer.url,
    databaseUrl,
    baseUrl,
    app,
    token,
    adminEmail,
    adminPassword,
    log,
    async close() {
      await app.close();
      await db.close();
      redis?.disconnect();
      for (const s of servers.reverse()) await s.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
