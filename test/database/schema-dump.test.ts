// CI: docs/database/schema.sql must match what the migrations produce (reviewers read the schema in the diff).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { dumpSchema, migrateUp, SCHEMA_DUMP_PATH } from '../../apps/backend/src/database/migrator.js';
import { createTestDatabase } from '../helpers/db.js';

t.test('docs/database/schema.sql is up to date with the migrations', async (t) => {
  const db = await createTestDatabase({ template: false });
  t.teardown(db.drop);
  await migrateUp({ connectionString: db.url });
  const fresh = await dumpSchema(db.url);
  const committed = await readFile(SCHEMA_DUMP_PATH, 'utf8').catch(() => '');
  t.ok(
    fresh === committed,
    'docs/database/schema.sql matches the migrations (if stale: run `npm run migrate -- dump` and commit the result)',
    {
      diff: firstDifference(committed, fresh),
    },
  );
});

/** The first differing line, so the failure shows where without a 1000-line diff. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i])
      return `line ${i + 1}: committed ${JSON.stringify(x[i] ?? '<end of file>')}, migrations give ${JSON.stringify(y[i] ?? '<end of file>')}`;
  }
  return 'none';
}
