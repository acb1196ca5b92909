// SQL for workshops and their participants.
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import type { Static } from '@sinclair/typebox';
import type { CreateWorkshop, Participant, UpdateWorkshop, Workshop } from './schemas.js';

export type WorkshopRow = Static<typeof Workshop>;

const COLUMNS = `w.id, w.project_id, p.name::text AS project_name, w.title, w.description, w.facilitator_id, u.name AS facilitator_name,
  w.location, w.start_date, w.end_date, w.weekdays::int[] AS weekdays, to_char(w.start_time, 'HH24:MI') AS start_time,
  to_char(w.end_time, 'HH24:MI') AS end_time, w.capacity, w.participant_count, w.status, w.version, w.created_at, w.updated_at,
  w.created_by, w.updated_by`;
const FROM = 'workshops w JOIN projects p ON p.id = w.project_id JOIN users u ON u.id = w.facilitator_id';

export function createWorkshopsRepository(db: Db) {
  return {
    get: (id: string, ex?: Executor) =>
      db.maybeOne<WorkshopRow>(
        { name: 'workshops-get', text: `SELECT ${COLUMNS} FROM ${FROM} WHERE w.id = $1`, values: [id] },
        ex,
      ),

    /** Locks the workshop row: participant additions for one workshop serialise here. */
    lock: (id: string, ex: Executor) =>
      db.maybeOne<{
        id: string;
        project_id: string;
        capacity: number;
        participant_count: number;
        status: string;
        version: number;
      }>(
        {
          name: 'workshops-lock',
          text: 'SELECT id, project_id, capacity, participant_count, status, version FROM workshops WHERE id = $1 FOR UPDATE',
          values: [id],
        },
        ex,
      ),

    list: (
      o: { projectId?: string; facilitatorId?: string; status?: string; afterId: string | null; limit: number },
      ex?: Executor,
    ) => {
      const q = new SqlBuilder()
        .filter('project', o.projectId, (v) => `w.project_id = ${v}::bigint`)
        .filter('facilitator', o.facilitatorId, (v) => `w.facilitator_id = ${v}::bigint`)
        .filter('status', o.status, (v) => `w.status = ${v}`)
        .filter('after', o.afterId, (v) => `w.id > ${v}::bigint`);
      return db.many<WorkshopRow>(
        q.statement(
          `SELECT ${COLUMNS} FROM ${FROM} ${q.whereClause()} ORDER BY w.id LIMIT ${q.param(o.limit + 1)}`,
          'workshops-list',
        ),
        ex,
      );
    },

    insert: (w: CreateWorkshop, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'workshops-insert',
          text: `INSERT INTO workshops (project_id, title, description, facilitator_id, location, start_date, end_date, weekdays,
                   start_time, end_time, capacity, status, created_by, updated_by)
                 VALUES ($1, $2, COALESCE($3, ''), $4, COALESCE($5, ''), $6, $7, $8::smallint[], $9, $10, $11, COALESCE($12, 'planned'), $13, $13)
                 RETURNING id`,
          values: [
            w.project_id,
            w.title.trim(),
            w.description ?? null,
            w.facilitator_id,
            w.location ?? null,
            w.start_date,
            w.end_date,
            w.weekdays,
            w.start_time,
            w.end_time,
            w.capacity,
            w.status ?? null,
            actorId,
          ],
        },
        ex,
      ),

    update: (id: string, w: Omit<UpdateWorkshop, 'version'>, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'workshops-update',
          text: `UPDATE workshops SET title = COALESCE($2, title), description = COALESCE($3, description),
                        facilitator_id = COALESCE($4, facilitator_id), location = COALESCE($5, location),
                        start_date = COALESCE($6, start_date), end_date = COALESCE($7, end_date),
                        weekdays = COALESCE($8::smallint[], weekdays), start_time = COALESCE($9, start_time),
                        end_time = COALESCE($10, end_time), capacity = COALESCE($11, capacity), status = COALESCE($12, status),
                        updated_by = $13, version = version + 1
                  WHERE id = $1 RETURNING id`,
          values: [
            id,
            w.title?.trim() ?? null,
            w.description ?? null,
            w.facilitator_id ?? null,
            w.location ?? null,
            w.start_date ?? null,
            w.end_date ?? null,
            w.weekdays ?? null,
            w.start_time ?? null,
            w.end_time ?? null,
            w.capacity ?? null,
            w.status ?? null,
            actorId,
          ],
        },
        ex,
      ),

    /** Another live workshop of the facilitator overlapping in dates, weekday and hours (to name it in the 409). */
    findOverlap: (
      o: {
        id: string | null;
        facilitatorId: string;
        start: string;
        end: string;
        weekdays: number[];
        from: string;
        to: string;
      },
      ex?: Executor,
    ) => {
      const q = new SqlBuilder();
      q.where(`w.facilitator_id = ${q.param(o.facilitatorId)}`)
        .filter('other', o.id, (v) => `w.id <> ${v}::bigint`)
        .where(`w.status <> 'cancelled'`)
        .where(
          `daterange(w.start_date, w.end_date, '[]') && daterange(${q.param(o.start)}::date, ${q.param(o.end)}::date, '[]')`,
        )
        .where(`w.weekdays && ${q.param(o.weekdays)}::smallint[]`)
        .where(
          `timerange(w.start_time, w.end_time, '[)') && timerange(${q.param(o.from)}::time, ${q.param(o.to)}::time, '[)')`,
        );
      return db.maybeOne<{ id: string; title: string }>(
        q.statement(
          `SELECT w.id, w.title FROM workshops w ${q.whereClause()} ORDER BY w.id LIMIT 1`,
          'workshops-find-overlap',
        ),
        ex,
      );
    },

    approvedEnrollment: (beneficiaryId: string, projectId: string, ex: Executor) =>
      db.maybeOne<{ id: string }>(
        {
          name: 'workshops-approved-enrollment',
          text: `SELECT id FROM enrollments WHERE beneficiary_id = $1 AND project_id = $2 AND status = 'approved' FOR SHARE`,
          values: [beneficiaryId, projectId],
        },
        ex,
      ),

    isParticipant: (workshopId: string, beneficiaryId: string, ex?: Executor) =>
      db.maybeOne<{ one: number }>(
        {
          name: 'workshops-is-participant',
          text: 'SELECT 1 AS one FROM workshop_participants WHERE workshop_id = $1 AND beneficiary_id = $2',
          values: [workshopId, beneficiaryId],
        },
        ex,
      ),

    addParticipant: (workshopId: string, beneficiaryId: string, enrollmentId: string, actorId: string, ex: Executor) =>
      db.one<{ workshop_id: string }>(
        {
          name: 'workshops-add-participant',
          text: `INSERT INTO workshop_participants (workshop_id, beneficiary_id, enrollment_id, created_by, updated_by)
                 VALUES ($1, $2, $3, $4, $4) RETURNING workshop_id`,
          values: [workshopId, beneficiaryId, enrollmentId, actorId],
        },
        ex,
      ),

    removeParticipant: (workshopId: string, beneficiaryId: string, ex: Executor) =>
      db.execute(
        {
          name: 'workshops-remove-participant',
          text: 'DELETE FROM workshop_participants WHERE workshop_id = $1 AND beneficiary_id = $2',
          values: [workshopId, beneficiaryId],
        },
        ex,
      ),

    participants: (
      workshopId: string,
      o: { afterId: string | null; beneficiaryId?: string; limit: number },
      ex?: Executor,
    ) => {
      const q = new SqlBuilder();
      q.where(`wp.workshop_id = ${q.param(workshopId)}`)
        .filter('after', o.afterId, (v) => `wp.beneficiary_id > ${v}::bigint`)
        .filter('beneficiary', o.beneficiaryId, (v) => `wp.beneficiary_id = ${v}::bigint`);
      return db.many<Static<typeof Participant>>(
        q.statement(
          `SELECT wp.workshop_id, wp.beneficiary_id, b.code, b.full_name, b.social_name, wp.enrollment_id, wp.created_at
             FROM workshop_participants wp JOIN beneficiaries b ON b.id = wp.beneficiary_id
           ${q.whereClause()} ORDER BY wp.beneficiary_id LIMIT ${q.param(o.limit + 1)}`,
          'workshops-participants',
        ),
        ex,
      );
    },
  };
}

export type WorkshopsRepository = ReturnType<typeof createWorkshopsRepository>;
