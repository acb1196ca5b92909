// PostgreSQL unreachable at start: the server says it is waiting (with backoff), and becomes ready once a
// PostgreSQL appears on that address; it migrates and seeds it (NODE_ENV=test), no restart needed.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureDatabase,
  freePort,
  startEmbeddedPostgres,
  type EmbeddedServer,
} from '../../apps/backend/src/platform/embedded.js';
import { testRedisUrl } from '../helpers/redis.js';
import { request, spawnServer } from './_server.js';
import { waitFor } from '../helpers/wait.js';

t.test('waits for the database, then starts', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-startup-'));
  fs.chmodSync(base, 0o711); // the embedded server runs as the postgres user when we are root
  const dataDir = path.join(base, 'pg');
  fs.mkdirSync(dataDir, { mode: 0o711 });
  // The password the embedded server will use, known in advance so the URL can be given before it exists.
  const password = 'startup-test-password';
  fs.writeFileSync(path.join(dataDir, 'postgres-password'), password, { mode: 0o600 });
  const port = await freePort();
  const started: { pg?: EmbeddedServer } = {};

  const redisUrl = await testRedisUrl(); // the shared one: a killed server leaves no redis-server behind
  const server = spawnServer({
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    NODE_ENV: 'test',
    DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:${port}/acolhe`,
    DB_STARTUP_WAIT_MS: '180000',
    DB_CONNECT_TIMEOUT_MS: '2000',
    DATA_DIR: path.join(base, 'app'),
    SEED_ADMIN_EMAIL: 'startup@acolhe.test',
    SEED_ADMIN_PASSWORD: 'Startup-admin-password-2026!',
    JWT_SECRET: 'startup-test-secret-that-is-long-enough-1234',
  });
  t.teardown(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await started.pg?.stop().catch(() => {});
    fs.rmSync(base, { recursive: true, force: true });
  });

  const waiting = await server.waitFor(/waiting for database/);
  t.match(waiting, new RegExp(`127\\.0\\.0\\.1:${port}/acolhe`), 'says which database it waits for');
  t.notMatch(server.lines.join('\n'), new RegExp(password), 'never the password');
  await server.waitFor(/attempt 2/);
  t.ok(server.child.exitCode === null, 'still running while the database is away');

  started.pg = await startEmbeddedPostgres({ dataDir, port, persistent: false, fast: true, log: () => {} });
  await ensureDatabase(started.pg.url, 'acolhe');
  await server.waitFor(/database .* is up/);
  await server.waitFor(/listening on/);
  const ready = await waitFor(
    async () => {
      const res = await request(server.port(), 'GET', '/health/ready');
      return res.status === 200 ? res : undefined;
    },
    { timeout: 120_000, interval: 200, what: '/health/ready answering 200' },
  );
  t.equal(JSON.parse(ready.body).checks.database.status, 'ok');
  t.equal(JSON.parse(ready.body).checks.migrations.status, 'ok', 'migrated on start');

  server.child.kill('SIGTERM');
  const code = await server.exited;
  t.equal(code, 0, 'clean exit', { code, lines: server.lines.slice(-8) });
});
