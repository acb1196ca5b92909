// The raw pg pool: no HTTP at all. CONNECTIONS loops (as many as wrk's connections) each run the statement, await
// it and run the next, over a pool of DB_POOL_MAX connections, for the given seconds; the result is statements
// per second. Driven by the bench over IPC, one message per run: {"run":"point","seconds":5,"connections":10}
// → {"qps":…,"p50Ms":…,"p99Ms":…}; `point-unnamed` sends the point read's statement without its name. The inputs
// (ids, cursors) come from BENCH_FIXTURE, the file the bench also builds its wrk paths from.
import fs from 'node:fs';
import { announce, createPool, env, statements } from './common.js';

interface Fixture {
  actorId: string;
  ids: string[];
  pages: [string, string][];
}
const fixture = JSON.parse(fs.readFileSync(env('BENCH_FIXTURE'), 'utf8')) as Fixture;
const pool = createPool();
const sql = await statements(fixture.actorId, pool);
const SELECT_1 = { name: 'bench-select-1', text: 'SELECT 1 AS one' };

type Stmt = { text: string; values?: unknown[]; name?: string };
/** The same statement sent unnamed, as DATABASE_PREPARED_STATEMENTS=false does (behind a transaction pooler). */
const unnamed = (s: Stmt): Stmt => ({ text: s.text, values: s.values });

const runs: Record<string, (i: number) => Stmt> = {
  point: (i) => sql.point(fixture.ids[i % fixture.ids.length]!),
  sensitive: (i) => sql.sensitive(fixture.ids[i % fixture.ids.length]!),
  page: (i) => sql.page(fixture.pages[i % fixture.pages.length]!),
  'point-unnamed': (i) => unnamed(sql.point(fixture.ids[i % fixture.ids.length]!)),
  'select-1': () => SELECT_1,
};

async function run(kind: string, seconds: number, connections: number) {
  const statement = runs[kind];
  if (!statement) throw new Error(`unknown run ${kind}`);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await pool.query(statement(next++));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    qps: latencies.length / elapsed,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
  };
}

process.on('message', (cmd: { run: string; seconds: number; connections: number }) => {
  run(cmd.run, cmd.seconds, cmd.connections).then(
    (r) => process.send!(r),
    (err: Error) => process.send!({ error: err.message }),
  );
});
process.on('SIGTERM', () => void pool.end().then(() => process.exit(0)));
announce(0);
