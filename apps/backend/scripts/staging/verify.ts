// The pre-commit verification of a staging batch. While a batch is written, the rule triggers are off
// (triggers.ts): the rows go in directly in their final state. Before COMMIT, one set-based statement over
// this batch's rows (found from its beneficiary ids through indexes, never by scanning a growing table)
// checks every rule those triggers enforce row by row, plus the generator's own promises (attendance before
// the as-of day); any failure aborts the batch.
// FOREIGN KEY, CHECK, UNIQUE and EXCLUDE constraints are not triggers and were enforced during the writes:
// e.g. an attendance row whose beneficiary is not a participant of the workshop fails its foreign key.
import type pg from 'pg';

/** Each check: how many rows of the batch break it, and the trigger whose rule it stands in for. */
const CHECKS = {
  birth_date_in_future:
    "beneficiaries born after today in the organisation's calendar (beneficiaries_birth_date_guard)",
  status_history_broken:
    'status history rows that do not chain (from_status = the previous to_status, each a change) (beneficiaries_record_status)',
  status_history_missing:
    'beneficiaries whose latest history row is not their status and reason (beneficiaries_record_status)',
  enrollment_inconsistent:
    'enrolments whose decision fields or version do not fit pending → approved|rejected → withdrawn|completed (enrollments_check_transition)',
  enrollment_while_archived:
    'enrolments requested while their beneficiary was archived, by her status history (enrollments_check_parties)',
  enrollment_after_project_closed:
    'enrolments requested after their completed or cancelled project ended (enrollments_check_parties)',
  enrollment_without_consent:
    'enrolments into a project whose purpose rests on consent without her consent then (enrollments_check_parties)',
  participant_not_approved:
    "participants without an approved enrolment of theirs in the workshop's project (workshop_participants_guard)",
  participant_after_workshop_closed:
    'seats taken after their completed or cancelled workshop ended (workshop_participants_check_workshop)',
  workshop_count_wrong:
    'workshops whose participant_count is not their number of participants, or above capacity (workshop_participants_guard)',
  attendance_not_session:
    'attendance rows not on a scheduled session of the workshop before the as-of day (attendance_scheduled_session)',
} as const;

export type VerificationCheck = keyof typeof CHECKS;
export const VERIFIED_RULES = Object.keys(CHECKS) as VerificationCheck[];

/**
 * $1..$2: the batch's beneficiary ids (one contiguous block); $3: the as-of day. Every other row of the batch
 * hangs from those ids: history, enrolments and participants are found by their beneficiary_id indexes,
 * attendance through the participants (its foreign key to workshop_participants guarantees it has one).
 * Column aliases = the CHECKS keys.
 */
