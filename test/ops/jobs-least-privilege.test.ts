// The jobs and webhooks under the least-privilege application role (docs/database/roles.md): the owner migrates
// (pg-boss's schema included), the API runs as the application role, which runs no DDL, and still every job
// works — pruning, maintenance (ANALYZE and amcheck through the owner's functions), the backup (pg_dump as the
// application role), the restore test (on a server where scratch databases may be created) — and a webhook
// is delivered.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateUp } from '../../apps/backend/src/database/migrator.js';
import { withClient } from '../../apps/backend/src/database/client.js';
import { runInitialSeed } from '../../apps/backend/src/database/seed/initial-data.js';
import { loadConfig } from '../../apps/backend/src/config.js';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { provisionedDatabase } from '../helpers/roles.js';
import { startReceiver } from '../helpers/receiver.js';
import { setupProject } from '../modules/case-fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_ADMIN } from '../setup/paths.js';

async function run(ctx: TestContext, headers: Record<string, string>, name: string) {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${name}/run`, headers });
  if (res.statusCode !== 201) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
  const { job_id } = res.json() as { job_id: string };
  return waitFor(
    () =>
      ctx.db.maybeOne<{ status: string; summary: Record<string, unknown> | null; error: string | null }>({
        text: "SELECT status, summary, error FROM job_runs WHERE job_id = $1 AND status <> 'running'",
        values: [job_id],
      }),
    { timeout: 120_000, interval: 100, what: `${name} to finish` },
  );
}

t.test('every job, and a webhook, under the application role', async (t) => {
  const p = await provisionedDatabase(t);
  // The documented set-up for amcheck (not a trusted extension): a superuser creates it and lets the
  // migration role use its check.
  await withClient(p.adminDbUrl, async (c) => {
    await c.query('CREATE EXTENSION amcheck');
    await c.query(`GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO ${p.owner}`);
  });
  await migrateUp({ connectionString: p.ownerUrl });
  await runInitialSeed({
    connectionString: p.ownerUrl,
    config: loadConfig({
      NODE_ENV: 'test',
      SEED_ADMIN_EMAIL: TEST_ADMIN.email,
      SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
    }),
    log: () => {},
  });
  const backups = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-lp-backups-'));
  t.teardown(() => fs.rmSync(backups, { recursive: true, force: true }));
  const receiver = await startReceiver(t);
  const ctx = await buildTestApp(t, {
    database: p.db,
    poolUrl: p.appUrl,
    env: {
      JOBS_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      BACKUP_DIR: backups,
      // Scratch databases for the restore test: a server and role allowed to create them.
      BACKUP_VERIFY_DATABASE_URL: p.adminDbUrl,
    },
  });
  const role = await ctx.db.one<{ user: string; su: boolean }>({
    text: 'SELECT current_user AS user, rolsuper AS su FROM pg_roles WHERE rolname = current_user',
  });
  t.same(role, { user: p.app, su: false }, 'the API runs as the application role');
  const ddl = await ctx.db
    .execute({ text: 'CREATE TABLE pgboss.intruder (id int)' })
    .catch((err: { pgCode?: string }) => err);
  t.match(ddl, { pgCode: '42501' }, 'no DDL');
  const boss = await admin(ctx);

  const prune = await run(ctx, boss.headers, 'prune');
  t.equal(prune.status, 'succeeded', prune.error ?? '');

  const maintenance = await run(ctx, boss.headers, 'maintenance');
  t.equal(maintenance.status, 'succeeded', maintenance.error ?? '');
  const m = maintenance.summary as { analyzed: string[]; amcheck: { available: boolean; checked: string[] } };
  t.ok(m.analyzed.length > 0, `ANALYZE through maintenance_analyze (${m.analyzed.length} tables)`);
  t.equal(m.amcheck.available, true, m.amcheck.available ? 'amcheck usable' : JSON.stringify(m.amcheck));
  t.ok(m.amcheck.checked.length > 0, 'indexes checked through maintenance_check_index');

  const backup = await run(ctx, boss.headers, 'backup');
  t.equal(backup.status, 'succeeded', backup.error ?? '');
  const file = path.join(backups, String(backup.summary?.file));
  t.ok(fs.existsSync(file), 'pg_dump as the application role wrote the backup');
  t.ok(Number(backup.summary?.tables) > 20, 'every table, pg-boss tables included');

  const restore = await run(ctx, boss.headers, 'restore-test');
  t.equal(restore.status, 'succeeded', restore.error ?? '');
  t.equal(restore.summary?.file, backup.summary?.file, 'the newest backup restored and checked');

  const hook = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: boss.headers,
    payload: { url: receiver.url, topics: ['*'] },
  });
  t.equal(hook.statusCode, 201);
  const { id, secret } = hook.json() as { id: string; secret: string };
  await ctx.app.inject({ method: 'POST', url: `/api/v1/webhooks/${id}/ping`, headers: boss.headers });
  const [r] = await receiver.waitForRequests(1);
  t.match(receiver.verify(r!, secret), { type: 'webhook.ping' }, 'a webhook delivered and verified');
  // A change, through the outbox and the fan-out, as the application role.
  const project = await setupProject(ctx, boss);
  const [, change] = await receiver.waitForRequests(2, 30_000);
  t.match(
    receiver.verify(change!, secret),
    { type: 'projects.insert', data: { row_id: project.id } },
    'a change fanned out and delivered',
  );
});
