// The row triggers a staging batch switches off, like pg_restore's data-only bulk load: inside the batch's own
// transaction, so nobody else ever sees them off. Two kinds:
//  - audit: the per-row audit trail (a jsonb diff and an audit_log row per row written). The rows are
//    synthetic, not staff actions; each batch writes one summary audit_log row instead (audit.ts).
//  - rule: per-row PL/pgSQL that either derives rows (status history, participant_count) or checks a rule
//    the rows already obey by construction. The batch writes every row in its final state (no UPDATE
//    passes) and derives those rows itself, then verify.ts checks every such rule set-based over the batch
//    before COMMIT, and the batch is rolled back if one fails.
// Constraints (CHECK, NOT NULL, FOREIGN KEY, UNIQUE, EXCLUDE) are not user triggers: they stay on.
import type pg from 'pg';

export interface BatchTrigger {
  table: string;
  trigger: string;
  kind: 'audit' | 'rule';
  /** What stands in for it during a batch. */
  instead: string;
}

/** Names from the migrations: a fixed whitelist, never input. */
export const BATCH_TRIGGERS: readonly BatchTrigger[] = [
  { table: 'beneficiaries', trigger: 'beneficiaries_audit', kind: 'audit', instead: 'one audit_log row per batch' },
  {
    table: 'beneficiaries',
    trigger: 'beneficiaries_record_status',
    kind: 'rule',
    instead: 'history rows written with the batch; verified: chain ends in the status',
  },
  {
    table: 'beneficiaries',
    trigger: 'beneficiaries_birth_date_guard',
    kind: 'rule',
    instead: 'verified: no birth date in the future',
  },
  {
    table: 'beneficiary_vulnerabilities',
    trigger: 'beneficiary_vulnerabilities_audit',
    kind: 'audit',
    instead: 'one audit_log row per batch',
  },
  { table: 'enrollments', trigger: 'enrollments_audit', kind: 'audit', instead: 'one audit_log row per batch' },
  {
    table: 'enrollments',
    trigger: 'enrollments_check_transition',
    kind: 'rule',
    instead: 'written in final status; verified: decision fields and version fit a legal path',
  },
  {
    table: 'enrollments',
    trigger: 'enrollments_check_parties',
    kind: 'rule',
    instead:
      'verified: requested while she was not archived, the project had not ended closed, and with her consent where its purpose rests on it',
  },
  // workshops: only participant_count changes (one set-based UPDATE per batch); updated_at and schedule
  // triggers stay on.
  { table: 'workshops', trigger: 'workshops_audit', kind: 'audit', instead: 'one audit_log row per batch' },
  {
    table: 'workshop_participants',
    trigger: 'workshop_participants_audit',
    kind: 'audit',
    instead: 'one audit_log row per batch',
  },
  {
    table: 'workshop_participants',
    trigger: 'workshop_participants_guard',
    kind: 'rule',
    instead: 'participant_count set-based; verified: approved enrolment, count = seats ≤ capacity',
  },
  {
    table: 'workshop_participants',
    trigger: 'workshop_participants_check_workshop',
    kind: 'rule',
    instead: 'verified: no seat taken after a completed or cancelled workshop ended',
  },
  { table: 'attendance', trigger: 'attendance_audit', kind: 'audit', instead: 'one audit_log row per batch' },
  {
    table: 'attendance',
    trigger: 'attendance_scheduled_session',
    kind: 'rule',
    instead: 'verified: a scheduled session day before the as-of day',
  },
];

export const AUDIT_OFF_TABLES = [...new Set(BATCH_TRIGGERS.filter((t) => t.kind === 'audit').map((t) => t.table))];
export const RULE_TRIGGERS_OFF = BATCH_TRIGGERS.filter((t) => t.kind === 'rule').map((t) => t.trigger);

// One ALTER TABLE per table, its triggers as subcommands. ALTER TABLE is transactional: the triggers are off
// only until this transaction ends (the ENABLE below, or a rollback), and its SHARE ROW EXCLUSIVE lock keeps
// other sessions from writing these tables meanwhile, so no one else's write can slip past them.
const alter = (action: 'DISABLE' | 'ENABLE') =>
  [...new Set(BATCH_TRIGGERS.map((t) => t.table))]
    .map(
      (table) =>
        `ALTER TABLE ${table} ${BATCH_TRIGGERS.filter((t) => t.table === table)
          .map((t) => `${action} TRIGGER ${t.trigger}`)
          .join(', ')};`,
    )
    .join('\n');
const DISABLE = alter('DISABLE');
const ENABLE = alter('ENABLE');

/** Call inside the batch transaction, before its first write (it also takes the tables' write locks). */
export async function triggersOff(client: pg.ClientBase): Promise<void> {
  try {
    await client.query(DISABLE);
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    throw new Error(
      `${(err as Error).message}: seed:staging must connect as the tables' owner, like npm run migrate (MIGRATION_DATABASE_URL)`,
    );
  }
}

/** Call inside the same transaction, after its last write and before COMMIT. */
export async function triggersOn(client: pg.ClientBase): Promise<void> {
  await client.query(ENABLE);
}
