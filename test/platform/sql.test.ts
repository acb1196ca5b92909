// The placeholder builder, and why optional filters go through it: a named statement can be switched to a
// generic plan, and `($n IS NULL OR col = $n)` cannot use the index then (docs/database/conventions.md).
import t from 'tap';
import { SqlBuilder } from '../../apps/backend/src/platform/sql.js';
import { auditListStatement } from '../../apps/backend/src/modules/audit/repository.js';
import { testDatabaseClient } from '../helpers/db.js';

t.test('only the filters given reach the SQL; each shape has its own statement name', async (t) => {
  const q = new SqlBuilder()
    .where('deleted_at IS NULL')
    .filter('status', 'active', (v) => `status = ${v}`)
    .filter('project', undefined, (v) => `project_id = ${v}`)
    .filter('after', null, (v) => `id > ${v}`);
  const s = q.statement(`SELECT id FROM t ${q.whereClause()} LIMIT ${q.param(21)}`, 'things');
  t.same(s, {
    name: 'things(status)',
    text: 'SELECT id FROM t WHERE deleted_at IS NULL AND status = $1 LIMIT $2',
    values: ['active', 21],
  });
  const none = new SqlBuilder();
  t.equal(none.whereClause(), '');
  t.notOk('name' in none.statement('SELECT 1'), 'unnamed unless asked');
});

t.test('the audit list by row id keeps its index under a generic plan', async (t) => {
  const { client } = await testDatabaseClient(t);
  await client.query(
    `INSERT INTO audit_log (table_name, row_id, action, changes)
     SELECT (ARRAY['beneficiaries', 'enrollments', 'workshops'])[1 + g % 3], (g % 5000)::text, 'update', '{}'
       FROM generate_series(1, 60000) AS g`,
  );
  await client.query('ANALYZE audit_log');
  await client.query('SET plan_cache_mode = force_generic_plan');
  const literal = (v: unknown) =>
    v === null ? 'NULL' : typeof v === 'number' ? String(v) : client.escapeLiteral(String(v));
  const genericPlan = async (name: string, text: string, values: unknown[]) => {
    await client.query(`PREPARE ${name} AS ${text}`);
    const { rows } = await client.query(`EXPLAIN (FORMAT TEXT) EXECUTE ${name}(${values.map(literal).join(', ')})`);
    return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
  };

  const stmt = auditListStatement({ table: 'beneficiaries', rowId: '42', beforeId: null, limit: 20 });
  t.equal(stmt.name, 'audit-list(table,row)');
  const plan = await genericPlan('audit_by_row', stmt.text, stmt.values as unknown[]);
  t.match(plan, /audit_log_table_row_idx/, `the builder's statement uses (table_name, row_id, id):\n${plan}`);

  // The form it replaces: one text for every combination of filters.
  const catchAll = `SELECT id FROM audit_log
     WHERE ($1::text IS NULL OR table_name = $1) AND ($2::text IS NULL OR row_id = $2)
       AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`;
  const old = await genericPlan('audit_catch_all', catchAll, ['beneficiaries', '42', null, 21]);
  t.notMatch(old, /Index Cond: .*row_id/, `the catch-all form cannot search the index by row id:\n${old}`);
});
