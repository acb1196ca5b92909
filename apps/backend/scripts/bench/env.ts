// The benchmark environment: a private embedded PostgreSQL (durable settings, like development) and
// redis-server, a migrated and seeded database, and the real app listening on a loopback port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
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
    DB_APPLICATION_NAME: 'acolhe-bench',
    LOGIN_MAX_ATTEMPTS: '10000',
    // The load comes from one address: the per-address limits would otherwise answer 429 to the login bench.
    ANONYMOUS_MAX_PER_IP: '1000000',
  });
  await migrateUp({ connectionString: databaseUrl, log: () => {} });
  await runInitialSeed({ connectionString: databaseUrl, config, log: () => {}, withSamples: false });
  let adminId = '';
  const app = await buildApp(
    {
      ...config,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisServer?.url,
      JWT_SECRET: 'bench-secret-long-enough-for-hs256-signing!!',
    },
    {
      // The same work as GET /api/v1/auth/me, in the same scope, minus the guard.
      extendApi: (api) =>
        api.get('/bench/me-without-auth', { config: { permission: 'public' } }, async () => {
          const user = await api.auth.me(adminId);
          return {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            permissions: [...(await api.access.permissionsOf(user.role))].sort(),
          };
        }),
    },
  );
  // Bench-only route, outside /api/v1: the platform pool under HTTP, minus auth.
  app.get('/bench/select-1', async () => app.db.one({ name: 'bench-select-1', text: 'SELECT 1 AS one' }));
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
      for (const s of servers.reverse()) await s.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
