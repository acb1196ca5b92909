// pg-boss's tables come from our migration, never from pg-boss at run time: the migration holds pg-boss's own
// construction SQL for the installed version, and a job whose queue no migration created stops the app with
// the migration to write.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import PgBoss from 'pg-boss';
import { buildTestApp } from '../helpers/app.js';
import { REPO } from '../setup/paths.js';

const MIGRATION = path.join(REPO, 'apps/backend/src/database/migrations/202612021100__job_queue.sql');

/** SQL compared without comments, blank space or empty statements. */
const normalise = (sql: string) =>
  sql
    .split('\n')
    .filter((l) => !/^\s*--/.test(l))
    .join(' ')
    .replace(/\s+/g, ' ')
    .replace(/\s*;(\s*;)*/g, ';')
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .trim();

t.test("the migration is pg-boss's construction SQL for the installed version", async (t) => {
  const plan = PgBoss.getConstructionPlans('pgboss');
  const body = plan.slice(plan.indexOf('pg_advisory_xact_lock'));
  const construction = body.slice(body.indexOf(';') + 1, body.lastIndexOf('COMMIT;'));
  const file = fs.readFileSync(MIGRATION, 'utf8');
  const ours = file.slice(
    file.indexOf('-- pg-boss construction SQL: begin'),
    file.indexOf('-- pg-boss construction SQL: end'),
  );
  t.equal(normalise(ours), normalise(construction), 'the same statements');
  const version = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/pg-boss/version.json'), 'utf8')) as {
    schema: number;
  };
  t.match(ours, new RegExp(`INSERT INTO pgboss.version\\(version\\) VALUES \\('${version.schema}'\\)`));
});

t.test('a job without a queue made by a migration stops the app, naming the migration to write', async (t) => {
  await t.rejects(
    buildTestApp(t, {
      extendApi: (api) =>
        api.jobs.define({ name: 'no-such-queue', description: 'test', handler: async () => undefined }),
    }),
    {
      message:
        /job queue\(s\) no-such-queue missing: add a migration with SELECT pgboss\.create_queue\('no-such-queue'/,
    },
  );
});
