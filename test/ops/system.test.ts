// GET /api/v1/system (ops:read): what is running, on which schema, and how much data it holds.
import t from 'tap';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { buildTestApp } from '../helpers/app.js';
import { admin, userWith } from '../helpers/auth.js';
import { REPO } from '../setup/paths.js';

const lastMigration = fs
  .readdirSync(`${REPO}/apps/backend/src/database/migrations`)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .at(-1)!;

t.test('version, commit, build, uptime, time zones, versions, schema and counts', async (t) => {
  const ctx = await buildTestApp(t, { env: { BUILD_TIME: '2026-12-02T14:00:00Z' } });
  const boss = await admin(ctx);
  t.equal(
    (
      await ctx.app.inject({
        method: 'GET',
        url: '/api/v1/system',
        headers: (await userWith(ctx, { role: 'viewer' })).headers,
      })
    ).statusCode,
    403,
  );
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/system', headers: boss.headers });
  t.equal(res.statusCode, 200, res.body);
  const s = res.json();
  const pkg = JSON.parse(fs.readFileSync(`${REPO}/apps/backend/package.json`, 'utf8')) as { version: string };
  t.equal(s.version, pkg.version);
  t.equal(
    s.git_commit,
    execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO }).toString().trim(),
    'from the checkout',
  );
  t.equal(s.build_time, '2026-12-02T14:00:00.000Z', 'BUILD_TIME');
  t.equal(s.node_version, process.version);
  t.match(s.postgresql_version, /^15\./);
  t.equal(s.schema.version, lastMigration.split('__')[0], 'the last migration applied');
  t.equal(s.schema.name, lastMigration.replace(/^\d+__/, '').replace(/\.sql$/, ''));
  t.equal(s.time_zone.organisation, 'America/Sao_Paulo');
  t.type(s.time_zone.database, 'string');
  t.ok(s.uptime_seconds >= 0);
  t.ok(Date.parse(s.started_at) <= Date.now());
  const users = await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM users' });
  t.equal(s.counts.users, users.n, 'exact counts');
  t.ok(s.counts.roles >= 6);
  t.equal(s.counts.beneficiaries, 0);
});
