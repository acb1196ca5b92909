// SIGTERM under load: requests in flight complete (201), new connections are refused, exit code 0, no log line lost.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase } from '../helpers/db.js';
import { testRedisUrl } from '../helpers/redis.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { request, spawnServer } from './_server.js';
import { waitFor } from '../helpers/wait.js';

const N = 12;

t.test('graceful shutdown under load', async (t) => {
  const database = await createTestDatabase();
  t.teardown(database.drop);
  const redisUrl = await testRedisUrl(); // the shared one: a killed server leaves no redis-server behind
  const server = spawnServer({
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    JWT_SECRET: 'sigterm-test-secret-that-is-long-enough-1234',
    SEED_ADMIN_EMAIL: TEST_ADMIN.email,
    SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
    SHUTDOWN_TIMEOUT_MS: '60000',
    DATA_DIR: `/tmp/acolhe-sigterm-${randomBytes(4).toString('hex')}`,
  });
  t.teardown(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  await server.waitFor(/listening on/);
  await waitFor(async () => server.port(), { timeout: 10_000, interval: 200, what: 'the port' });
  const port = server.port();
  const login = await request(port, 'POST', '/api/v1/auth/login', {
    body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
  });
  t.equal(login.status, 200);
  const auth = { authorization: `Bearer ${JSON.parse(login.body).access_token as string}` };

  // Slow requests, for certain: each POST waits on the unique index behind an uncommitted insert of the same
  // e-mail in another session, until the test lets go (after SIGTERM).
  const tag = randomBytes(3).toString('hex');
  const emails = Array.from({ length: N }, (_, i) => `sigterm-${tag}-${i}@acolhe.test`);
  const holder = new pg.Client({ connectionString: database.url });
  // pg_stat_activity is frozen inside a transaction: the observer has its own connection.
  const observer = new pg.Client({ connectionString: database.adminUrl });
  await Promise.all([holder.connect(), observer.connect()]);
  t.teardown(() => Promise.all([holder.end().catch(() => {}), observer.end().catch(() => {})]));
  await holder.query('BEGIN');
  await holder.query(
    "INSERT INTO users (email, name, password_hash, role) SELECT e, 'Holder', '$argon2id$x', 'admin' FROM unnest($1::text[]) e",
    [emails],
  );
  const inFlight = emails.map((email) =>
    request(port, 'POST', '/api/v1/users', {
      headers: auth,
      body: { email, name: 'In flight', role: 'admin', password: 'Sigterm-test-password-2026!' },
    }),
  );
  await waitFor(
    async () =>
      (
        await observer.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
          [database.name],
        )
      ).rows[0]!.n >= Math.min(N, 10),
    { timeout: 60_000, interval: 200, what: 'requests waiting on the lock' },
  );

  server.child.kill('SIGTERM');
  await server.waitFor(/shutting down/);
  // A connection that raced the listener's close may be reset (ECONNRESET); the ones after it are refused.
  const refused = await waitFor(
    () =>
      request(port, 'GET', '/health/live').then(
        () => undefined,
        (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : err.code),
      ),
    { timeout: 30_000, interval: 200, what: 'new connections being refused' },
  );
  t.equal(refused, 'ECONNREFUSED', 'a new connection is refused while requests are still in flight');
  t.equal(server.child.exitCode, null, 'the server is still finishing its requests');

  await holder.query('ROLLBACK'); // let the held requests proceed
  const results = await Promise.all(inFlight);
  t.same(
    results.map((r) => r.status),
    Array(N).fill(201),
    'every request in flight completed',
  );
  t.equal(await server.exited, 0, 'exit code 0');
  const { rows } = await holder.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM users WHERE email::text = ANY($1::text[])',
    [emails],
  );
  t.equal(rows[0]!.n, N, 'and their writes are stored');
  // The log is written asynchronously: lines of requests that finished during shutdown are flushed before exit.
  t.equal(
    server.records.filter((r) => r.msg === 'request completed' && r.route === '/api/v1/users' && r.status === 201)
      .length,
    N,
    'every request in flight has its access line, none lost at exit',
  );
});
