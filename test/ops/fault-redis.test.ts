// Redis stopped while the API runs: logins and authenticated requests keep working from PostgreSQL; when
// Redis comes back (same address) it is used again.
import t from 'tap';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { buildTestApp } from '../helpers/app.js';
import { admin, bearer, login } from '../helpers/auth.js';
import { startPrivateRedis } from '../helpers/redis.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { waitFor } from '../helpers/wait.js';

/** A redis-server on a given port (the restart after an outage must come back on the same address). */
async function redisOn(port: number) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const probe = new Redis(`redis://127.0.0.1:${port}`, {
    lazyConnect: true,
    retryStrategy: () => 100,
    maxRetriesPerRequest: null,
  });
  await waitFor(async () => (await probe.ping()) === 'PONG', {
    timeout: 30_000,
    interval: 200,
    what: 'redis-server restart',
  });
  probe.disconnect();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

t.test('Redis outage: PostgreSQL carries the requests, Redis is used again when back', async (t) => {
  const first = await startPrivateRedis();
  const port = Number(new URL(first.url).port);
  const restarted: { server?: { stop(): Promise<void> } } = {};
  t.teardown(async () => {
    await first.stop();
    await restarted.server?.stop();
  });
  const ctx = await buildTestApp(t, { redis: first.url });
  const inspect = () => new Redis(first.url, { lazyConnect: true, maxRetriesPerRequest: 1 });

  const boss = await admin(ctx);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${boss.id}`, headers: boss.headers })).statusCode,
    200,
  );
  let r = inspect();
  t.ok(await r.exists(`sessions:${boss.id}`), 'sessions:<userId> cached in Redis');
  r.disconnect();

  await first.stop();
  await waitFor(async () => ctx.redis!.status !== 'ready', {
    timeout: 30_000,
    interval: 200,
    what: 'the app noticing Redis is gone',
  });

  // Login (throttle and session cache in Redis) and an authenticated read, on PostgreSQL alone.
  const tokens = await login(ctx, TEST_ADMIN.email, TEST_ADMIN.password);
  const during = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/users/${boss.id}`,
    headers: bearer(tokens.access_token),
  });
  t.equal(during.statusCode, 200, 'authenticated GET works without Redis');
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: boss.headers })).statusCode,
    200,
    'an older token still works too',
  );
  const ready = await ctx.app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 200, 'readiness stays up');
  t.equal(ready.json().status, 'degraded');
  t.match(
    (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body,
    /\nacolhe_redis_up 0\n/,
    'the metric shows Redis down',
  );

  restarted.server = await redisOn(port);
  await waitFor(async () => ctx.redis!.status === 'ready', {
    timeout: 60_000,
    interval: 200,
    what: 'the app reconnecting to Redis',
  });
  r = inspect();
  t.notOk(await r.exists(`sessions:${boss.id}`), 'the restarted Redis starts empty');
  const after = await login(ctx, TEST_ADMIN.email, TEST_ADMIN.password);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${boss.id}`, headers: bearer(after.access_token) }))
      .statusCode,
    200,
  );
  t.ok(await r.exists(`sessions:${boss.id}`), 'sessions:<userId> written to Redis again');
  t.ok(await r.exists('cache:permissions:admin'), 'the permissions of the role cached again');
  r.disconnect();
  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).json().status, 'ok');
  t.match((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body, /\nacolhe_redis_up 1\n/);
});
