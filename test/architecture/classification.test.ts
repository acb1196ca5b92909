// One classification of every column of every table (COMMENT ON COLUMN, docs/adr/0006-column-classification.md):
// the test that makes every migration classify what it adds, and proof that the audit trigger, masking in
// responses and anonymisation read it rather than lists of their own.
import t from 'tap';
import fs from 'node:fs';
import { testDatabaseClient } from '../helpers/db.js';
import { buildTestApp } from '../helpers/app.js';
import { userWith } from '../helpers/auth.js';
import { beneficiaryStatements } from '../../apps/backend/src/modules/beneficiaries/repository.js';
import { MASKABLE_FIELDS } from '../../apps/backend/src/modules/beneficiaries/schemas.js';
import { Classification, DATA_CLASSES, parseColumnComment } from '../../apps/backend/src/platform/sensitive-data.js';
import { parseSchema, PRIVACY_DOC, SCHEMA_SQL, withDataMap } from '../../apps/backend/scripts/privacy-data-map.js';

const UNCLASSIFIED = `SELECT table_schema, table_name, column_name, description
                        FROM data_classification WHERE class IS NULL ORDER BY 1, 2, 3`;
type Unclassified = { table_schema: string; table_name: string; column_name: string; description: string | null };

/** What the test says about one unclassified column: which one, why, and the line that fixes it. */
function howToClassify(c: Unclassified): string {
  const name = `${c.table_schema === 'public' ? '' : `${c.table_schema}.`}${c.table_name}.${c.column_name}`;
  const why =
    c.description === null
      ? 'has no classification'
      : `has a comment that is not a classification (${JSON.stringify(c.description.slice(0, 80))})`;
  return (
    `${name} ${why}. Add to a migration of your branch (your timestamp range): ` +
    `COMMENT ON COLUMN ${name} IS '<${DATA_CLASSES.join('|')}>: <what it holds>'; ` +
    'then npm run migrate -- dump and npm run docs:privacy (docs/database/migrations.md, "Classify every column you add")'
  );
}

t.test('every column of every table has a classification', async (t) => {
  const { client } = await testDatabaseClient(t);
  const { rows } = await client.query<Unclassified>(UNCLASSIFIED);
  // One failure per column, each naming it and giving the line to add.
  for (const c of rows) t.fail(howToClassify(c));
  t.equal(rows.length, 0, `every column is classified (${rows.length} not)`);
  const { rows: tables } = await client.query<{ n: number }>(
    'SELECT count(DISTINCT table_name)::int AS n FROM data_classification',
  );
  t.ok(tables[0]!.n >= 20, `the view sees every table (${tables[0]!.n})`);

  // The guard itself: a new table, a badly written comment, a new column: each is caught.
  await client.query('CREATE TABLE guard_probe (id bigint, note text)');
  await client.query("COMMENT ON COLUMN guard_probe.id IS 'operational: key'");
  await client.query("COMMENT ON COLUMN guard_probe.note IS 'Sensitive: typo in the class'");
  await client.query('CREATE SCHEMA probe_schema');
  await client.query('CREATE TABLE probe_schema.vendor (payload jsonb)');
  await client.query('ALTER TABLE beneficiaries ADD COLUMN probe text');
  const { rows: caught } = await client.query<Unclassified>(UNCLASSIFIED);
  const fix = (col: string) =>
    ` Add to a migration of your branch (your timestamp range): COMMENT ON COLUMN ${col} IS ` +
    `'<identifier|sensitive|personal|operational>: <what it holds>'; then npm run migrate -- dump and npm run ` +
    'docs:privacy (docs/database/migrations.md, "Classify every column you add")';
  t.same(
    caught.map(howToClassify),
    [
      'probe_schema.vendor.payload has no classification.' + fix('probe_schema.vendor.payload'),
      'beneficiaries.probe has no classification.' + fix('beneficiaries.probe'),
      'guard_probe.note has a comment that is not a classification ("Sensitive: typo in the class").' +
        fix('guard_probe.note'),
    ],
    'an unclassified column of a new table (any schema), a malformed comment and a new column are each reported ' +
      'by name, with the line that classifies it',
  );
  // Partitions follow their parent: a queue library's dynamic partitions need no comments of their own.
  await client.query('CREATE TABLE parted (id bigint, kind text) PARTITION BY LIST (kind)');
  await client.query("COMMENT ON COLUMN parted.id IS 'operational: key'");
  await client.query("COMMENT ON COLUMN parted.kind IS 'operational: kind'");
  await client.query("CREATE TABLE parted_a PARTITION OF parted FOR VALUES IN ('a')");
  const { rows: after } = await client.query<Unclassified>(UNCLASSIFIED);
  t.notOk(
    after.some((r) => r.table_name.startsWith('parted')),
    'a partition is covered by its classified parent',
  );
});

