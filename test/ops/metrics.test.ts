// GET /metrics: Prometheus text, route patterns (never raw URLs), pool/query/Redis metrics, token protection.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { Histogram, Registry } from 'prom-client';
import { tokenMatches } from '../../apps/backend/src/platform/metrics.js';
import { FastHistogram } from '../../apps/backend/src/platform/fast-histogram.js';

const TOKEN = 'metrics-token-0123456789abcdef';

const metricValue = (text: string, line: RegExp): number | null => {
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').at(-1)) : null;
};

t.test('with METRICS_TOKEN: refused without or with a wrong token, served with it', async (t) => {
  const ctx = await buildTestApp(t, { env: { METRICS_TOKEN: TOKEN } });
  const none = await ctx.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(none.statusCode, 401);
  t.match(none.headers['content-type'], /application\/problem\+json/);
  const wrong = await ctx.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}x` },
  });
  t.equal(wrong.statusCode, 401);

  const user = await admin(ctx);
  await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: user.headers });
  await ctx.app.inject({ method: 'GET', url: '/api/v1/users/999999', headers: user.headers });
  await ctx.app.inject({ method: 'GET', url: '/no/such/route' });

  const res = await ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  const body = res.body;
  t.match(
    body,
    /acolhe_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/users\/:id",status_code="200"\} 1/,
  );
  t.match(body, /route="\/api\/v1\/users\/:id",status_code="404"/);
  t.notMatch(body, /users\/999999/, 'never the raw URL');
  t.match(body, /acolhe_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\}/);
  t.match(body, /acolhe_http_errors_total\{code="not_found",status_code="404"\} 1/);
  t.match(body, /acolhe_http_errors_total\{code="unauthorized",status_code="401"\} 2/);
  t.match(body, /acolhe_http_errors_total\{code="route_not_found",status_code="404"\} 1/);
  t.match(body, /acolhe_db_pool_connections\{state="total"\} \d+/);
  t.match(body, /acolhe_db_pool_connections\{state="idle"\} \d+/);
  t.match(body, /acolhe_db_pool_connections\{state="waiting"\} 0/);
  t.match(body, /acolhe_db_query_duration_seconds_count\{statement="[a-z-]+",outcome="ok"\} \d+/);
  t.match(body, /acolhe_db_slow_queries_total \d+/);
  t.equal(metricValue(body, /^acolhe_redis_up /), ctx.redis ? 1 : 0);
  t.match(body, /process_cpu_user_seconds_total/);
  t.match(body, /nodejs_eventloop_lag_seconds/);
});

t.test('query errors are counted by statement and SQLSTATE; slow queries counted', async (t) => {
  const ctx = await buildTestApp(t, { env: { METRICS_TOKEN: TOKEN, SLOW_QUERY_MS: '1' } });
  await ctx.db.many({ name: 'test-fails', text: 'SELECT 1/0' }).catch(() => {});
  await ctx.db.many({ name: 'test-sleeps', text: 'SELECT pg_sleep(0.01)' });
  const body = (await ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } }))
    .body;
  t.match(body, /acolhe_db_query_errors_total\{statement="test-fails",code="22012"\} 1/);
  t.match(body, /acolhe_db_query_duration_seconds_count\{statement="test-fails",outcome="error"\} 1/);
  t.ok((metricValue(body, /^acolhe_db_slow_queries_total /) ?? 0) >= 1);
});

t.test('production without token or port: /metrics is off; development without token: open', async (t) => {
  const prod = await buildTestApp(t, {
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1',
      JWT_SECRET: 'x'.repeat(40),
    },
  });
  t.equal((await prod.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
  const dev = await buildTestApp(t, { env: { NODE_ENV: 'development' } });
  const res = await dev.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /acolhe_db_pool_connections/);
});

t.test('two apps in one process keep separate registries', async (t) => {
  const a = await buildTestApp(t, { env: { METRICS_TOKEN: TOKEN } });
  const b = await buildTestApp(t, { env: { METRICS_TOKEN: TOKEN } });
  t.not(a.app.metricsRegistry, b.app.metricsRegistry);
});

t.test('token comparison', async (t) => {
  t.ok(tokenMatches(`Bearer ${TOKEN}`, TOKEN));
  t.notOk(tokenMatches(TOKEN, TOKEN), 'the Bearer scheme is required');
  t.notOk(tokenMatches(undefined, TOKEN));
  t.notOk(tokenMatches('Bearer short', TOKEN));
});

t.test('METRICS_PORT: served on 127.0.0.1 only, from app.listen to app.close', async (t) => {
  const { freePort } = await import('../../apps/backend/src/platform/embedded.js');
  const port = await freePort();
  const ctx = await buildTestApp(t, {
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1',
      JWT_SECRET: 'x'.repeat(40),
      METRICS_PORT: String(port),
    },
  });
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/metrics' })).statusCode,
    404,
    'not on the API port without a token',
  );
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(res.status, 200);
  t.match(await res.text(), /acolhe_db_pool_connections/);
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  await ctx.app.close();
  await t.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'closed with the app');
});

t.test("FastHistogram exposes exactly what prom-client's Histogram exposes for the same observations", async (t) => {
  const buckets = [0.005, 0.01, 0.5, 1];
  const reference = new Registry();
  const fast = new Registry();
  const labelNames = ['method', 'route'] as const;
  const hist = new Histogram({ name: 'x_seconds', help: 'h', labelNames, buckets, registers: [reference] });
  const ours = new FastHistogram('x_seconds', 'h', labelNames, buckets, fast);
  const observations: [Record<'method' | 'route', string>, number][] = [
    [{ method: 'GET', route: '/a' }, 0.001],
    [{ method: 'GET', route: '/a' }, 0.005], // on a bound: counted in it (le)
    [{ method: 'GET', route: '/a' }, 0.7],
    [{ method: 'POST', route: '/a' }, 3], // above the last bound: +Inf only
    [{ method: 'GET', route: '/b "quoted"' }, 0.02],
  ];
  for (const [labels, v] of observations) {
    hist.observe(labels, v);
    ours.observe(labels, v);
  }
  t.equal(await fast.metrics(), await reference.metrics());
});
