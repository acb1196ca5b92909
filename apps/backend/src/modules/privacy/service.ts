// Privacy rules (LGPD; docs/privacy.md): consents only for purposes that rest on consent, recorded as events;
// data-subject requests due 15 days after receipt, moved along received → in_progress → completed | refused;
// the export of everything held about her (itself recorded); anonymisation, irreversible, by the column
// classification; retention, which anonymises whoever was archived longer than her purposes allow.
import { DbError, type Db } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { conflict, notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { Classification } from '../../platform/sensitive-data.js';
import type { PrivacyRepository, RetentionCandidate } from './repository.js';
import type {
  Anonymise,
  CreateRequest,
  DataSubjectExportBody,
  ListRequests,
  PublishNotice,
  RecordConsent,
  RequestStatus,
  UpdateRequest,
} from './schemas.js';

/** Where a request may go from each status (the database holds the same rule: data_requests_check_transition). */
export const REQUEST_TRANSITIONS: Record<RequestStatus, RequestStatus[]> = {
  received: ['in_progress', 'completed', 'refused'],
  in_progress: ['completed', 'refused'],
  completed: [],
  refused: [],
};
/** Requests an anonymisation may complete. */
const ERASURE_REQUESTS = ['anonymisation', 'deletion'];

export interface RetentionReport {
  dryRun: boolean;
  /** Whose retention has ended and who were (or, dry, would be) anonymised. */
  anonymised: RetentionCandidate[];
  /** Whose retention has ended but who have an open data-subject request: left until it is answered. */
  held: RetentionCandidate[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);
/** One line per person, ids and codes only (never a name): what retention decided and why. */
export function describeCandidate(c: RetentionCandidate): string {
  const purposes = c.purposes.map((p) => `${p.code} ${p.retention_months} months`).join(', ');
  const why = `archived ${day(c.archived_at)}, retention ${c.retention_months} months (${purposes}) ended ${day(c.retention_ends)}`;
  return c.open_requests.length
    ? `held ${c.code} (id ${c.id}): ${why}; open request(s) ${c.open_requests.map((r) => `#${r}`).join(', ')}`
    : `${c.code} (id ${c.id}): ${why}`;
}

export function createPrivacyService(d: {
  db: Db;
  repo: PrivacyRepository;
  classification: Classification;
  timezone: string;
}) {
  const { db, repo } = d;

  async function subjectOrFail(id: string, ex?: Parameters<PrivacyRepository['subject']>[1], lock = false) {
    const s = await repo.subject(id, ex, lock);
    if (!s) throw notFound('Beneficiary');
    return s;
  }

  /** Anonymises the people among `ids` not anonymised yet, in the caller's transaction; returns whom. */
  async function anonymiseLocked(
    ids: string[],
    actorId: string | null,
    details: (id: string) => Record<string, unknown>,
    tx: Parameters<PrivacyRepository['anonymise']>[2],
  ) {
    const locked = (await repo.lockForAnonymisation(ids, tx)).map((r) => r.id);
    if (!locked.length) return { ids: locked, rows: {}, scrubbed: 0, erased: [] as string[] };
    const result = await repo.anonymise(locked, actorId, tx);
    await repo.logAnonymisation(
      { ids: locked, actorId, details: locked.map((id) => ({ ...details(id), erased: result.erased })) },
      tx,
    );
    return { ids: locked, ...result };
  }

  const service = {
    purposes: async () => ({ data: await repo.purposes() }),

    notices: async () => ({ data: await repo.notices() }),

    async publishNotice(actor: Principal, body: PublishNotice) {
      try {
        return await db.transaction((tx) => repo.publishNotice({ ...body, actorId: actor.userId }, tx), {
          userId: actor.userId,
        });
      } catch (err) {
        if (err instanceof DbError && err.pgCode === '23505')
          throw conflict(
            'Another version was published at the same moment; reload and retry',
            'concurrent_publication',
          );
        throw err;
      }
    },

    async consents(id: string) {
      await subjectOrFail(id);
      const [current, events] = await Promise.all([repo.currentConsents(id), repo.consentEvents(id)]);
      return { current, events };
    },

    async recordConsent(actor: Principal, id: string, body: RecordConsent) {
      return db.transaction(
        async (tx) => {
          const s = await subjectOrFail(id, tx);
          if (s.anonymised_at) throw conflict('The beneficiary was anonymised: nothing more is recorded', 'anonymised');
          const purpose = await repo.purpose(body.purpose_code, tx);
          if (!purpose)
            throw unprocessable(`No purpose ${body.purpose_code}`, [
              { path: 'body.purpose_code', message: 'is not in the purpose catalogue' },
            ]);
          if (purpose.legal_basis !== 'consent')
            throw unprocessable(
              `The purpose ${purpose.code} rests on ${purpose.legal_basis}, not on consent: there is no consent to record`,
              [{ path: 'body.purpose_code', message: `rests on ${purpose.legal_basis}` }],
            );
          let noticeVersion = body.notice_version ?? (await repo.latestNoticeVersion(tx));
          if (body.notice_version !== undefined && !(await repo.noticeExists(body.notice_version, tx)))
            throw unprocessable(`No privacy notice version ${body.notice_version}`, [
              { path: 'body.notice_version', message: 'is not a published version' },
            ]);
          noticeVersion ??= null;
          return repo.insertConsent(
            {
              beneficiaryId: id,
              purposeCode: purpose.code,
              granted: body.granted,
              method: body.method,
              noticeVersion,
              actorId: actor.userId,
            },
            tx,
          );
        },
        { userId: actor.userId },
      );
    },

    async getRequest(id: string) {
      const r = await repo.getRequest(id, d.timezone);
      if (!r) throw notFound('Request');
      return r;
    },

    async listRequests(q: ListRequests) {
      const after = decodeCursor(q.cursor, ['text', 'id']);
      const rows = await repo.listRequests({
        timezone: d.timezone,
        status: q.status,
        type: q.type,
        beneficiaryId: q.beneficiary_id,
        overdue: q.overdue,
        after,
        limit: q.limit,
      });
      return toPage(rows, q.limit, (r) => [r.due_on, r.id]);
    },

    async createRequest(actor: Principal, body: CreateRequest) {
      if (body.received_at !== undefined && Date.parse(body.received_at) > Date.now())
        throw unprocessable('received_at is in the future', [
          { path: 'body.received_at', message: 'must not be in the future' },
        ]);
      const { id } = await db.transaction(
        async (tx) => {
          const s = await repo.subject(body.beneficiary_id, tx);
          if (!s)
            throw unprocessable('No such beneficiary', [{ path: 'body.beneficiary_id', message: 'does not exist' }]);
          if (s.anonymised_at)
            throw conflict('The beneficiary was anonymised: she can no longer be identified', 'anonymised');
          return repo.insertRequest(
            {
              beneficiaryId: body.beneficiary_id,
              type: body.type,
              channel: body.channel,
              receivedAt: body.received_at,
              notes: body.notes,
              actorId: actor.userId,
            },
            tx,
          );
        },
        { userId: actor.userId, timezone: d.timezone },
      );
      return service.getRequest(id);
    },

    async updateRequest(actor: Principal, id: string, body: UpdateRequest, version: number | null) {
      const { version: _v, ...patch } = body;
      await db.transaction(
        async (tx) => {
          const row = await repo.lockRequest(id, tx);
          if (!row) throw notFound('Request');
          if (version !== null && row.version !== version)
            throw preconditionFailed(
              `The request was changed by someone else (version ${row.version}); reload and retry`,
            );
          const to = patch.status;
          if (to !== undefined && to !== row.status && !REQUEST_TRANSITIONS[row.status].includes(to))
            throw conflict(
              `A request that is ${row.status} cannot become ${to} (allowed: ${REQUEST_TRANSITIONS[row.status].join(', ') || 'none'})`,
              'invalid_transition',
            );
          if (to === 'refused' && row.status !== 'refused' && !patch.notes)
            throw unprocessable('A refusal states its reason', [
              { path: 'body.notes', message: 'is required when refusing (LGPD art. 18 §4)' },
            ]);
          // Whoever takes a request on handles it, unless someone else is named.
          const handledBy =
            patch.handled_by !== undefined ? patch.handled_by : to && to !== row.status ? actor.userId : undefined;
          await repo.updateRequest(id, { status: to, handledBy, notes: patch.notes, actorId: actor.userId }, tx);
        },
        { userId: actor.userId },
      );
      return service.getRequest(id);
    },

    openRequestCounts: () => repo.openRequestCounts(d.timezone),

    /** Everything held about her, in one consistent snapshot; the export is recorded in the same transaction. */
    async exportSubject(actor: Principal, id: string): Promise<DataSubjectExportBody> {
      return db.transaction(
        async (tx) => {
          await subjectOrFail(id, tx);
          await repo.logAccess({ id, action: 'export', actorId: actor.userId, details: { format: 'json' } }, tx);
          const rows = (await repo.exportRows(id, tx))!;
          const [consents, auditTrail, accessLog] = [
            await repo.currentConsents(id, tx),
            await repo.auditTrail(id, tx),
            await repo.accessLog(id, tx),
          ];
          const tables = ['beneficiaries', ...Object.keys(rows.related)];
          return {
            format: 'acolhe.data-subject-export.v1' as const,
            generated_at: new Date(),
            generated_by: actor.userId,
            beneficiary_id: id,
            record: rows.record,
            related: rows.related,
            consents,
            audit_trail: auditTrail,
            access_log: accessLog,
            data_map: tables.flatMap((table) =>
              d.classification.of(table).map((c) => ({
                table,
                column: c.column_name,
                class: c.class ?? 'unclassified',
                description: c.description ?? '',
              })),
            ),
          };
        },
        { isolation: 'repeatable read', userId: actor.userId },
      );
    },

    async anonymise(actor: Principal, id: string, body: Anonymise) {
      return db.transaction(
        async (tx) => {
          const s = await subjectOrFail(id, tx, true);
          if (s.anonymised_at) throw conflict('The beneficiary was already anonymised', 'already_anonymised');
          if (body.request_id !== undefined) {
            const r = await repo.lockRequest(body.request_id, tx);
            if (!r || r.beneficiary_id !== id || !ERASURE_REQUESTS.includes(r.type))
              throw unprocessable('Not her anonymisation or deletion request', [
                { path: 'body.request_id', message: 'is not an anonymisation or deletion request of hers' },
              ]);
            if (!REQUEST_TRANSITIONS[r.status].includes('completed'))
              throw conflict(`The request is already ${r.status}`, 'invalid_transition');
          }
          const done = await anonymiseLocked(
            [id],
            actor.userId,
            () => ({ reason: body.reason, request_id: body.request_id ?? null }),
            tx,
          );
          if (body.request_id !== undefined)
            await repo.updateRequest(
              body.request_id,
              { status: 'completed', handledBy: actor.userId, actorId: actor.userId },
              tx,
            );
          const after = (await repo.subject(id, tx))!;
          return {
            beneficiary_id: id,
            anonymised_at: after.anonymised_at!,
            erased: done.erased,
            rows_changed: done.rows,
            audit_rows_scrubbed: done.scrubbed,
            request_id: body.request_id ?? null,
          };
        },
        { userId: actor.userId },
      );
    },

    /**
     * Retention (docs/privacy.md): everyone archived longer than the longest retention among her purposes is
     * anonymised, in batches of `batchSize` (one transaction each, every anonymisation in the audit trail by the
     * system, user_id NULL). People with an open data-subject request are held until it is answered. `dryRun`
     * only lists. `log` gets one line per person and per batch (ids and codes, never a name).
     */
    async runRetention(o: {
      dryRun: boolean;
      batchSize?: number;
      log?: (line: string) => void;
    }): Promise<RetentionReport> {
      const log = o.log ?? (() => {});
      const batchSize = o.batchSize ?? 100;
      const report: RetentionReport = { dryRun: o.dryRun, anonymised: [], held: [] };
      let afterId = '0';
      for (let batch = 1; ; batch++) {
        const page = await repo.retentionCandidates({ afterId, limit: batchSize });
        if (!page.length) break;
        afterId = page[page.length - 1]!.id;
        const due = page.filter((c) => !c.open_requests.length);
        report.held.push(...page.filter((c) => c.open_requests.length));
        for (const c of page)
          log(`${o.dryRun && !c.open_requests.length ? 'would anonymise ' : ''}${describeCandidate(c)}`);
        if (o.dryRun) {
          report.anonymised.push(...due);
          continue;
        }
        const byId = new Map(due.map((c) => [c.id, c]));
        const done = await db.transaction((tx) =>
          anonymiseLocked(
            due.map((c) => c.id),
            null,
            (id) => ({ reason: 'retention', rule: describeCandidate(byId.get(id)!) }),
            tx,
          ),
        );
        report.anonymised.push(...done.ids.map((id) => byId.get(id)!));
        log(`batch ${batch}: anonymised ${done.ids.length} of ${page.length} (${report.anonymised.length} so far)`);
      }
      log(
        `${o.dryRun ? 'would anonymise' : 'anonymised'} ${report.anonymised.length}; held by open requests ${report.held.length}`,
      );
      return report;
    },
  };
  return service;
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