t.test('the anonymisation rules a comment states can be applied', async (t) => {
  const { client } = await testDatabaseClient(t);
  const { rows } = await client.query<{
    col: string;
    class: string;
    anonymise: string;
    data_type: string;
    nullable: boolean;
    description: string;
    about_her: boolean;
  }>(
    `SELECT table_name || '.' || column_name AS col, class, anonymise, data_type, nullable, description,
            table_name = 'beneficiaries' OR EXISTS (SELECT 1 FROM data_classification s
                                                     WHERE s.table_name = d.table_name AND s.column_name = 'beneficiary_id')
              AS about_her
       FROM data_classification d ORDER BY 1`,
  );
  for (const r of rows) {
    const stated = /^\w+, anonymise=(\w+):/.exec(r.description)?.[1];
    if (stated === 'keep') t.ok(['identifier', 'sensitive'].includes(r.class), `${r.col}: keep overrides an erasure`);
    if (stated === 'erase') t.ok(['personal', 'operational'].includes(r.class), `${r.col}: erase overrides keeping`);
    if (r.anonymise === 'year') t.equal(r.data_type, 'date', `${r.col}: anonymise=year on a date`);
    // Anonymisation writes into the tables about her: a NOT NULL column it erases gets a text pseudonym.
    if (r.about_her && r.anonymise === 'erase' && !r.nullable)
      t.match(r.data_type, /^(text|citext|character varying)/, `${r.col}: NOT NULL and erased: a text pseudonym`);
  }
  const erased = rows.filter((r) => r.col.startsWith('beneficiaries.') && r.anonymise !== 'keep').map((r) => r.col);
  t.same(
    erased.sort(),
    [
      'address_complement',
      'address_number',
      'address_postal_code',
      'address_street',
      'birth_date',
      'cpf',
      'email',
      'family_income',
      'full_name',
      'nis',
      'notes',
      'phone',
      'social_name',
      'status_reason',
    ].map((c) => `beneficiaries.${c}`),
    'direct identifiers go; birth year, city, neighbourhood, state stay (birth_date keeps its year)',
  );
});

