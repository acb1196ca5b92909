// `npm run bench -- scale` (issue 18): how the figures grow from 100,000 to 1,000,000 beneficiaries
// (BENCH_SCALE_SIZES). Each size gets its own database on the bench server, filled by `npm run seed:staging`
// itself (a child process, its progress lines in the log), and its own API process as production runs it;
// the HTTP figures come from wrk in its own process, the sizes alternating over the rounds so the machine's
// drifting load hits them alike. Then the report refresh (POST /reports/refresh, each view's time from its log),
// backup and verify of each, and Redis memory per signed-in session.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../../src/config.js';
import { backup } from '../../src/database/backup/backup.js';
import { verifyBackup } from '../../src/database/backup/verify.js';
import { withClient } from '../lib/database.js';
import { keyRing } from '../../src/database/backup/encryption.js';
import { FEMALE_FIRST, SURNAMES } from '../staging/names.js';
import { compare, fmt } from './compare.js';
import { scratchDatabase, type BenchEnv } from './env.js';
import { median, ROUNDS, SECONDS } from './knobs.js';
import { startApi, startRawPool, type Proc } from './processes.js';
import { call, productionEnv, signInBenchUsers, spreadIds, VIEWER } from './stage.js';
import { ensureWrk, wrk, type WrkRequest } from './wrk.js';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '100000,1000000').split(',').map(Number);
const PAGE = 20;
const FAR_PAGE = 500;
const SESSIONS = Number(process.env.BENCH_SCALE_SESSIONS ?? 200);

interface Size {
  n: number;
  url: string;
  api: Proc;
  ids: string[];
  farCursor: string;
  seedSeconds: number;
  seedRows: number;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString('en-US')} MB`;
const big = (n: number) => n.toLocaleString('en-US');

/** `npm run seed:staging -- --beneficiaries N --seed 42` against `url`, as an operator runs it; its lines logged. */
async function seedStaging(env: BenchEnv, url: string, n: number): Promise<{ seconds: number; rows: number }> {
  const t0 = performance.now();
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'apps/backend/scripts/seed-staging.ts'),
        `--beneficiaries=${n}`,
        '--seed=42',
        '--as-of=2026-11-25',
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'test',
          MIGRATION_DATABASE_URL: url,
          SEED_ADMIN_EMAIL: env.adminEmail,
          SEED_ADMIN_PASSWORD: env.adminPassword,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const onLine = (buf: Buffer) => {
      for (const line of buf.toString().split('\n').filter(Boolean)) {
        env.log(`  seed:staging ${big(n)} | ${line}`);
        const done = /^done in .*: (\d+) rows inserted/.exec(line);
        if (done) rows = Number(done[1]);
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed:staging exited with ${code}`))));
  });
  return { seconds: (performance.now() - t0) / 1000, rows };
}

/** Names from the staging lists with one letter dropped and one accent lost: searches with typos. */
function typoQueries(): string[] {
  const plain = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return Array.from({ length: 20 }, (_, i) => {
    const first = FEMALE_FIRST[(i * 7) % FEMALE_FIRST.length]!;
    const last = plain(SURNAMES[(i * 11) % SURNAMES.length]!);
    const cut = 1 + (i % Math.max(1, last.length - 2));
    return `${first} ${last.slice(0, cut)}${last.slice(cut + 1)}`;
  });
}

async function prepare(env: BenchEnv, n: number): Promise<Size> {
  const db = await scratchDatabase(env, `bench_scale_${n}`, env.config);
  env.log(`\n## ${big(n)} beneficiaries: npm run seed:staging -- --beneficiaries ${n} --seed 42`);
  const seeded = await seedStaging(env, db.url, n);
  env.log(
    `  ${big(seeded.rows)} rows in ${seconds(seeded.seconds * 1000)} s (${big(Math.round(seeded.rows / seeded.seconds))} rows/s)`,
  );
  const api = await startApi(productionEnv(env, db.url), path.join(env.dir, `api-${n}.log`));
  const { viewerToken: token } = await signInBenchUsers(api.baseUrl, env);
  const ids = await spreadIds(db.url, 1_000);
  // Page 500 of the name-sorted list, reached the way a client does: following next_cursor.
  let cursor = '';
  for (let page = 1; page < FAR_PAGE; page++) {
    const res = await call<{ next_cursor: string | null }>(
      api.baseUrl,
      'GET',
      `/api/v1/beneficiaries?sort=name&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      undefined,
      token,
    );
    if (!res.next_cursor) throw new Error(`only ${page} pages of ${PAGE}`);
    cursor = res.next_cursor;
  }
  return {
    n,
    url: db.url,
    api,
    ids,
    farCursor: cursor,
    seedSeconds: seeded.seconds,
    seedRows: seeded.rows,
  };
}

async function databaseSize(url: string) {
  return withClient(url, async (c) => {
    const total = Number(
      (await c.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b')).rows[0]!.b,
    );
    const { rows } = await c.query<{ name: string; total: string; indexes: string }>(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS total, pg_indexes_size(c.oid)::text AS indexes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 5`,
    );
    return { total, tables: rows.map((r) => ({ name: r.name, total: Number(r.total), indexes: Number(r.indexes) })) };
  });
}

