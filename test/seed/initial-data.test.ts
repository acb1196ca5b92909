import t from 'tap';
import pg from 'pg';
import { loadConfig } from '../../apps/backend/src/config.js';
import { runInitialSeed, type SeedReport } from '../../apps/backend/src/database/seed/initial-data.js';
import { createTestDatabase, testDatabaseClient } from '../helpers/db.js';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { TEST_ADMIN } from '../setup/paths.js';

const config = loadConfig({
  NODE_ENV: 'test',
  SEED_ADMIN_EMAIL: TEST_ADMIN.email,
  SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
});
const seed = (url: string, withSamples = true) =>
  runInitialSeed({ connectionString: url, config, log: () => {}, withSamples });
const changes = (r: SeedReport) => Object.values(r).reduce((n, c) => n + c.inserted + c.updated, 0);

/** md5 of every seeded table, ordered by its key: equal checksums mean identical content. */
async function checksums(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
          AND table_name NOT IN ('schema_migrations', 'audit_log', 'sessions') ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { table_name } of rows) {
      // Identifier from the catalogue, quoted by format(): no input reaches this statement.
      const { rows: r } = await c.query<{ sql: string }>(
        `SELECT format('SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS sum FROM %I t', '|', '', $1::text) AS sql`,
        [table_name],
      );
      out[table_name] = (await c.query<{ sum: string }>(r[0]!.sql)).rows[0]!.sum;
    }
    return out;
  } finally {
    await c.end();
  }
}

t.test('a second run changes nothing and reports nothing inserted or updated', async (t) => {
  const db = await createTestDatabase({ template: false });
  t.teardown(() => db.drop());
  const { migrateUp } = await import('../../apps/backend/src/database/migrator.js');
  await migrateUp({ connectionString: db.url, log: () => {} });

  const first = await seed(db.url);
  t.ok(first.permissions!.inserted > 0, 'permissions inserted');
  t.equal(first.roles!.inserted, 6, 'the six default roles');
  t.equal(first.users!.inserted, 1, 'the admin');
  const before = await checksums(db.url);

  const second = await seed(db.url);
  t.equal(changes(second), 0, 'zero inserted, zero updated');
  t.same(await checksums(db.url), before, 'identical table checksums');
});

t.test('an admin keeps a changed password; a reduced role keeps its reduction', async (t) => {
  const { database: db, client: c } = await testDatabaseClient(t);
  // Another administrator first: the database refuses to lose the last one.
  await c.query(
    "INSERT INTO users (email, name, password_hash, role) VALUES ('other-admin@acolhe.test', 'Other', '$argon2id$x', 'admin')",
  );
  await c.query(
    "UPDATE users SET password_hash = '$argon2id$changed-by-the-admin', active = false, role = 'coordinator' WHERE email = $1",
    [TEST_ADMIN.email],
  );
  await c.query("DELETE FROM role_permissions WHERE role = 'coordinator' AND permission = 'audit:read'");
  await c.query("DELETE FROM permissions WHERE name = 'ops:read'"); // as if the catalogue just grew

  const report = await seed(db.url);
  const admin = (await c.query('SELECT password_hash, active, role FROM users WHERE email = $1', [TEST_ADMIN.email]))
    .rows[0];
  t.same(
    admin,
    { password_hash: '$argon2id$changed-by-the-admin', active: false, role: 'coordinator' },
    'admin untouched',
  );
  const coordinator = (await c.query("SELECT permission FROM role_permissions WHERE role = 'coordinator'")).rows.map(
    (r) => r.permission,
  );
  t.notOk(coordinator.includes('audit:read'), 'the reduction holds');
  t.equal(report.permissions!.inserted, 1, 'the new permission is added');
  const holders = (
    await c.query("SELECT role FROM role_permissions WHERE permission = 'ops:read' ORDER BY role")
  ).rows.map((r) => r.role);
  t.same(holders, ['admin'], 'offered to admin only');
});

t.test('concurrent runs produce no duplicates and both succeed', async (t) => {
  const db = await createTestDatabase({ template: false });
  t.teardown(() => db.drop());
  const { migrateUp } = await import('../../apps/backend/src/database/migrator.js');
  await migrateUp({ connectionString: db.url, log: () => {} });
  const [a, b] = await Promise.all([seed(db.url), seed(db.url)]);
  t.equal(a.users!.inserted + b.users!.inserted, 1, 'one admin created');
  t.equal(a.roles!.inserted + b.roles!.inserted, 6);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const { rows } = await c.query('SELECT count(*)::int AS n FROM users');
  await c.end();
  t.equal(rows[0].n, 1);
});

