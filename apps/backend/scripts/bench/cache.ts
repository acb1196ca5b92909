// npm run bench -- cache: what the shared cache (platform/cache) buys and how fast its invalidation travels.
// - GET /api/v1/settings/public and GET /api/v1/flags from the cache, against the same handlers reading PostgreSQL
//   on every request (CACHE_BYPASS=settings,flags): two API processes as production runs them, wrk in its own
//   process, the sides alternating over ROUNDS rounds; medians and ranges of the ratios.
// - Invalidation across 3 API processes: a setting changed through one, each polled until it shows the change;
//   p50/p99 over CHANGES changes of the time until the last instance shows it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { freePort } from '../../src/platform/embedded.js';
import { median, ROUNDS, SECONDS } from './knobs.js';
import { ensureWrk, wrk, type WrkRequest } from './wrk.js';

const CHANGES = Number(process.env.BENCH_CACHE_CHANGES ?? 100);

export interface CacheBenchContext {
  databaseUrl: string;
  redisUrl: string;
  adminEmail: string;
  adminPassword: string;
  log: (line: string) => void;
}

interface Api {
  baseUrl: string;
  child: ChildProcess;
}

/** The API in its own process, as production starts it (NODE_ENV=production: nothing embedded, no migrations). */
async function startApi(env: Record<string, string>): Promise<Api> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'apps/backend/src/server.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before it was ready`);
    if (
      await fetch(`${baseUrl}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { baseUrl, child };
    if (Date.now() > deadline) throw new Error('the API was not ready after 180 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(api: Api) {
  if (api.child.exitCode !== null) return;
  const exited = new Promise((r) => api.child.once('exit', r));
  api.child.kill('SIGTERM');
  await exited;
}

async function call<T>(baseUrl: string, method: string, url: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;

/** The two sides over ROUNDS rounds, alternating which goes first; per-round ratios cached ÷ uncached. */
async function sideBySide(log: CacheBenchContext['log'], title: string, cached: Api, uncached: Api, req: WrkRequest) {
  log(`\n### ${title}`);
  await wrk(cached.baseUrl, [req], { seconds: 2 });
  await wrk(uncached.baseUrl, [req], { seconds: 2 });
  const c: number[] = [];
  const u: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: [Api, number[]][] =
      round % 2
        ? [
            [uncached, u],
            [cached, c],
          ]
        : [
            [cached, c],
            [uncached, u],
          ];
    for (const [api, into] of order) into.push((await wrk(api.baseUrl, [req], { seconds: SECONDS })).rps);
    log(`round ${round + 1}: cached ${fmt(c.at(-1)!)}/s, PostgreSQL every time ${fmt(u.at(-1)!)}/s`);
  }
  const ratios = c.map((x, i) => x / u[i]!);
  log(`cached: median ${fmt(median(c))}/s (${range(c, fmt)})`);
  log(`PostgreSQL every time: median ${fmt(median(u))}/s (${range(u, fmt)})`);
  log(
    `cached ÷ PostgreSQL every time: median **${median(ratios).toFixed(2)}** (${range(ratios, (n) => n.toFixed(2))})`,
  );
}

export async function benchCache(ctx: CacheBenchContext): Promise<void> {
  const { log } = ctx;
  ensureWrk(log);
  const production = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    JWT_SECRET: 'bench-secret-long-enough-for-hs256-signing!!',
  };
  const apis: Api[] = [];
  try {
    const cached = await startApi(production);
    apis.push(cached);
    const uncached = await startApi({ ...production, CACHE_BYPASS: 'settings,flags' });
    apis.push(uncached);
    const token = (
      await call<{ access_token: string }>(cached.baseUrl, 'POST', '/api/v1/auth/login', {
        email: ctx.adminEmail,
        password: ctx.adminPassword,
      })
    ).access_token;
    // A flag with rules, so evaluating it is not the trivial default.
    await call(
      cached.baseUrl,
      'PUT',
      '/api/v1/admin/flags/web_new_attendance_sheet',
      { enabled: true, percentage: 30 },
      token,
    );

    log(
      `\n## cache: served from the cache vs the same handler reading PostgreSQL (wrk, ${ROUNDS} rounds of ${SECONDS} s)`,
    );
    await sideBySide(log, 'GET /api/v1/settings/public (no token)', cached, uncached, {
      path: '/api/v1/settings/public',
    });
    await sideBySide(log, 'GET /api/v1/flags (signed in)', cached, uncached, {
      path: '/api/v1/flags',
      headers: { authorization: `Bearer ${token}` },
    });

    const instances = [cached, await startApi(production), await startApi(production)];
    apis.push(...instances.slice(1));
    const times: number[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const writer = instances[n % 3]!;
      const name = `Bench organisation ${n}`;
      await call(writer.baseUrl, 'PATCH', '/api/v1/settings', { organisation_name: name }, token);
      const done = performance.now();
      const seen = await Promise.all(
        instances.map(async (i) => {
          for (;;) {
            const s = await call<{ organisation_name: string }>(i.baseUrl, 'GET', '/api/v1/settings/public');
            if (s.organisation_name === name) return performance.now() - done;
          }
        }),
      );
      times.push(Math.max(...seen));
    }
    log(
      `\n### invalidation across 3 instances (${CHANGES} changes; from the PATCH answer to the last instance showing it)`,
    );
    log(
      `p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (bound promised: 1,000 ms)`,
    );
  } finally {
    for (const api of apis.reverse()) await stop(api).catch(() => {});
  }
}