/** Redis bytes per signed-in session: INFO used_memory before and after SESSIONS sessions made their first request. */
async function redisPerSession(env: BenchEnv, size: Size): Promise<number> {
  const redis = new Redis(env.redisUrl!);
  try {
    const hash = await withClient(
      size.url,
      async (c) =>
        (await c.query<{ h: string }>('SELECT password_hash AS h FROM users WHERE email = $1', [VIEWER.email])).rows[0]!
          .h,
    );
    // Users made in SQL with the viewer's hash (one argon2 hash, not SESSIONS of them), then signed in over HTTP.
    await withClient(size.url, (c) =>
      c.query(
        `INSERT INTO users (email, name, password_hash, role)
         SELECT 'bench-session-' || i || '@acolhe.test', 'Bench Session ' || i, $1, 'viewer' FROM generate_series(1, $2::int) i
         ON CONFLICT DO NOTHING`,
        [hash, SESSIONS],
      ),
    );
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const before = await used();
    for (let i = 1; i <= SESSIONS; i++) {
      const { access_token } = await call<{ access_token: string }>(size.api.baseUrl, 'POST', '/api/v1/auth/login', {
        email: `bench-session-${i}@acolhe.test`,
        password: VIEWER.password,
      });
      await call(size.api.baseUrl, 'GET', '/api/v1/auth/me', undefined, access_token); // the session check fills Redis
    }
    return (await used()) - before;
  } finally {
    redis.disconnect();
  }
}

/** One refresh of every report view through the size's API, as an administrator asks for it: total and per view. */
async function refreshReports(env: BenchEnv, size: Size) {
  const { access_token } = await call<{ access_token: string }>(size.api.baseUrl, 'POST', '/api/v1/auth/login', {
    email: env.adminEmail,
    password: env.adminPassword,
  });
  return call<{ duration_ms: number; views: Record<string, { rows: number; duration_ms: number }> }>(
    size.api.baseUrl,
    'POST',
    '/api/v1/reports/refresh',
    undefined,
    access_token,
  );
}

/**
 * What DATABASE_PREPARED_STATEMENTS=false costs (a Parse per statement): the point read's statement, named and
 * unnamed, over a raw pool of 10 on the largest database, alternating over the rounds.
 */
async function preparedVersusUnnamed(env: BenchEnv, size: Size): Promise<void> {
  const fixture = path.join(env.dir, 'scale-fixture.json');
  fs.writeFileSync(fixture, JSON.stringify({ actorId: '1', ids: size.ids, pages: [] }));
  const raw = await startRawPool(
    { DATABASE_URL: size.url, BENCH_FIXTURE: fixture },
    path.join(env.dir, 'scale-raw.log'),
  );
  const side = (name: string, kind: string) => ({
    name,
    measure: async (s: number) => {
      const r = await raw.run(kind, s, 10);
      return { rps: r.qps, p99Ms: r.p99Ms };
    },
  });
  try {
    await compare(env.log, {
      title: `statements: prepared (named) vs unnamed (DATABASE_PREPARED_STATEMENTS=false), raw pool, ${big(size.n)}`,
      sides: [side('prepared', 'point'), side('unnamed', 'point-unnamed')],
      ratios: [['unnamed', 'prepared', null]],
    });
  } finally {
    await raw.stop();
  }
}

