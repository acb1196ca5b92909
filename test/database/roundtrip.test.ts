// Round trip over the real migration chain: every file's DOWN must undo its UP exactly.
// New migrations are covered automatically: the loop runs over whatever files exist.
import t from 'tap';
import {
  dumpSchema,
  loadMigrations,
  migrateDown,
  migrateUp,
  MIGRATIONS_DIR,
} from '../../apps/backend/src/database/migrator.js';
import { createTestDatabase } from '../helpers/db.js';
import { appliedVersions, userObjects } from './_support.js';

t.test('up all, down all, up all: same schema; down all leaves only schema_migrations', async (t) => {
  const files = await loadMigrations(MIGRATIONS_DIR);
  t.ok(files.length >= 2, 'the chain has migrations');
  const versions = files.map((f) => f.version);
  const db = await createTestDatabase({ template: false });
  t.teardown(db.drop);
  const url = db.url;

  t.same((await migrateUp({ connectionString: url })).applied, versions);
  const a = await dumpSchema(url);
  t.same((await migrateDown({ connectionString: url, to: '0' })).applied, [...versions].reverse());
  t.same(
    await userObjects(url),
    ['relation schema_migrations', 'relation schema_migrations_pkey'],
    'down all leaves only schema_migrations',
  );
  t.same(await appliedVersions(url), []);
  const empty = await dumpSchema(url);
  t.same((await migrateUp({ connectionString: url })).applied, versions);
  const b = await dumpSchema(url);
  t.equal(b, a, 'the schema after down all + up all equals the first up all');

  // Step by step: up to each migration, down one, up one.
  await migrateDown({ connectionString: url, to: '0' });
  let before = empty;
  for (const f of files) {
    await t.test(f.fileName, async (t) => {
      t.same((await migrateUp({ connectionString: url, to: f.version })).applied, [f.version]);
      const after = await dumpSchema(url);
      t.not(after, before, 'up changed the schema (or at least the history)');
      t.same((await migrateDown({ connectionString: url })).applied, [f.version]);
      t.equal(await dumpSchema(url), before, 'down restored the schema before this migration');
      t.same((await migrateUp({ connectionString: url, to: f.version })).applied, [f.version]);
      t.equal(await dumpSchema(url), after, 'up again gives the same schema');
      before = after;
    });
  }
  t.equal(before, a, 'walking the chain one by one ends at the same schema');
});