t.test('the audit trigger redacts what the classification says, read when it runs', async (t) => {
  const { client } = await testDatabaseClient(t);
  const { rows: args } = await client.query<{ table: string; args: string[] }>(
    `SELECT c.relname AS table, array_remove(string_to_array(encode(t.tgargs, 'escape'), '\\000'), '') AS args
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE p.proname = 'audit_row_change' AND NOT t.tgisinternal ORDER BY c.relname`,
  );
  t.ok(args.length >= 10, `found the audit triggers (${args.length})`);
  for (const r of args) t.ok((r.args ?? []).length <= 1, `${r.table}: only key columns as arguments, no list`);

  const changes = async (id: string) =>
    (
      await client.query<{ changes: Record<string, { old?: unknown; new?: unknown }> }>(
        `SELECT changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 ORDER BY id DESC LIMIT 1`,
        [id],
      )
    ).rows[0]!.changes;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO beneficiaries (full_name, cpf, phone, address_city) VALUES ('Ana Probe', '52998224725', '11987654321', 'Recife')
     RETURNING id`,
  );
  const id = rows[0]!.id;
  t.match(
    await changes(id),
    {
      full_name: { new: 'Ana Probe' },
      phone: { new: '11987654321' },
      cpf: { new: '[redacted]' },
      address_city: { new: '[redacted]' },
    },
    'sensitive columns are redacted, the others copied',
  );
  await client.query("COMMENT ON COLUMN beneficiaries.phone IS 'sensitive: phone number'");
  await client.query("UPDATE beneficiaries SET phone = '11900001111' WHERE id = $1", [id]);
  t.same(
    await changes(id),
    { phone: { old: '[redacted]', new: '[redacted]' } },
    'a column classified sensitive later is redacted from then on, with no change to the trigger',
  );
  await client.query(
    "CREATE TRIGGER stale_list AFTER UPDATE ON vulnerabilities FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'name')",
  );
  const refused = await client
    .query("UPDATE vulnerabilities SET name = name || ' ' WHERE code = (SELECT min(code) FROM vulnerabilities)")
    .then(
      () => null,
      (e: Error) => e.message,
    );
  t.match(refused, /takes only the key column\(s\); redaction comes from the column classification/);
});

t.test('masking in responses follows the classification', async (t) => {
  const ctx = await buildTestApp(t);
  t.same(
    new Set(beneficiaryStatements(ctx.app.classification).sensitiveFields),
    MASKABLE_FIELDS,
    'the response schema may leave out exactly the fields the classification masks',
  );
  const withPhoneSensitive = new Classification(
    ctx.app.classification.columns.map((c) =>
      c.table_name === 'beneficiaries' && c.column_name === 'phone' ? { ...c, class: 'sensitive' as const } : c,
    ),
  );
  t.throws(
    () => beneficiaryStatements(withPhoneSensitive),
    /beneficiaries\.phone classified sensitive, but the response schema requires it/,
    'a column the schema cannot leave out may not be masked: the app refuses to start',
  );

  // Reclassified in the database, the city is no longer masked (a new app reads the new classification).
  await ctx.db.execute({ text: "COMMENT ON COLUMN beneficiaries.address_city IS 'personal: city'" });
  const again = await buildTestApp(t, { database: ctx.database });
  const writer = await userWith(again, ['beneficiaries:read', 'beneficiaries:write']);
  const res = await again.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: writer.headers,
    payload: { full_name: 'Cidade Visível', address_city: 'Olinda', cpf: '529.982.247-25' },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().address_city, 'Olinda', 'a column no longer classified sensitive is returned to everyone');
  t.notOk('cpf' in res.json(), 'a sensitive one still is not');
});

t.test(
  'the data map of docs/privacy.md is generated from the classification, and reads it as the database does',
  async (t) => {
    const { client } = await testDatabaseClient(t);
    const { rows } = await client.query<{ col: string; class: string; anonymise: string; description: string }>(
      `SELECT table_name || '.' || column_name AS col, class, anonymise, description FROM data_classification ORDER BY 1`,
    );
    for (const r of rows) {
      const parsed = parseColumnComment(r.description);
      t.same(
        parsed && { class: parsed.class, anonymise: parsed.anonymise },
        { class: r.class, anonymise: r.anonymise },
        `${r.col}: the same reading in TypeScript and SQL`,
      );
    }
    t.equal(parseColumnComment('Sensitive: not a class'), null);
    t.equal(parseColumnComment('sensitive, anonymise=never: bad modifier'), null);

    const doc = fs.readFileSync(PRIVACY_DOC, 'utf8');
    t.ok(
      doc === withDataMap(doc, fs.readFileSync(SCHEMA_SQL, 'utf8')),
      'docs/privacy.md shows the current data map (if stale: npm run docs:privacy)',
    );
    const mapped = parseSchema(fs.readFileSync(SCHEMA_SQL, 'utf8'));
    t.equal(
      mapped.length,
      rows.length,
      'docs/database/schema.sql holds every column comment the database has (if not: npm run migrate -- dump)',
    );
    t.notOk(mapped.some((m) => m.class === 'UNCLASSIFIED'));
  },
);
