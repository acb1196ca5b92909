// Enrolment rules: one live enrolment (pending or approved) per beneficiary and project; the status machine
// pending → approved | rejected, approved → withdrawn | completed; anything else is a 409. Who decided and when
// is recorded on the row (the last decision) and in the audit trail (every one).
import { DbError, type Db, type Executor } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { EnrollmentsRepository } from './repository.js';
import type { CreateEnrollment, ListEnrollments } from './schemas.js';

export type Decision = 'approve' | 'reject' | 'withdraw' | 'complete';
/** The status machine: action → [target status, statuses it may leave from]. */
export const TRANSITIONS: Record<Decision, { to: string; from: string[] }> = {
  approve: { to: 'approved', from: ['pending'] },
  reject: { to: 'rejected', from: ['pending'] },
  withdraw: { to: 'withdrawn', from: ['approved'] },
  complete: { to: 'completed', from: ['approved'] },
};

/** 409 naming the purpose the project serves, to which she has no current consent. */
const consentRequired = (p: { code: string; name: string }) =>
  conflict(
    `The project's purpose "${p.name}" (${p.code}) rests on consent, and she has no current consent to it: record her consent first`,
    'consent_required',
    [{ path: 'body.beneficiary_id', message: `has no current consent to the purpose ${p.code}` }],
  );

export function createEnrollmentsService(d: { db: Db; repo: EnrollmentsRepository }) {
  const { db, repo } = d;
  const service = {
    async get(id: string) {
      const e = await repo.get(id);
      if (!e) throw notFound('Enrolment');
      return e;
    },

    /** `reader`: where the list runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async list(q: ListEnrollments, reader?: Executor) {
      const after = decodeCursor(q.cursor, ['id']);
      const rows = await repo.list(
        {
          beneficiaryId: q.beneficiary_id,
          projectId: q.project_id,
          status: q.status,
          afterId: after?.[0] ?? null,
          limit: q.limit,
        },
        reader,
      );
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    async create(actor: Principal, body: CreateEnrollment) {
      let id: string;
      let purpose: { code: string; name: string } | null = null;
      try {
        ({ id } = await db.transaction(
          async (tx) => {
            const parties = await repo.parties(body.beneficiary_id, body.project_id, tx);
            if (!parties?.beneficiary_status)
              throw unprocessable('No such beneficiary', [{ path: 'body.beneficiary_id', message: 'does not exist' }]);
            if (!parties.project_status)
              throw unprocessable('No such project', [{ path: 'body.project_id', message: 'does not exist' }]);
            if (parties.beneficiary_status === 'archived') throw conflict('The beneficiary is archived', 'archived');
            if (parties.project_status === 'completed' || parties.project_status === 'cancelled') {
              throw conflict(`The project is ${parties.project_status}`, 'project_closed');
            }
            if (parties.consent_purpose) {
              purpose = { code: parties.consent_purpose, name: parties.consent_purpose_name! };
              if (!parties.consented) throw consentRequired(purpose);
            }
            return repo.insert(
              {
                beneficiaryId: body.beneficiary_id,
                projectId: body.project_id,
                notes: body.notes,
                actorId: actor.userId,
              },
              tx,
            );
          },
          { userId: actor.userId },
        ));
      } catch (err) {
        // The database holds the consent rule too (enrollments_check_parties): name the purpose here as well.
        if (err instanceof DbError && err.constraint === 'enrollments_consent_required' && purpose)
          throw consentRequired(purpose);
        if (err instanceof DbError && err.constraint === 'enrollments_beneficiary_id_project_id_key') {
          throw conflict('She already has a pending or approved enrolment in this project', 'already_enrolled', [
            { path: 'body.beneficiary_id', message: 'already has a live enrolment in the project' },
          ]);
        }
        throw err;
      }
      return service.get(id);
    },

    async decide(actor: Principal, id: string, action: Decision, note: string | null, version: number | null) {
      const t = TRANSITIONS[action];
      await db.transaction(
        async (tx) => {
          const row = await repo.lock(id, tx);
          if (!row) throw notFound('Enrolment');
          if (version !== null && row.version !== version)
            throw preconditionFailed(
              `The enrolment was changed by someone else (version ${row.version}); reload and retry`,
            );
          if (!t.from.includes(row.status)) {
            throw conflict(
              `An enrolment that is ${row.status} cannot be ${t.to} (allowed from: ${t.from.join(', ')})`,
              'invalid_transition',
            );
          }
          await repo.transition({ id, to: t.to, from: t.from, note, actorId: actor.userId }, tx);
        },
        { userId: actor.userId },
      );
      return service.get(id);
    },
  };
  return service;
}

export type EnrollmentsService = ReturnType<typeof createEnrollmentsService>;
