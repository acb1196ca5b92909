// The audit trail during a staging load. The per-row audit trigger (a jsonb diff and an audit_log row for
// every row) was most of the generator's cost, and the rows are synthetic, not staff actions: each batch
// switches it off inside its own transaction and writes one summary row instead. Every other trigger
// (status history, enrolment transitions, capacity, schedule, updated_at) and every constraint stays on.
import type pg from 'pg';

/**
 * Tables a batch writes and their audit triggers (names from the migrations: a fixed whitelist, never
 * input). workshops is here because the capacity trigger bumps workshops.participant_count per seat.
 */
const AUDIT_TRIGGERS = [
  ['beneficiaries', 'beneficiaries_audit'],
  ['beneficiary_vulnerabilities', 'beneficiary_vulnerabilities_audit'],
  ['enrollments', 'enrollments_audit'],
  ['workshops', 'workshops_audit'],
  ['workshop_participants', 'workshop_participants_audit'],
  ['attendance', 'attendance_audit'],
] as const;

export const AUDIT_OFF_TABLES = AUDIT_TRIGGERS.map(([table]) => table);

// ALTER TABLE is transactional: the trigger is off only for this transaction (a rollback or the ENABLE
// below undoes it) and the SHARE ROW EXCLUSIVE lock it takes keeps other sessions from writing these
// tables, so no one else's change can slip through unaudited.
const DISABLE = AUDIT_TRIGGERS.map(([t, trg]) => `ALTER TABLE ${t} DISABLE TRIGGER ${trg};`).join('\n');
const ENABLE = AUDIT_TRIGGERS.map(([t, trg]) => `ALTER TABLE ${t} ENABLE TRIGGER ${trg};`).join('\n');

/** Call inside the batch transaction, before its first write. */
export async function auditOff(client: pg.ClientBase): Promise<void> {
  try {
    await client.query(DISABLE);
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    throw new Error(`${(err as Error).message}: seed:staging must connect as the tables' owner, like npm run migrate (MIGRATION_DATABASE_URL)`);
  }
}

/** Call inside the same transaction, after its last write and before COMMIT. */
export async function auditOn(client: pg.ClientBase): Promise<void> {
  await client.query(ENABLE);
}

/** The batch's one audit_log row: what the generator inserted, per table. */
export async function auditBatch(
  client: pg.ClientBase,
  o: { first: string; last: string; seed: number; asOf: string; inserted: Record<string, number> },
): Promise<void> {
  const changes = { generator: 'seed:staging', seed: o.seed, as_of: o.asOf, per_row_audit_off: AUDIT_OFF_TABLES, ...o.inserted };
  await client.query({
    name: 'staging_audit_batch',
    text: `INSERT INTO audit_log (table_name, row_id, action, user_id, changes) VALUES ('staging_generator', $1, 'insert', NULL, $2::jsonb)`,
    values: [`${o.first}..${o.last}`, JSON.stringify(changes)],
  });
}