export async function benchScale(env: BenchEnv): Promise<void> {
  ensureWrk(env.log);
  if (!env.redisUrl) throw new Error('the scale benchmark needs redis-server on the PATH');
  const sizes: Size[] = [];
  const rows: [string, string, string, string][] = [];
  try {
    for (const n of SIZES) sizes.push(await prepare(env, n));
    const queries = typoQueries();
    type Figures = {
      point: number[];
      pointP50: number[];
      pointP99: number[];
      search: number[];
      p1: number[];
      p500: number[];
    };
    const figures = new Map<number, Figures>(
      sizes.map((s) => [s.n, { point: [], pointP50: [], pointP99: [], search: [], p1: [], p500: [] }]),
    );
    const listPath = `/api/v1/beneficiaries?sort=name&limit=${PAGE}`;
    env.log(`\n# scale: wrk in its own process, ${SECONDS} s per measurement, ${ROUNDS} rounds, sizes alternating`);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < sizes.length; i++) {
        const s = sizes[(i + round) % sizes.length]!;
        const f = figures.get(s.n)!;
        // Signed in afresh each round: seeding the largest size outlasts an access token (ACCESS_TOKEN_TTL_SECONDS).
        const viewer = await call<{ access_token: string }>(s.api.baseUrl, 'POST', '/api/v1/auth/login', VIEWER);
        const headers = { authorization: `Bearer ${viewer.access_token}` };
        const get = (p: string): WrkRequest => ({ path: p, headers });
        const point = await wrk(
          s.api.baseUrl,
          s.ids.map((id) => get(`/api/v1/beneficiaries/${id}`)),
        );
        const search = await wrk(
          s.api.baseUrl,
          queries.map((q) => get(`/api/v1/beneficiaries?q=${encodeURIComponent(q)}&limit=${PAGE}`)),
          { connections: 1 },
        );
        const p1 = await wrk(s.api.baseUrl, [get(listPath)], { connections: 1 });
        const p500 = await wrk(s.api.baseUrl, [get(`${listPath}&cursor=${encodeURIComponent(s.farCursor)}`)], {
          connections: 1,
        });
        f.point.push(point.rps);
        f.pointP50.push(point.p50Ms);
        f.pointP99.push(point.p99Ms);
        f.search.push(search.p95Ms);
        f.p1.push(p1.p50Ms);
        f.p500.push(p500.p50Ms);
        env.log(
          `round ${round + 1}, ${big(s.n)}: point ${fmt(point.rps)}/s p50 ${point.p50Ms.toFixed(2)} ms p99 ${point.p99Ms.toFixed(2)} ms; ` +
            `search p95 ${search.p95Ms.toFixed(2)} ms; page 1 p50 ${p1.p50Ms.toFixed(2)} ms, page ${FAR_PAGE} p50 ${p500.p50Ms.toFixed(2)} ms`,
        );
      }
    }

    await preparedVersusUnnamed(env, sizes.at(-1)!);

    // The report refresh, sizes alternating (at most 3 rounds: one takes about a minute at 1,000,000).
    const refreshes = new Map<number, number[]>(sizes.map((s) => [s.n, []]));
    const viewTimes = new Map<number, Map<string, number[]>>(sizes.map((s) => [s.n, new Map()]));
    for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
      for (let i = 0; i < sizes.length; i++) {
        const s = sizes[(i + round) % sizes.length]!;
        const r = await refreshReports(env, s);
        refreshes.get(s.n)!.push(r.duration_ms);
        for (const [view, v] of Object.entries(r.views)) {
          const times = viewTimes.get(s.n)!;
          times.set(view, [...(times.get(view) ?? []), v.duration_ms]);
        }
        env.log(
          `report refresh round ${round + 1}, ${big(s.n)}: ${r.duration_ms} ms (` +
            Object.entries(r.views)
              .map(([view, v]) => `${view} ${v.duration_ms} ms, ${big(v.rows)} rows`)
              .join('; ') +
            ')',
        );
      }
    }

    const per = new Map<number, Record<string, number>>();
    // Encrypted, as production writes them (BACKUP_ENCRYPTION_KEY): a key made for this run only.
    const keys = keyRing(randomBytes(32).toString('hex'), '');
    for (const s of sizes) {
      const f = figures.get(s.n)!;
      const size = await databaseSize(s.url);
      env.log(`\n## ${big(s.n)}: database ${mb(size.total)}`);
      for (const t of size.tables)
        env.log(`  ${t.name.padEnd(28)} ${mb(t.total).padStart(10)} (indexes ${mb(t.indexes)})`);
      const dir = path.join(env.dir, `backups-${s.n}`);
      const t0 = performance.now();
      const made = await backup(s.url, { dir, retentionDays: 30, key: keys.current, log: () => {} });
      const backupMs = performance.now() - t0;
      const t1 = performance.now();
      const { problems } = await verifyBackup(s.url, dir, keys, () => {});
      const verifyMs = performance.now() - t1;
      if (problems.length) throw new Error(`backup:verify of ${s.n}: ${problems.join('; ')}`);
      const dump = fs.statSync(made.path).size;
      env.log(
        `  backup ${seconds(backupMs)} s (${mb(dump)} dump, encrypted), verify ${seconds(verifyMs)} s (restore, row counts, amcheck)`,
      );
      per.set(s.n, {
        seed: s.seedSeconds,
        seedRate: s.seedRows / s.seedSeconds,
        point: median(f.point),
        pointP50: median(f.pointP50),
        pointP99: median(f.pointP99),
        search: median(f.search),
        p1: median(f.p1),
        p500: median(f.p500),
        far: median(f.p500.map((x, i) => x / f.p1[i]!)),
        refresh: median(refreshes.get(s.n)!) / 1000,
        ...Object.fromEntries(
          [...viewTimes.get(s.n)!].map(([view, times]) => [`refresh:${view}`, median(times) / 1000]),
        ),
        size: size.total,
        benef: size.tables.find((t) => t.name === 'beneficiaries')?.total ?? 0,
        dump,
        backup: backupMs / 1000,
        verify: verifyMs / 1000,
      });
    }
    const sessionBytes = (await redisPerSession(env, sizes[0]!)) / SESSIONS;
    env.log(
      `\nRedis: ${Math.round(sessionBytes)} bytes per signed-in session (${SESSIONS} sessions, INFO used_memory)`,
    );

    const [a, b] = [per.get(SIZES[0]!)!, per.get(SIZES.at(-1)!)!];
    const line = (what: string, key: string, f: (v: number) => string) => {
      const growth = a[key] ? `${(b[key]! / a[key]!).toFixed(2)}×` : '';
      rows.push([what, f(a[key]!), f(b[key]!), growth]);
    };
    line('seed:staging (s)', 'seed', (v) => v.toFixed(0));
    line('seed:staging rows/s', 'seedRate', (v) => big(Math.round(v)));
    line('point read req/s (wrk -c10)', 'point', fmt);
    line('point read p50 (ms)', 'pointP50', (v) => v.toFixed(2));
    line('point read p99 (ms)', 'pointP99', (v) => v.toFixed(2));
    line('search with typos p95 (ms, -c1)', 'search', (v) => v.toFixed(2));
    line('keyset page 1 p50 (ms, -c1)', 'p1', (v) => v.toFixed(2));
    line(`keyset page ${FAR_PAGE} p50 (ms, -c1)`, 'p500', (v) => v.toFixed(2));
    line(`page ${FAR_PAGE} ÷ page 1`, 'far', (v) => v.toFixed(2));
    line('database size', 'size', mb);
    line('beneficiaries table + indexes', 'benef', mb);
    line('backup (s)', 'backup', (v) => v.toFixed(1));
    line('backup dump size', 'dump', mb);
    line('backup:verify (s)', 'verify', (v) => v.toFixed(1));
    line('report refresh, every view (s)', 'refresh', (v) => v.toFixed(1));
    for (const key of Object.keys(a)
      .filter((k) => k.startsWith('refresh:'))
      .sort())
      line(`  ${key.slice('refresh:'.length)} (s)`, key, (v) => v.toFixed(1));
    rows.push(['Redis per signed-in session (bytes)', String(Math.round(sessionBytes)), '', 'independent of the data']);
    env.log(`\n## scale summary (paste into docs/benchmarks.md)\n`);
    env.log(`| figure | ${big(SIZES[0]!)} | ${big(SIZES.at(-1)!)} | growth |`);
    env.log('|---|---|---|---|');
    for (const r of rows) env.log(`| ${r.join(' | ')} |`);
  } finally {
    for (const s of sizes) await s.api.stop().catch(() => {});
  }
}
