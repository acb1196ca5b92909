// npm run bench -- reports (issue 15), on the staging data set (100,000 beneficiaries):
// 1. each report served from its view vs computed from the base tables: the probe process answers the same
//    request both ways (the same code once the rows are read), wrk with one connection, so requests per second
//    is one over the latency; goal: view ≥ 20 × faster;
// 2. the refresh time of each view (POST /reports/refresh on the API, BENCH_ROUNDS times);
// 3. reads during a refresh: p99 of GET /reports/<name> on the API (wrk, BENCH_CONNECTIONS) while refreshes run
//    back to back, against the idle p99, alternating; goal: ≤ 2 × idle.
import { compare, fmt, httpSide, type Row, type Side } from './compare.js';
import type { BenchEnv } from './env.js';
import { median, ROUNDS, SECONDS } from './knobs.js';
import type { Proc } from './processes.js';
import type { Stage } from './stage.js';
import { wrk } from './wrk.js';

const REPORTS = ['attendance', 'enrollment_funnel', 'people_served', 'vulnerability_prevalence', 'capacity_use'];

/** One request at a time: requests per second = 1 / latency. */
const serial = (name: string, proc: Proc, path: string): Side => ({
  name,
  measure: (seconds) => wrk(proc.baseUrl, [{ path }], { seconds, connections: 1 }),
});

async function refresh(stage: Stage) {
  const res = await fetch(`${stage.api.baseUrl}/api/v1/reports/refresh`, { method: 'POST', headers: stage.asAdmin });
  if (!res.ok) throw new Error(`POST /reports/refresh answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { duration_ms: number; views: Record<string, { rows: number; duration_ms: number }> };
}

export async function benchReports(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const { log } = env;
  const rows: Row[] = [];
  const probe = await stage.probe();

  log(`\n# reports: refresh of every view (POST /reports/refresh on the API, ${ROUNDS} times)`);
  const refreshes = [];
  for (let i = 0; i < ROUNDS; i++) refreshes.push(await refresh(stage));
  for (const view of Object.keys(refreshes[0]!.views).sort()) {
    const ms = refreshes.map((r) => r.views[view]!.duration_ms);
    log(
      `${view}: ${refreshes[0]!.views[view]!.rows.toLocaleString('en-US')} rows, refresh median ${median(ms)} ms (${Math.min(...ms)}–${Math.max(...ms)})`,
    );
    rows.push(['reports: refresh CONCURRENTLY', view, `${median(ms)} ms (${Math.min(...ms)}–${Math.max(...ms)})`, '']);
  }
  const total = refreshes.map((r) => r.duration_ms);
  rows.push([
    'reports: refresh CONCURRENTLY',
    'all five, one transaction',
    `${median(total)} ms (${Math.min(...total)}–${Math.max(...total)})`,
    '',
  ]);

  for (const name of REPORTS) {
    // The default period: the 12 months up to this one (the staging generator's as-of day is today).
    const path = (source: string) => `/bench/reports/${name}/${source}`;
    rows.push(
      ...(await compare(log, {
        title: `reports: ${name}, last 12 months, one request at a time`,
        sides: [serial('view', probe, path('view')), serial('base tables', probe, path('live'))],
        ratios: [['view', 'base tables', 20]],
      })),
    );
  }

  // Reads during a refresh: the API as production runs it; refreshes back to back on another connection.
  const read = `/api/v1/reports/people_served`;
  log(`\n## reports: GET ${read} p99, idle vs during back-to-back refreshes (${ROUNDS} rounds of ${SECONDS} s)`);
  const api = httpSide('API', stage.api, [{ path: read, headers: stage.asAdmin }]);
  await api.measure(2);
  const idle: number[] = [];
  const busy: number[] = [];
  const busyRps: number[] = [];
  const idleRps: number[] = [];
  let during = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const quiet = await api.measure(SECONDS);
    let running = true;
    const loop = (async () => {
      while (running) {
        await refresh(stage);
        during++;
      }
    })();
    const loaded = await api.measure(SECONDS);
    running = false;
    await loop;
    idle.push(quiet.p99Ms);
    busy.push(loaded.p99Ms);
    idleRps.push(quiet.rps);
    busyRps.push(loaded.rps);
    log(
      `round ${round + 1}: idle p99 ${quiet.p99Ms.toFixed(1)} ms (${fmt(quiet.rps)}/s), during refreshes p99 ${loaded.p99Ms.toFixed(1)} ms (${fmt(loaded.rps)}/s)`,
    );
  }
  const ratios = idle.map((p, i) => busy[i]! / p);
  const m = median(ratios);
  log(
    `${during} refreshes ran during the reads; p99 during ÷ idle: median ${m.toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) — goal ≤ 2: ${m <= 2 ? 'met' : 'NOT met'}`,
  );
  rows.push([
    `reports: GET ${read} during refreshes`,
    'p99 idle',
    `${median(idle).toFixed(1)} ms (${fmt(median(idleRps))}/s)`,
    '',
  ]);
  rows.push([
    `reports: GET ${read} during refreshes`,
    'p99 during',
    `${median(busy).toFixed(1)} ms (${fmt(median(busyRps))}/s)`,
    '',
  ]);
  rows.push([
    `reports: GET ${read} during refreshes`,
    'p99 during ÷ idle',
    `**${m.toFixed(2)}** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    m <= 2 ? '≤ 2: met' : '≤ 2: NOT met',
  ]);
  return rows;
}