t.test('outside development the admin variables are required and must meet the policy', async (t) => {
  const db = await createTestDatabase({ template: false });
  t.teardown(() => db.drop());
  const { migrateUp } = await import('../../apps/backend/src/database/migrator.js');
  await migrateUp({ connectionString: db.url, log: () => {} });
  const production = (extra: Record<string, string> = {}) =>
    loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://x',
      JWT_SECRET: 'x'.repeat(40),
      ...extra,
    });
  await t.rejects(
    runInitialSeed({
      connectionString: db.url,
      config: production(),
      log: () => {},
      withSamples: false,
    }),
    /SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD are required/,
  );
  await t.rejects(
    runInitialSeed({
      connectionString: db.url,
      config: loadConfig({ NODE_ENV: 'test', SEED_ADMIN_EMAIL: 'a@b.test', SEED_ADMIN_PASSWORD: 'password123' }),
      log: () => {},
      withSamples: false,
    }),
    /SEED_ADMIN_PASSWORD is too common/,
  );
  await t.rejects(
    runInitialSeed({
      connectionString: db.url,
      config: production({ SEED_ADMIN_EMAIL: 'a@b.test', SEED_ADMIN_PASSWORD: 'A-long-enough-passphrase' }),
      log: () => {},
      withSamples: true,
    }),
    /never created in production/,
  );
});

t.test(
  'the seed never fails on sample data a user changed: it is left alone, an optional step is skipped',
  async (t) => {
    const db = await createTestDatabase();
    t.teardown(() => db.drop());
    await seed(db.url);
    const ctx = await buildTestApp(t, { database: db });
    const a = await admin(ctx);
    const id = async (sql: string) => (await ctx.db.one<{ id: string }>({ text: sql })).id;
    const project = await id("SELECT id FROM projects WHERE name = 'Costura e Renda'");
    const workshop = await id("SELECT id FROM workshops WHERE title = 'Costura básica'");
    const patch = async (url: string, payload: object) => {
      const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1${url}`, headers: a.headers, payload });
      t.equal(res.statusCode, 200, `${url} ${res.body}`);
    };
    // Ordinary edits: the programme starts a month earlier, and its first workshop with it.
    await patch(`/projects/${project}`, { start_date: '2026-01-05' });
    await patch(`/workshops/${workshop}`, { start_date: '2026-01-05' });

    const lines: string[] = [];
    const report = await runInitialSeed({
      connectionString: db.url,
      config,
      log: (l) => lines.push(l),
      withSamples: true,
    });
    t.equal(changes(report), 0, 'nothing inserted or updated');
    const dates = await ctx.db.many<{ start_date: string }>({
      text: `SELECT start_date::text FROM projects WHERE id = $1 UNION ALL SELECT start_date::text FROM workshops WHERE id = $2`,
      values: [project, workshop],
    });
    t.same(
      dates.map((d) => d.start_date),
      ['2026-01-05', '2026-01-05'],
      "the user's dates stand",
    );
    t.same(lines, [], 'nothing to report');

    // A sample project renamed by its users: the seed would add it again, and its workshop would clash with the
    // renamed one's (same facilitator, same hours): that optional step is skipped, the rest of the seed applies.
    await patch(`/projects/${await id("SELECT id FROM projects WHERE name = 'Mulheres em Rede'")}`, {
      name: 'Rede de Mulheres',
    });
    await ctx.db.execute({ text: "DELETE FROM vulnerabilities WHERE code = 'migrant'" });
    const again = await runInitialSeed({
      connectionString: db.url,
      config,
      log: (l) => lines.push(l),
      withSamples: true,
    });
    t.equal(again.vulnerabilities?.inserted, 1, 'the required steps ran');
    t.equal(again.projects, undefined, 'the sample step reports no counts');
    t.match(lines, [/^skipped sample projects and workshops \(optional\): .+; the rest of the seed is applied$/]);
    const names = await ctx.db.many<{ name: string }>({ text: 'SELECT name::text FROM projects ORDER BY name' });
    t.same(
      names.map((n) => n.name),
      ['Costura e Renda', 'Rede de Mulheres'],
      'the skipped step left nothing behind',
    );
  },
);

t.test('a seed that changes cached catalogues refreshes running servers (through Redis)', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const catalogue = async () =>
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/vulnerabilities', headers: boss.headers })).json().data as {
      id: string;
      code: string;
    }[];
  const before = await catalogue();
  // Behind the server's back: the cached catalogue does not know.
  await ctx.db.execute({ text: "DELETE FROM vulnerabilities WHERE code = 'migrant'" });
  t.same(await catalogue(), before, 'served from the cache');

  const redisUrl = ctx.redis!.options;
  const url = `redis://${redisUrl.host}:${redisUrl.port}/${redisUrl.db ?? 0}`;
  const report = await runInitialSeed({
    connectionString: ctx.database.url,
    config: { ...config, REDIS_URL: url },
    log: () => {},
    withSamples: false,
  });
  t.equal(report.vulnerabilities!.inserted, 1, 'the seed put the entry back');
  const after = await catalogue();
  const migrant = (list: { id: string; code: string }[]) => list.find((v) => v.code === 'migrant')!.id;
  t.not(migrant(after), migrant(before), 'the server shows the new row at once: the seed invalidated its cache');
});
