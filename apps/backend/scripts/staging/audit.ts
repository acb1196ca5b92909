// The audit trail of a staging load. The per-row audit trigger (a jsonb diff and an audit_log row for every
// row) was most of the generator's cost, and the rows are synthetic, not staff actions: each batch switches
// it off inside its own transaction (triggers.ts) and writes this one summary row instead.
import type pg from 'pg';
import { AUDIT_OFF_TABLES, RULE_TRIGGERS_OFF } from './triggers.js';
import { VERIFIED_RULES } from './verify.js';

/** The batch's one audit_log row: what the generator inserted, per table, and how it was checked. */
export async function auditBatch(
  client: pg.ClientBase,
  o: { first: string; last: string; seed: number; asOf: string; inserted: Record<string, number> },
): Promise<void> {
  const changes = {
    generator: 'seed:staging',
    seed: o.seed,
    as_of: o.asOf,
    per_row_audit_off: AUDIT_OFF_TABLES,
    rule_triggers_off: RULE_TRIGGERS_OFF,
    verified_before_commit: VERIFIED_RULES,
    ...o.inserted,
  };
  await client.query({
    name: 'staging_audit_batch',
    text: `INSERT INTO audit_log (table_name, row_id, action, user_id, changes) VALUES ('staging_generator', $1, 'insert', NULL, $2::jsonb)`,
    values: [`${o.first}..${o.last}`, JSON.stringify(changes)],
  });
}
