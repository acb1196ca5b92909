// npm run bench -- cache: what the shared cache (platform/cache) buys and how fast its invalidation travels.
// - GET /api/v1/settings/public and GET /api/v1/flags from the cache (the stage's API) against the same handlers
//   reading PostgreSQL on every request (a second API process with CACHE_BYPASS=settings,flags), wrk alternating
//   the sides over rounds (compare.ts).
// - Invalidation across 3 API processes: a setting changed through one of them in turn, each polled until it
//   shows the change; p50/p99 over CHANGES changes of the time from the PATCH's answer to the last instance.
import path from 'node:path';
import { compare, httpSide, type Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { startApi, type Proc } from './processes.js';
import type { Stage } from './stage.js';

const CHANGES = Number(process.env.BENCH_CACHE_CHANGES ?? 100);
const UNCACHED = 'PostgreSQL every time';

async function call<T>(baseUrl: string, method: string, url: string, body?: unknown, headers = {}): Promise<T> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;

/** Changes the organisation name through each instance in turn; ms until every instance shows each change. */
async function propagation(instances: Proc[], headers: Record<string, string>): Promise<number[]> {
  const times: number[] = [];
  for (let n = 0; n < CHANGES; n++) {
    const name = `Bench organisation ${n}`;
    await call(
      instances[n % instances.length]!.baseUrl,
      'PATCH',
      '/api/v1/settings',
      { organisation_name: name },
      headers,
    );
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
  return times;
}

export async function benchCache(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const started: Proc[] = [];
  const start = async (name: string, extra: Record<string, string> = {}) => {
    const proc = await startApi({ ...stage.production, ...extra }, path.join(env.dir, `${name}.log`));
    started.push(proc);
    return proc;
  };
  try {
    const uncached = await start('api-uncached', { CACHE_BYPASS: 'settings,flags' });
    // A flag with rules, so that evaluating it is not the trivial default.
    const flag = { enabled: true, roles: ['viewer'], percentage: 30 };
    await call(stage.api.baseUrl, 'PUT', '/api/v1/admin/flags/web_new_attendance_sheet', flag, stage.asAdmin);

    const rows: Row[] = [];
    for (const [title, request] of [
      ['cache: GET /settings/public (no token)', { path: '/api/v1/settings/public' }],
      ['cache: GET /flags (signed in)', { path: '/api/v1/flags', headers: stage.asViewer }],
    ] as const)
      rows.push(
        ...(await compare(env.log, {
          title,
          sides: [httpSide('cached', stage.api, [request]), httpSide(UNCACHED, uncached, [request])],
          ratios: [['cached', UNCACHED, null]],
        })),
      );

    const instances = [stage.api, await start('api-2'), await start('api-3')];
    const times = await propagation(instances, stage.asAdmin);
    const [p50, p99] = [percentile(times, 50), percentile(times, 99)];
    const title = `cache: invalidation across 3 instances (${CHANGES} changes)`;
    env.log(`\n## ${title}`);
    env.log(
      `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (bound: 1,000 ms)`,
    );
    rows.push([
      title,
      'p50 / p99 until every instance shows it',
      `${p50.toFixed(1)} / ${p99.toFixed(1)} ms`,
      '≤ 1,000 ms',
    ]);
    return rows;
  } finally {
    for (const p of started.reverse()) await p.stop().catch(() => {});
  }
}
