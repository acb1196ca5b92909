// SQL for attendance sheets.
import type { Db, Executor } from '../../platform/db.js';
import type { Sheet } from './schemas.js';

export function createAttendanceRepository(db: Db) {
  return {
    /**
     * Whether the date is a session of the workshop, and whether it is not after today, where "today" is
     * PostgreSQL's clock read in the organisation's zone (never a UTC date).
     */
    sessionCheck: (workshopId: string, date: string, tz: string, ex?: Executor) =>
      db.maybeOne<{ scheduled: boolean; not_future: boolean; today: string }>(
        {
          name: 'attendance-session-check',
          text: `SELECT ($2::date BETWEEN w.start_date AND w.end_date AND extract(isodow FROM $2::date)::smallint = ANY (w.weekdays)) AS scheduled,
                        $2::date <= (now() AT TIME ZONE $3::text)::date AS not_future,
                        (now() AT TIME ZONE $3::text)::date AS today
                   FROM workshops w WHERE w.id = $1`,
          values: [workshopId, date, tz],
        },
        ex,
      ),

    /** Locks the workshop's row so two sheets for it are written one after the other. */
    lockWorkshop: (workshopId: string, ex: Executor) =>
      db.maybeOne<{ id: string }>(
        {
          name: 'attendance-lock-workshop',
          text: 'SELECT id FROM workshops WHERE id = $1 FOR SHARE',
          values: [workshopId],
        },
        ex,
      ),

    notParticipants: (workshopId: string, ids: string[], ex?: Executor) =>
      db.many<{ beneficiary_id: string }>(
        {
          name: 'attendance-not-participants',
          text: `SELECT x.id AS beneficiary_id FROM unnest($2::bigint[]) AS x(id)
                  WHERE NOT EXISTS (SELECT 1 FROM workshop_participants wp WHERE wp.workshop_id = $1 AND wp.beneficiary_id = x.id)`,
          values: [workshopId, ids],
        },
        ex,
      ),

    /** The listed rows replace the sheet: others are deleted, listed ones inserted or updated only when changed. */
    replaceSheet: async (workshopId: string, date: string, rows: Sheet, actorId: string, ex: Executor) => {
      const ids = rows.map((r) => r.beneficiary_id);
      await db.execute(
        {
          name: 'attendance-prune',
          text: 'DELETE FROM attendance WHERE workshop_id = $1 AND session_date = $2 AND beneficiary_id <> ALL($3::bigint[])',
          values: [workshopId, date, ids],
        },
        ex,
      );
      if (!rows.length) return;
      await db.execute(
        {
          name: 'attendance-upsert',
          text: `INSERT INTO attendance (workshop_id, session_date, beneficiary_id, present, note, created_by, updated_by)
                 SELECT $1, $2, x.id, x.present, x.note, $6, $6 FROM unnest($3::bigint[], $4::boolean[], $5::text[]) AS x(id, present, note)
                 ON CONFLICT (workshop_id, session_date, beneficiary_id) DO UPDATE
                   SET present = EXCLUDED.present, note = EXCLUDED.note, updated_by = EXCLUDED.updated_by
                   WHERE (attendance.present, attendance.note) IS DISTINCT FROM (EXCLUDED.present, EXCLUDED.note)`,
          values: [workshopId, date, ids, rows.map((r) => r.present), rows.map((r) => r.note ?? null), actorId],
        },
        ex,
      );
    },

    sheet: (workshopId: string, date: string, ex?: Executor) =>
      db.many<{
        beneficiary_id: string;
        full_name: string;
        present: boolean;
        note: string | null;
        updated_at: Date;
        updated_by: string | null;
      }>(
        {
          name: 'attendance-sheet',
          text: `SELECT a.beneficiary_id, b.full_name, a.present, a.note, a.updated_at, a.updated_by
                   FROM attendance a JOIN beneficiaries b ON b.id = a.beneficiary_id
                  WHERE a.workshop_id = $1 AND a.session_date = $2 ORDER BY b.full_name, a.beneficiary_id`,
          values: [workshopId, date],
        },
        ex,
      ),

    rates: (workshopId: string, ex?: Executor) =>
      db.many<{ beneficiary_id: string; full_name: string; sessions: number; present: number; rate: number | null }>(
        {
          name: 'attendance-rates',
          text: `SELECT wp.beneficiary_id, b.full_name, count(a.session_date)::int AS sessions,
                        (count(*) FILTER (WHERE a.present))::int AS present,
                        round((count(*) FILTER (WHERE a.present))::numeric / NULLIF(count(a.session_date), 0), 4) AS rate
                   FROM workshop_participants wp
                   JOIN beneficiaries b ON b.id = wp.beneficiary_id
                   LEFT JOIN attendance a ON a.workshop_id = wp.workshop_id AND a.beneficiary_id = wp.beneficiary_id
                  WHERE wp.workshop_id = $1
                  GROUP BY wp.beneficiary_id, b.full_name ORDER BY b.full_name, wp.beneficiary_id`,
          values: [workshopId],
        },
        ex,
      ),

    workshopExists: (workshopId: string, ex?: Executor) =>
      db.maybeOne<{ id: string }>(
        { name: 'attendance-workshop-exists', text: 'SELECT id FROM workshops WHERE id = $1', values: [workshopId] },
        ex,
      ),

    sessionsRecorded: (workshopId: string, ex?: Executor) =>
      db.one<{ n: number }>(
        {
          name: 'attendance-sessions-recorded',
          text: 'SELECT count(DISTINCT session_date)::int AS n FROM attendance WHERE workshop_id = $1',
          values: [workshopId],
        },
        ex,
      ),
  };
}

export type AttendanceRepository = ReturnType<typeof createAttendanceRepository>;
