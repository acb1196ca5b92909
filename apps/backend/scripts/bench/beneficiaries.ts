// Benchmark of the beneficiaries module's queries (issue 5), through app.inject (latency, not HTTP throughput:
// `npm run bench -- http` measures GET /beneficiaries/:id and list pages over HTTP against the raw pool):
//  1. p50/p95 of a name search with a typo;
//  2. p50/p95 of the first and the 500th keyset page (goal: the 500th within 1.3× of the first);
//  3. EXPLAIN (ANALYZE, BUFFERS) of the search, and whether the trigram index is used.
// Fixture: 200,000 beneficiaries made by one INSERT ... SELECT generate_series (marked notes = 'bench-fixture')
// when the database holds fewer; reused by later runs.
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { beneficiaryStatements, SEARCH_THRESHOLD } from '../../src/modules/beneficiaries/repository.js';
import { CITIES, FEMALE_FIRST, MIDDLE, SURNAMES } from '../staging/names.js';

export interface BenchContext {
  databaseUrl: string;
  app: FastifyInstance;
  headers: Record<string, string>;
  log: (line: string) => void;
}

const FIXTURE_ROWS = 200_000;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);
const TYPO_QUERY = 'Conseição Olivera'; // "Conceição Oliveira" with two typos and one accent dropped
const PAGE_SIZE = 20;
const FAR_PAGE = 500;

// The staging generator's name lists (the typo query's "Conceição" and "Oliveira" are among them).
const SAO_PAULO = CITIES.find((c) => c.name === 'São Paulo')!;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function ensureFixture(pool: pg.Pool, log: (l: string) => void): Promise<void> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM beneficiaries WHERE deleted_at IS NULL',
  );
  const have = rows[0]?.n ?? 0;
  if (have >= FIXTURE_ROWS) {
    log(`fixture: ${have} beneficiaries already present`);
    return;
  }
  const missing = FIXTURE_ROWS - have;
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Skip the audit and status-history triggers for fixture rows when allowed (superuser); otherwise they run.
    await client.query('SAVEPOINT repl');
    try {
      await client.query('SET LOCAL session_replication_role = replica');
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT repl');
      log('fixture: not a superuser, audit triggers will run for fixture rows (slower)');
    }
    await client.query(
      `INSERT INTO beneficiaries (full_name, social_name, birth_date, address_neighbourhood, address_city, address_state, dependents, notes, created_at)
       SELECT f[1 + (i % cardinality(f))] || ' ' || m[1 + ((i / 7) % cardinality(m))] || ' ' || l[1 + ((i / 11) % cardinality(l))]
                || ' ' || l[1 + ((i * 13 + i / 97) % cardinality(l))],
              CASE WHEN i % 50 = 0 THEN f[1 + ((i / 3) % cardinality(f))] END,
              DATE '1950-01-01' + (i % 20000),
              nb[1 + (i % cardinality(nb))], 'São Paulo', 'SP', i % 6, 'bench-fixture',
              now() - make_interval(secs => ($5::int - i) * 60)
         FROM generate_series(1, $5::int) AS g(i),
              (SELECT $1::text[] AS f, $2::text[] AS m, $3::text[] AS l, $4::text[] AS nb) AS words`,
      [FEMALE_FIRST, MIDDLE, SURNAMES, SAO_PAULO.neighbourhoods, missing],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  await pool.query('ANALYZE beneficiaries');
  log(`fixture: inserted ${missing} beneficiaries in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function latencies(op: () => Promise<void>, n = SAMPLES): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await op(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

export async function benchBeneficiaries(ctx: BenchContext): Promise<void> {
  const { app, headers, log } = ctx;
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2, application_name: 'acolhe-bench' });
  try {
    await ensureFixture(pool, log);

    // 1. Search with a typo.
    const searchUrl = `/api/v1/beneficiaries?q=${encodeURIComponent(TYPO_QUERY)}&limit=${PAGE_SIZE}`;
    const first = await app.inject({ method: 'GET', url: searchUrl, headers });
    const hits = (first.json() as { data: { full_name: string }[] }).data;
    log(`search "${TYPO_QUERY}": ${hits.length} hits on the first page, best "${hits[0]?.full_name ?? '-'}"`);
    const search = await latencies(async () => void (await app.inject({ method: 'GET', url: searchUrl, headers })));
    log(`search with a typo: p50 ${ms(search.p50)}, p95 ${ms(search.p95)}`);

    // 2. First versus 500th keyset page (sorted by name).
    const listUrl = `/api/v1/beneficiaries?sort=name&limit=${PAGE_SIZE}`;
    let cursor: string | null = null;
    for (let page = 1; page < FAR_PAGE; page++) {
      const res: { json(): unknown } = await app.inject({
        method: 'GET',
        url: `${listUrl}${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      });
      cursor = (res.json() as { next_cursor: string | null }).next_cursor;
      if (!cursor) throw new Error(`ran out of pages at page ${page}`);
    }
    const farUrl = `${listUrl}&cursor=${cursor}`;
    const p1 = await latencies(async () => void (await app.inject({ method: 'GET', url: listUrl, headers })));
    const p500 = await latencies(async () => void (await app.inject({ method: 'GET', url: farUrl, headers })));
    log(
      `keyset page 1: p50 ${ms(p1.p50)}, p95 ${ms(p1.p95)}; page ${FAR_PAGE}: p50 ${ms(p500.p50)}, p95 ${ms(p500.p95)}; ratio p50 ${(p500.p50 / p1.p50).toFixed(2)} (goal ≤ 1.3)`,
    );

    // 3. The search plan.
    const s = beneficiaryStatements(app.classification).search(
      { text: TYPO_QUERY, code: null },
      { timezone: 'America/Sao_Paulo' },
      null,
      PAGE_SIZE,
    );
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(SEARCH_THRESHOLD.text);
      const plan = await client.query<{ 'QUERY PLAN': string }>({
        text: `EXPLAIN (ANALYZE, BUFFERS) ${s.text}`,
        values: s.values,
      });
      await client.query('COMMIT');
      const lines = plan.rows.map((r) => r['QUERY PLAN']);
      log('EXPLAIN (ANALYZE, BUFFERS) of the search:');
      for (const line of lines) log(`  ${line}`);
      log(`trigram index used: ${lines.some((l) => l.includes('beneficiaries_full_name_trgm_idx')) ? 'yes' : 'NO'}`);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