const VERIFY_BATCH = `
  WITH h AS MATERIALIZED (
    SELECT beneficiary_id, from_status, to_status, reason,
           lag(to_status) OVER w AS previous, lead(to_status) OVER w IS NULL AS latest
      FROM beneficiary_status_history WHERE beneficiary_id BETWEEN $1 AND $2
    WINDOW w AS (PARTITION BY beneficiary_id ORDER BY id)),
  zone AS (SELECT COALESCE(NULLIF(current_setting('app.org_timezone', true), ''), 'America/Sao_Paulo') AS tz),
  today AS (SELECT (now() AT TIME ZONE (SELECT tz FROM zone))::date AS day),
  people AS (
    SELECT count(*) FILTER (WHERE b.birth_date > (SELECT day FROM today)) AS born_later,
           count(*) FILTER (WHERE h.beneficiary_id IS NULL) AS without_history
      FROM beneficiaries b
      LEFT JOIN h ON h.beneficiary_id = b.id AND h.latest AND h.to_status = b.status AND h.reason IS NOT DISTINCT FROM b.status_reason
     WHERE b.id BETWEEN $1 AND $2)
  SELECT
    (SELECT born_later FROM people)::int AS birth_date_in_future,
    (SELECT count(*) FROM h WHERE h.from_status IS DISTINCT FROM h.previous OR h.from_status IS NOT DISTINCT FROM h.to_status
    )::int AS status_history_broken,
    (SELECT without_history FROM people)::int AS status_history_missing,
    (SELECT count(*) FROM enrollments e WHERE e.beneficiary_id BETWEEN $1 AND $2
        AND NOT CASE WHEN e.status = 'pending' THEN e.decided_by IS NULL AND e.decision_note IS NULL AND e.version = 1
                     WHEN e.status IN ('approved', 'rejected') THEN e.decided_by IS NOT NULL AND e.version = 2
                     ELSE e.decided_by IS NOT NULL AND e.version = 3 END
    )::int AS enrollment_inconsistent,
    -- Her status when the enrolment was requested: her last history row at or before that moment.
    (SELECT count(*) FROM enrollments e WHERE e.beneficiary_id BETWEEN $1 AND $2
        AND (SELECT s.to_status FROM beneficiary_status_history s
              WHERE s.beneficiary_id = e.beneficiary_id AND s.changed_at <= e.created_at
              ORDER BY s.id DESC LIMIT 1) = 'archived'
    )::int AS enrollment_while_archived,
    (SELECT count(*) FROM enrollments e JOIN projects p ON p.id = e.project_id
      WHERE e.beneficiary_id BETWEEN $1 AND $2 AND p.status IN ('completed', 'cancelled')
        AND (e.created_at AT TIME ZONE (SELECT tz FROM zone))::date > p.end_date
    )::int AS enrollment_after_project_closed,
    -- Her consent to the project's purpose when the enrolment was requested: her last event at or before it.
    (SELECT count(*) FROM enrollments e JOIN projects p ON p.id = e.project_id
       JOIN processing_purposes pp ON pp.code = p.purpose_code AND pp.legal_basis = 'consent'
      WHERE e.beneficiary_id BETWEEN $1 AND $2
        AND NOT coalesce((SELECT c.granted FROM consents c
                           WHERE c.beneficiary_id = e.beneficiary_id AND c.purpose_code = p.purpose_code
                             AND c.recorded_at <= e.created_at
                           ORDER BY c.id DESC LIMIT 1), false)
    )::int AS enrollment_without_consent,
    (SELECT count(*) FROM workshop_participants p JOIN workshops w ON w.id = p.workshop_id
       LEFT JOIN enrollments e ON e.id = p.enrollment_id
      WHERE p.beneficiary_id BETWEEN $1 AND $2
        AND (e.id IS NULL OR e.beneficiary_id <> p.beneficiary_id OR e.project_id <> w.project_id OR e.status <> 'approved')
    )::int AS participant_not_approved,
    (SELECT count(*) FROM workshop_participants p JOIN workshops w ON w.id = p.workshop_id
      WHERE p.beneficiary_id BETWEEN $1 AND $2 AND w.status IN ('completed', 'cancelled')
        AND (p.created_at AT TIME ZONE (SELECT tz FROM zone))::date > w.end_date
    )::int AS participant_after_workshop_closed,
    (SELECT count(*) FROM workshops w
      WHERE w.id IN (SELECT workshop_id FROM workshop_participants WHERE beneficiary_id BETWEEN $1 AND $2)
        AND (w.participant_count > w.capacity
             OR w.participant_count <> (SELECT count(*) FROM workshop_participants p WHERE p.workshop_id = w.id))
    )::int AS workshop_count_wrong,
    -- Each sheet (workshop, day) once, counting its rows of the batch.
    (SELECT coalesce(sum(s.n), 0) FROM (
        SELECT a.workshop_id, a.session_date, count(*) AS n
          FROM workshop_participants p JOIN attendance a ON a.workshop_id = p.workshop_id AND a.beneficiary_id = p.beneficiary_id
         WHERE p.beneficiary_id BETWEEN $1 AND $2
         GROUP BY a.workshop_id, a.session_date) s
       JOIN workshops w ON w.id = s.workshop_id
      WHERE s.session_date NOT BETWEEN w.start_date AND w.end_date
         OR NOT date_part('isodow', s.session_date)::smallint = ANY (w.weekdays)
         OR s.session_date >= $3::date
    )::int AS attendance_not_session`;

export class BatchVerificationFailed extends Error {
  constructor(
    readonly batch: string,
    readonly failures: Partial<Record<VerificationCheck, number>>,
  ) {
    const list = Object.entries(failures).map(([k, n]) => `${n} ${CHECKS[k as VerificationCheck]}`);
    super(`staging batch ${batch} failed its pre-commit verification and was rolled back: ${list.join('; ')}`);
    this.name = 'BatchVerificationFailed';
  }
}

/**
 * Call inside the batch transaction, after its last write and before COMMIT; throws BatchVerificationFailed
 * (the caller rolls back) when any row of the batch breaks a rule its disabled triggers would have enforced.
 */
export async function verifyBatch(
  client: pg.ClientBase,
  o: { batch: string; firstId: number | string; lastId: number | string; asOf: string },
): Promise<void> {
  const { rows } = await client.query<Record<VerificationCheck, number>>(VERIFY_BATCH, [o.firstId, o.lastId, o.asOf]);
  const failures = Object.fromEntries(VERIFIED_RULES.filter((k) => rows[0]![k] > 0).map((k) => [k, rows[0]![k]]));
  if (Object.keys(failures).length > 0) throw new BatchVerificationFailed(o.batch, failures);
}
