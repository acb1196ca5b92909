import http from 'node:http';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { startProxy } from '../helpers/tcp-proxy.js';

t.test('readiness goes 503 when the database is unreachable and recovers without a restart', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const proxy = await startProxy(Number(new URL(database.url).port));
  t.teardown(() => proxy.close());
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  const { app } = await buildTestApp(t, {
    database,
    poolUrl: viaProxy.toString(),
    env: { DB_CONNECT_TIMEOUT_MS: '500' },
  });

  const ready = () => app.inject({ method: 'GET', url: '/health/ready' });
  let res = await ready();
  t.equal(res.statusCode, 200);
  t.match(res.json(), { status: 'ok', checks: { database: { status: 'ok' }, migrations: { status: 'ok' } } });

  await proxy.cut();
  res = await ready();
  t.equal(res.statusCode, 503);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), {
    status: 503,
    code: 'not_ready',
    errors: [
      { path: 'checks.database', message: 'unreachable' },
      { path: 'checks.migrations', message: 'unknown' },
    ],
  });
  t.equal(
    (await app.inject({ method: 'GET', url: '/health/live' })).statusCode,
    200,
    'liveness does not depend on the database',
  );

  await proxy.restore();
  res = await ready();
  t.equal(res.statusCode, 200, 'back without a restart');
});

t.test('graceful shutdown finishes an in-flight request and refuses new ones', async (t) => {
  // The handler runs until the test has seen a new request refused: in flight for as long as that takes.
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let finish!: () => void;
  const refusalSeen = new Promise<void>((resolve) => (finish = resolve));
  const { app } = await buildTestApp(t, {
    extend: (a) =>
      a.get('/slow', async () => {
        started();
        await refusalSeen;
        return { done: true };
      }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });

  const inFlight = get('/slow');
  await running;
  const closing = app.close();
  const refused = await get('/health/live').then(
    (r) => r.status,
    (err: NodeJS.ErrnoException) => err.code,
  );
  t.ok(['ECONNREFUSED', 'ECONNRESET', 503].includes(refused as string | number), `new request refused (${refused})`);
  finish();
  const res = await inFlight;
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { done: true });
  await closing;
});
