// Attendance rules: a sheet belongs to a scheduled session (inside the workshop's dates, on one of its ISO
// weekdays) that is not after today in the organisation's zone; only participants appear on it; a PUT
// replaces the whole sheet and is idempotent (repeating it changes nothing and writes no audit rows).
import type { Db, Executor } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { badRequest, notFound, unprocessable } from '../../platform/errors.js';
import type { AttendanceRepository } from './repository.js';
import type { Sheet } from './schemas.js';

export function createAttendanceService(d: { db: Db; repo: AttendanceRepository; timezone: string }) {
  const { db, repo } = d;

  async function checkSession(workshopId: string, date: string) {
    const s = await repo.sessionCheck(workshopId, date, d.timezone);
    if (!s) throw notFound('Workshop');
    if (!s.scheduled) {
      throw unprocessable(`${date} is not a session of this workshop`, [
        { path: 'params.date', message: "is outside the workshop's dates or not one of its weekdays" },
      ]);
    }
    return s;
  }

  const service = {
    async getSheet(workshopId: string, date: string) {
      await checkSession(workshopId, date);
      return { workshop_id: workshopId, session_date: date, entries: await repo.sheet(workshopId, date) };
    },

    async putSheet(actor: Principal, workshopId: string, date: string, rows: Sheet) {
      const ids = rows.map((r) => r.beneficiary_id);
      const dup = ids.findIndex((id, i) => ids.indexOf(id) !== i);
      if (dup >= 0)
        throw badRequest('A beneficiary is listed twice', [
          { path: `body.${dup}.beneficiary_id`, message: 'is listed more than once' },
        ]);
      const s = await checkSession(workshopId, date);
      if (!s.not_future) {
        throw unprocessable(`${date} is in the future (today is ${s.today} in ${d.timezone})`, [
          { path: 'params.date', message: 'is after today' },
        ]);
      }
      await db.transaction(
        async (tx) => {
          if (!(await repo.lockWorkshop(workshopId, tx))) throw notFound('Workshop');
          const strangers = await repo.notParticipants(workshopId, ids, tx);
          if (strangers.length) {
            throw unprocessable(
              'Only participants of the workshop can be on its attendance sheet',
              strangers.map((x) => ({
                path: `body.${ids.indexOf(x.beneficiary_id)}.beneficiary_id`,
                message: 'is not a participant of this workshop',
              })),
            );
          }
          await repo.replaceSheet(workshopId, date, rows, actor.userId, tx);
        },
        { userId: actor.userId },
      );
      return service.getSheet(workshopId, date);
    },

    /** A report: `reader` is where it runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async rates(workshopId: string, reader?: Executor) {
      if (!(await repo.workshopExists(workshopId, reader))) throw notFound('Workshop');
      const [recorded, data] = await Promise.all([
        repo.sessionsRecorded(workshopId, reader),
        repo.rates(workshopId, reader),
      ]);
      return { workshop_id: workshopId, sessions_recorded: recorded.n, data };
    },
  };
  return service;
}

export type AttendanceService = ReturnType<typeof createAttendanceService>;
