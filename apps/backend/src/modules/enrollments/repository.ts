// SQL for enrolments.
import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import type { Enrollment } from './schemas.js';

export type EnrollmentRow = Static<typeof Enrollment>;

const COLUMNS = `e.id, e.beneficiary_id, b.code AS beneficiary_code, b.full_name AS beneficiary_name, e.project_id, p.name::text AS project_name,
  e.status, e.notes, e.decided_by, e.decided_at, e.decision_note, e.version, e.created_at, e.updated_at, e.created_by, e.updated_by`;
const FROM = 'enrollments e JOIN beneficiaries b ON b.id = e.beneficiary_id JOIN projects p ON p.id = e.project_id';

export function createEnrollmentsRepository(db: Db) {
  return {
    get: (id: string, ex?: Executor) =>
      db.maybeOne<EnrollmentRow>(
        { name: 'enrollments-get', text: `SELECT ${COLUMNS} FROM ${FROM} WHERE e.id = $1`, values: [id] },
        ex,
      ),

    list: (
      o: { beneficiaryId?: string; projectId?: string; status?: string; afterId: string | null; limit: number },
      ex?: Executor,
    ) => {
      const q = new SqlBuilder()
        .filter('beneficiary', o.beneficiaryId, (v) => `e.beneficiary_id = ${v}::bigint`)
        .filter('project', o.projectId, (v) => `e.project_id = ${v}::bigint`)
        .filter('status', o.status, (v) => `e.status = ${v}`)
        .filter('after', o.afterId, (v) => `e.id > ${v}::bigint`);
      return db.many<EnrollmentRow>(
        q.statement(
          `SELECT ${COLUMNS} FROM ${FROM} ${q.whereClause()} ORDER BY e.id LIMIT ${q.param(o.limit + 1)}`,
          'enrollments-list',
        ),
        ex,
      );
    },

    /**
     * Beneficiary (not deleted) and project states, locked against a concurrent archive, status or purpose change
     * and consent revocation (which locks her row); and, when the project's purpose rests on consent, that purpose
     * and whether she currently consents to it.
     */
    parties: (beneficiaryId: string, projectId: string, ex: Executor) =>
      db.maybeOne<{
        beneficiary_status: string | null;
        project_status: string | null;
        consent_purpose: string | null;
        consent_purpose_name: string | null;
        consented: boolean;
      }>(
        {
          name: 'enrollments-parties',
          text: `SELECT (SELECT status FROM beneficiaries WHERE id = $1 AND deleted_at IS NULL FOR SHARE) AS beneficiary_status,
                        (SELECT status FROM projects WHERE id = $2 FOR SHARE) AS project_status,
                        pp.code AS consent_purpose, pp.name AS consent_purpose_name,
                        EXISTS (SELECT 1 FROM current_consents c
                                 WHERE c.beneficiary_id = $1 AND c.purpose_code = pp.code AND c.granted) AS consented
                   FROM (SELECT 1) AS one
                   LEFT JOIN projects p ON p.id = $2
                   LEFT JOIN processing_purposes pp ON pp.code = p.purpose_code AND pp.legal_basis = 'consent'`,
          values: [beneficiaryId, projectId],
        },
        ex,
      ),

    insert: (o: { beneficiaryId: string; projectId: string; notes?: string; actorId: string }, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'enrollments-insert',
          text: `INSERT INTO enrollments (beneficiary_id, project_id, notes, created_by, updated_by) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
          values: [o.beneficiaryId, o.projectId, o.notes ?? null, o.actorId],
        },
        ex,
      ),

    lock: (id: string, ex: Executor) =>
      db.maybeOne<{ status: string; version: number }>(
        {
          name: 'enrollments-lock',
          text: 'SELECT status, version FROM enrollments WHERE id = $1 FOR UPDATE',
          values: [id],
        },
        ex,
      ),

    /** Moves the status only from one of `from`: the transition rule holds even against a concurrent decision. */
    transition: (o: { id: string; to: string; from: string[]; note: string | null; actorId: string }, ex: Executor) =>
      db.execute(
        {
          name: 'enrollments-transition',
          text: `UPDATE enrollments SET status = $2, decided_by = $5, decided_at = now(), decision_note = COALESCE($4, decision_note),
                        updated_by = $5, version = version + 1
                  WHERE id = $1 AND status = ANY($3::text[])`,
          values: [o.id, o.to, o.from, o.note, o.actorId],
        },
        ex,
      ),
  };
}

export type EnrollmentsRepository = ReturnType<typeof createEnrollmentsRepository>;
