// An export of 100,000 rows streams from PostgreSQL with constant memory: measured on a real server process
// (its resident set from /proc while the download runs), not in the test's own process.
import fs from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import pg from 'pg';
import { createTestDatabase } from '../helpers/db.js';
import { testRedisUrl } from '../helpers/redis.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { waitFor } from '../helpers/wait.js';
import { request, spawnServer } from './_server.js';

/** The bound this test holds the server to: the export is about 39 MB of CSV: holding it
// whole (or its rows as objects) would take more than that. */
const MAX_RSS_GROWTH_MB = 32;
const PROJECTS = 25;
const WORKSHOPS_PER_PROJECT = 100;
const MONTHS = 40; // 2023-08 .. 2026-11: every workshop a row per month

const rssMb = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

t.test(
  'a 100,000-row CSV export keeps the server’s memory flat',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async (t) => {
    const database = await createTestDatabase();
    t.teardown(database.drop);
    // 2,500 workshops of 25 projects, each running 40 months: 100,000 workshop rows and 1,000 project rows. Long
    // titles make each CSV row about 450 bytes. One facilitator: each workshop has its own minute of the week.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`
    INSERT INTO projects (name, status, start_date, end_date, coordinator_id)
    SELECT 'Projeto ' || p || ' ' || repeat('Geração de renda e cidadania ', 6), 'active', '2023-08-01', '2026-11-30',
           (SELECT id FROM users ORDER BY id LIMIT 1)
      FROM generate_series(1, ${PROJECTS}) p`);
    await client.query(`
    INSERT INTO workshops (project_id, title, facilitator_id, start_date, end_date, weekdays, start_time, end_time, capacity, status)
    SELECT p.id, 'Oficina ' || w || ' ' || repeat('Costura, bordado e criação ', 6), p.coordinator_id, '2023-08-01', '2026-11-30',
           ARRAY[1 + (k % 7)]::smallint[], time '00:00' + (k / 7) * interval '1 minute',
           time '00:00' + (k / 7 + 1) * interval '1 minute', 20, 'active'
      FROM (SELECT id, coordinator_id, row_number() OVER (ORDER BY id) AS n FROM projects) p
     CROSS JOIN generate_series(1, ${WORKSHOPS_PER_PROJECT}) w
     CROSS JOIN LATERAL (SELECT (p.n - 1) * ${WORKSHOPS_PER_PROJECT} + w - 1 AS k) kk`);
    await client.end();

    const redisUrl = await testRedisUrl();
    const dataDir = `/tmp/acolhe-export-${randomBytes(4).toString('hex')}`;
    t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const server = spawnServer({
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      JWT_SECRET: 'export-memory-test-secret-long-enough-1234',
      SEED_ADMIN_EMAIL: TEST_ADMIN.email,
      SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
      DATA_DIR: dataDir,
    });
    t.teardown(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    await waitFor(async () => server.port(), { timeout: 120_000, interval: 200, what: 'the server listening' });
    const port = server.port();
    const login = await request(port, 'POST', '/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    const auth = { authorization: `Bearer ${JSON.parse(login.body).access_token as string}` };
    t.equal((await request(port, 'POST', '/api/v1/reports/refresh', { headers: auth })).status, 200);

    // Warm up (code paths, pools, the first batches), then the baseline.
    const warm = await request(port, 'GET', '/api/v1/reports/capacity_use/export?from=2026-11&to=2026-11', {
      headers: auth,
    });
    t.equal(warm.status, 200);
    const pid = server.child.pid!;
    const baseline = rssMb(pid);

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
    let bytes = 0;
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/api/v1/reports/capacity_use/export?from=2023-08&to=2026-11',
            headers: auth,
          },
          (res) => {
            t.equal(res.statusCode, 200);
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              for (const b of chunk) if (b === 10) lines++;
            });
            res.on('end', resolve);
            res.on('error', reject);
          },
        )
        .on('error', reject);
    });
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    const rows = PROJECTS * MONTHS * (WORKSHOPS_PER_PROJECT + 1);
    t.equal(lines, rows + 1, `${rows.toLocaleString('en-US')} rows and the header`);
    const growth = peak - baseline;
    t.comment(
      `export of ${(bytes / 2 ** 20).toFixed(1)} MB: server RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MB (growth ${growth.toFixed(1)} MB, bound ${MAX_RSS_GROWTH_MB} MB)`,
    );
    t.ok(bytes > MAX_RSS_GROWTH_MB * 2 ** 20, 'the export is larger than the bound');
    t.ok(growth < MAX_RSS_GROWTH_MB, `RSS growth ${growth.toFixed(1)} MB < ${MAX_RSS_GROWTH_MB} MB`);
  },
);
