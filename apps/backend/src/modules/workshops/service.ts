// Workshop rules: inside the project's dates, end time after start, a facilitator never double-booked
// (the database's exclusion constraint decides; we name the other workshop), and participants: only
// beneficiaries with an approved enrolment in the project, never more than the capacity, also under concurrency.
import { DbError, type Db, type Executor } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { WorkshopsRepository } from './repository.js';
import type { CreateWorkshop, ListWorkshops, UpdateWorkshop } from './schemas.js';

const OVERLAP_CONSTRAINT = 'workshop_schedule_facilitator_id_excl';

const afterId = (cursor: string | undefined) => decodeCursor(cursor, ['id'])?.[0] ?? null;

export function createWorkshopsService(d: { db: Db; repo: WorkshopsRepository }) {
  const { db, repo } = d;

  function checkShape(w: { start_date: string; end_date: string; start_time: string; end_time: string }) {
    if (w.end_date < w.start_date)
      throw unprocessable('end_date is before start_date', [
        { path: 'body.end_date', message: 'must not be before start_date' },
      ]);
    if (w.end_time <= w.start_time)
      throw unprocessable('end_time is not after start_time', [
        { path: 'body.end_time', message: 'must be after start_time' },
      ]);
  }

  /** Turns the exclusion-constraint violation into a 409 naming the workshop it clashes with. */
  async function refineOverlap(
    err: unknown,
    w: {
      id: string | null;
      facilitator_id: string;
      start_date: string;
      end_date: string;
      weekdays: number[];
      start_time: string;
      end_time: string;
    },
  ): Promise<never> {
    if (err instanceof DbError && err.constraint === OVERLAP_CONSTRAINT) {
      const other = await repo.findOverlap({
        id: w.id,
        facilitatorId: w.facilitator_id,
        start: w.start_date,
        end: w.end_date,
        weekdays: w.weekdays,
        from: w.start_time,
        to: w.end_time,
      });
      const which = other ? `workshop ${other.id} ("${other.title}")` : 'another workshop';
      throw conflict(`The facilitator already holds ${which} on an overlapping day and time`, 'facilitator_overlap', [
        { path: 'body.facilitator_id', message: `overlaps ${which}` },
      ]);
    }
    throw err;
  }

  const service = {
    async get(id: string) {
      const w = await repo.get(id);
      if (!w) throw notFound('Workshop');
      return w;
    },

    /** `reader`: where the list runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async list(q: ListWorkshops, reader?: Executor) {
      const rows = await repo.list(
        {
          projectId: q.project_id,
          facilitatorId: q.facilitator_id,
          status: q.status,
          afterId: afterId(q.cursor),
          limit: q.limit,
        },
        reader,
      );
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    async create(actor: Principal, body: CreateWorkshop) {
      checkShape(body);
      let id: string;
      try {
        ({ id } = await db.transaction((tx) => repo.insert(body, actor.userId, tx), { userId: actor.userId }));
      } catch (err) {
        return refineOverlap(err, { ...body, id: null });
      }
      return service.get(id);
    },

    async update(actor: Principal, id: string, body: UpdateWorkshop, version: number | null) {
      const { version: _v, ...patch } = body;
      let merged: Parameters<typeof refineOverlap>[1] | undefined;
      try {
        await db.transaction(
          async (tx) => {
            const locked = await repo.lock(id, tx);
            if (!locked) throw notFound('Workshop');
            if (version !== null && locked.version !== version)
              throw preconditionFailed(
                `The workshop was changed by someone else (version ${locked.version}); reload and retry`,
              );
            const cur = (await repo.get(id, tx))!;
            merged = {
              id,
              facilitator_id: patch.facilitator_id ?? cur.facilitator_id,
              start_date: patch.start_date ?? cur.start_date,
              end_date: patch.end_date ?? cur.end_date,
              weekdays: patch.weekdays ?? cur.weekdays,
              start_time: patch.start_time ?? cur.start_time,
              end_time: patch.end_time ?? cur.end_time,
            };
            checkShape(merged);
            if (patch.capacity !== undefined && patch.capacity < locked.participant_count) {
              throw conflict(
                `The workshop already has ${locked.participant_count} participants`,
                'capacity_below_participants',
                [{ path: 'body.capacity', message: `must be at least ${locked.participant_count}` }],
              );
            }
            await repo.update(id, patch, actor.userId, tx);
          },
          { userId: actor.userId },
        );
      } catch (err) {
        if (merged) return refineOverlap(err, merged);
        throw err;
      }
      return service.get(id);
    },

    async participants(workshopId: string, q: { limit: number; cursor?: string }, reader?: Executor) {
      await service.get(workshopId);
      const rows = await repo.participants(workshopId, { afterId: afterId(q.cursor), limit: q.limit }, reader);
      return toPage(rows, q.limit, (r) => [r.beneficiary_id]);
    },

    /** The workshop row is locked first: two requests for the last seat queue there, and only one finds it free. */
    async addParticipant(actor: Principal, workshopId: string, beneficiaryId: string) {
      try {
        await db.transaction(
          async (tx) => {
            const w = await repo.lock(workshopId, tx);
            if (!w) throw notFound('Workshop');
            if (w.status === 'cancelled' || w.status === 'completed')
              throw conflict(`The workshop is ${w.status}`, 'workshop_closed');
            if (await repo.isParticipant(workshopId, beneficiaryId, tx))
              throw conflict('She already takes part in this workshop', 'already_participant');
            const enrollment = await repo.approvedEnrollment(beneficiaryId, w.project_id, tx);
            if (!enrollment) {
              throw unprocessable(
                "Only beneficiaries with an approved enrolment in the workshop's project can take part",
                [{ path: 'body.beneficiary_id', message: 'has no approved enrolment in the project' }],
              );
            }
            if (w.participant_count >= w.capacity)
              throw conflict(`The workshop is full (capacity ${w.capacity})`, 'workshop_full');
            await repo.addParticipant(workshopId, beneficiaryId, enrollment.id, actor.userId, tx);
          },
          { userId: actor.userId },
        );
      } catch (err) {
        // The database's own guard (participant_count <= capacity), should anything bypass the lock above.
        if (err instanceof DbError && err.constraint === 'workshops_participant_count_check')
          throw conflict('The workshop is full', 'workshop_full');
        throw err;
      }
      const rows = await repo.participants(workshopId, { afterId: null, beneficiaryId, limit: 1 });
      return rows[0]!;
    },

    async removeParticipant(actor: Principal, workshopId: string, beneficiaryId: string) {
      try {
        const n = await db.transaction((tx) => repo.removeParticipant(workshopId, beneficiaryId, tx), {
          userId: actor.userId,
        });
        if (!n) throw notFound('Participant');
      } catch (err) {
        if (err instanceof DbError && err.pgCode === '23503')
          throw conflict('Her attendance is recorded in this workshop; she cannot be removed', 'has_attendance');
        throw err;
      }
    },
  };
  return service;
}

export type WorkshopsService = ReturnType<typeof createWorkshopsService>;
