// The benchmark environment: a private embedded PostgreSQL (durable settings, like development) and
// redis-server, a migrated and seeded database. Scenarios that measure HTTP start their own processes against
// it (processes.ts); the beneficiaries scenario builds the app in-process for app.inject latencies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import {
  ensureDatabase,
  startEmbeddedPostgres,
  startEmbeddedRedis,
  type EmbeddedServer,
} from '../../src/platform/embedded.js';
import { migrateUp } from '../../src/database/migrator.js';
import { runInitialSeed } from '../../src/database/seed/initial-data.js';
import { withClient } from '../lib/database.js';

export interface BenchEnv {
  /** A private directory for this run (logs, fixtures, profiles); removed at the end. */
  dir: string;
  adminUrl: string;
  databaseUrl: string;
  redisUrl: string | null;
  adminEmail: string;
  adminPassword: string;
  /** The JWT secret the processes of this run share (passed in their environment, never on a command line). */
  jwtSecret: string;
  config: Config;
  log: (line: string) => void;
  close(): Promise<void>;
}

export async function startBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-bench-'));
  const servers: EmbeddedServer[] = [];
  const pgServer = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), log: () => {}, persistent: false });
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
    DB_APPLICATION_NAME: 'acolhe-bench',
    LOGIN_MAX_ATTEMPTS: '10000',
    // The load comes from one address: the per-address limits would otherwise answer 429 to the login bench.
    ANONYMOUS_MAX_PER_IP: '1000000',
  });
  await migrateUp({ connectionString: databaseUrl, log: () => {} });
  await runInitialSeed({ connectionString: databaseUrl, config, log: () => {}, withSamples: false });
  log(`bench environment: PostgreSQL ${pgServer.description}, Redis ${redisServer ? 'on' : 'off'}`);
  return {
    dir,
    adminUrl: pgServer.url,
    databaseUrl,
    redisUrl: redisServer?.url ?? null,
    adminEmail,
    adminPassword,
    jwtSecret: 'bench-secret-long-enough-for-hs256-signing!!',
    config,
    log,
    async close() {
      for (const s of servers.reverse()) await s.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh database `name` on the bench server (dropped first when an earlier run left it), migrated and with the
 * initial seed (no samples). `name` is built by the caller from constants, never from input.
 */
export async function scratchDatabase(env: { adminUrl: string }, name: string, config: Config) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad scratch database name ${name}`);
  const onServer = (sql: string) => withClient(env.adminUrl, (c) => c.query(sql), 'acolhe-bench');
  await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${name} TEMPLATE template0`);
  const url = new URL(env.adminUrl);
  url.pathname = `/${name}`;
  await migrateUp({ connectionString: url.toString() });
  await runInitialSeed({ connectionString: url.toString(), config, log: () => {}, withSamples: false });
  return { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}

/** The app in this process (for app.inject latencies, not HTTP throughput), signed in as the seeded admin. */
export async function inProcessApp(env: BenchEnv): Promise<{ app: App; token: string; close(): Promise<void> }> {
  const app = await buildApp({
    ...env.config,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl ?? undefined,
    JWT_SECRET: env.jwtSecret,
  });
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: env.adminEmail, password: env.adminPassword },
  });
  const token = (login.json() as { access_token: string }).access_token;
  // The pool and the Redis client close with the app.
  return { app, token, close: () => app.close() };
}
