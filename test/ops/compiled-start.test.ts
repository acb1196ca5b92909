// Production start runs compiled JavaScript under plain node: `npm start` (apps/backend/scripts/start.mjs) builds
// dist/ when it is missing or older than src/, then runs it; dist/server.js runs with no TypeScript loader, and
// the files it reads beside its modules (migrations, the common-password list) are found there.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { sseClient } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/redis.js';
import { REPO, TEST_ADMIN } from '../setup/paths.js';
import { waitFor } from '../helpers/wait.js';
import { request, spawnServer, type ServerProcess } from './_server.js';

const BACKEND = path.join(REPO, 'apps/backend');
const STAMP = path.join(BACKEND, 'dist/.build-stamp');

t.test('the compiled server', async (t) => {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  const redisUrl = await testRedisUrl();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    JWT_SECRET: 'compiled-start-test-secret-long-enough-1234',
  };
  const started = async (server: ServerProcess) => {
    t.teardown(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    await server.waitFor(/listening on/, 180_000);
    return waitFor(async () => server.port(), { timeout: 10_000, interval: 200, what: 'the port' });
  };
  const stop = async (server: ServerProcess) => {
    server.child.kill('SIGTERM');
    return server.exited;
  };

  await t.test('npm start builds a stale dist/ first, then runs it', async (t) => {
    // Older than every source file: what a fresh pull looks like to the launcher (a fresh clone has no dist/).
    if (fs.existsSync(STAMP)) fs.utimesSync(STAMP, new Date(0), new Date(0));
    const server = spawnServer(env, [path.join(BACKEND, 'scripts/start.mjs')]);
    const port = await started(server);
    t.ok(
      server.lines.some((l) => /compiled server is (missing|older than src\/); building it/.test(l)),
      'it said it was building',
    );
    t.ok(fs.statSync(STAMP).mtimeMs > 0, 'dist/ was rebuilt');
    const ready = await request(port, 'GET', '/health/ready');
    t.equal(ready.status, 200, 'ready: the migrations beside the compiled migrator match the database');
    t.match(JSON.parse(ready.body), { checks: { migrations: { status: 'ok' } } });
    t.equal(await stop(server), 0, 'exit code 0');
  });

  await t.test('dist/server.js runs under plain node, no loader', async (t) => {
    const server = spawnServer(env, [path.join(BACKEND, 'dist/server.js')]);
    const port = await started(server);
    t.notOk(
      server.lines.some((l) => /building it/.test(l)),
      'nothing is built',
    );
    const login = await request(port, 'POST', '/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    t.equal(login.status, 200);
    const token = (JSON.parse(login.body) as { access_token: string }).access_token;
    // The password policy reads common-passwords.txt beside its compiled module.
    const weak = await request(port, 'POST', '/api/v1/auth/me/password', {
      headers: { authorization: `Bearer ${token}` },
      body: { current_password: TEST_ADMIN.password, new_password: 'password1234' },
    });
    t.equal(weak.status, 422, 'a common password is refused');
    // The change feed (socket.io and the relay included) runs compiled: a write reaches a live client.
    const client = sseClient(t, `http://127.0.0.1:${port}`, token);
    await client.ready;
    const created = await request(port, 'POST', '/api/v1/beneficiaries', {
      headers: { authorization: `Bearer ${token}` },
      body: { full_name: 'Compiled Feed' },
    });
    t.equal(created.status, 201);
    const [event] = await client.waitForEvents(1);
    t.match(event, { topic: 'beneficiaries', row_id: (JSON.parse(created.body) as { id: string }).id });
    client.close();
    t.equal(await stop(server), 0, 'exit code 0');
    // The log is written in blocks (at least every second) and flushed on shutdown: every line is there now.
    t.match(
      server.records.filter((r) => r.msg === 'request completed' && r.route === '/api/v1/auth/login'),
      [{ status: 200, method: 'POST' }],
      'production logging: one access line per request, flushed at exit',
    );
  });
});
