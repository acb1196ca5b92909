// The audit triggers the migrations create redact exactly what the platform's sensitive-data catalogue says:
// a migration and the catalogue cannot drift apart unnoticed.
import t from 'tap';
import { testDatabaseClient } from '../helpers/db.js';
import { REDACTED_IN_AUDIT } from '../../apps/backend/src/platform/sensitive-data.js';

t.test('every audit_row_change() trigger redacts what REDACTED_IN_AUDIT names for its table', async (t) => {
  const { client } = await testDatabaseClient(t);
  // tgargs: the trigger's arguments, NUL-separated; the first names the key column(s), the rest are redacted.
  const { rows } = await client.query<{ table: string; args: string[] }>(
    `SELECT c.relname AS table, array_remove(string_to_array(encode(t.tgargs, 'escape'), '\\000'), '') AS args
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE p.proname = 'audit_row_change' AND NOT t.tgisinternal ORDER BY c.relname`,
  );
  t.ok(rows.length >= 10, `found the audit triggers (${rows.length})`);
  for (const r of rows) {
    const redacted = (r.args ?? []).slice(1);
    t.same(redacted, REDACTED_IN_AUDIT[r.table] ?? [], `${r.table}: redacted columns match the catalogue`);
  }
  const audited = new Set(rows.map((r) => r.table));
  for (const table of Object.keys(REDACTED_IN_AUDIT)) t.ok(audited.has(table), `${table} has an audit trigger`);
});
