// SQL for privacy: the purpose catalogue, notices, consents, data-subject requests, and the statements of the
// data-subject export, anonymisation and retention. Those last ones are generic: the tables holding rows about
// her (beneficiaries, and every table with a beneficiary_id column) and what to erase in them come from the
// column classification (platform/sensitive-data.ts), the key columns of the audit trail from the triggers
// themselves. Such identifiers come from the database's catalogue and are quoted here (`ident`); values always
// travel as placeholders.
import pg from 'pg';
import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import { PSEUDONYM, type Classification, type ClassifiedColumn } from '../../platform/sensitive-data.js';
import type { Consent, DataRequest, Notice, Purpose, RequestStatus } from './schemas.js';

const ident = (name: string) => pg.escapeIdentifier(name);

export type PurposeRow = Static<typeof Purpose>;
export type NoticeRow = Static<typeof Notice>;
export type ConsentRow = Static<typeof Consent>;
export type RequestRow = Static<typeof DataRequest>;

/** The purpose of keeping her record at all (also projects.purpose_code's default): retention's fallback. */
export const REGISTRATION_PURPOSE = 'case_follow_up';
const OPEN = `('received', 'in_progress')`;

const PURPOSE_COLUMNS = 'code, name, description, legal_basis, legal_reference, retention_months';
const CONSENT_COLUMNS = `c.id, c.beneficiary_id, c.purpose_code, p.name AS purpose_name, c.notice_version, c.granted, c.method,
  c.recorded_by, c.recorded_at`;
/** $1 is always the organisation's time zone: "overdue" is past the due day by its calendar. */
const REQUEST_COLUMNS = `r.id, r.beneficiary_id, b.code AS beneficiary_code, r.type, r.status, r.channel, r.received_at,
  r.received_on, r.due_on, (r.status IN ${OPEN} AND r.due_on < (now() AT TIME ZONE $1::text)::date) AS overdue,
  r.handled_by, r.notes, r.closed_at, r.version, r.created_at, r.updated_at, r.created_by, r.updated_by`;
const REQUEST_FROM = 'data_requests r JOIN beneficiaries b ON b.id = r.beneficiary_id';

export interface RequestFilter {
  timezone: string;
  status?: string;
  type?: string;
  beneficiaryId?: string;
  overdue?: boolean;
  after: [string, string] | null;
  limit: number;
}

export interface RetentionCandidate {
  id: string;
  code: string;
  archived_at: Date;
  purposes: { code: string; retention_months: number }[];
  retention_months: number;
  retention_ends: Date;
  /** Her open data-subject requests: she is held until they are answered. */
  open_requests: string[];
}

/** A table holding rows about her, and the column that says whose they are. */
interface Subject {
  table: string;
  by: 'id' | 'beneficiary_id';
  erase: ClassifiedColumn[];
}

const TEXT_TYPES = /^(text|citext|character varying.*)$/;

/** What anonymisation writes into one column: NULL, the pseudonym (NOT NULL text), or the 1st of January. */
function erasedValue(c: ClassifiedColumn, pseudonym: () => string): string {
  const col = ident(c.column_name);
  if (c.anonymise === 'year') {
    if (c.data_type !== 'date') throw new Error(`${c.table_name}.${c.column_name}: anonymise=year needs a date column`);
    return `make_date(extract(year FROM ${col})::int, 1, 1)`;
  }
  if (c.nullable) return 'NULL';
  if (!TEXT_TYPES.test(c.data_type))
    throw new Error(`${c.table_name}.${c.column_name}: a NOT NULL ${c.data_type} column cannot be erased`);
  return pseudonym();
}

export function createPrivacyRepository(db: Db, classification: Classification) {
  const subjects: Subject[] = [
    { table: 'beneficiaries', by: 'id' as const },
    ...classification.subjectTables().map((table) => ({ table, by: 'beneficiary_id' as const })),
  ].map((s) => ({ ...s, erase: classification.anonymised(s.table) }));
  // Checked once at start: a classification anonymisation cannot apply refuses to start the module.
  for (const s of subjects) for (const c of s.erase) erasedValue(c, () => '$1');

  /** table → its audit trigger's key columns (the parts of audit_log.row_id), read once (on the caller's executor). */
  let auditKeys: Promise<Map<string, string[]>> | undefined;
  const loadAuditKeys = (ex: Executor) =>
    (auditKeys ??= db
      .many<{ table: string; keys: string | null }>(
        {
          name: 'privacy-audit-keys',
          text: `SELECT c.relname AS table, (string_to_array(encode(t.tgargs, 'escape'), '\\000'))[1] AS keys
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE p.proname = 'audit_row_change' AND NOT t.tgisinternal
                  AND c.relnamespace = 'public'::regnamespace`,
        },
        ex,
      )
      .then(
        (rows) => new Map(rows.map((r) => [r.table, (r.keys || 'id').split(',')])),
        (err: unknown) => {
          auditKeys = undefined; // a failed read is tried again next time
          throw err;
        },
      ));

  /**
   * The audit_log rows (alias a) about the rows of the given people in one audited table: by the position of
   * beneficiary_id in the row key, else by the keys of her current rows and of every row whose recorded
   * insert or delete named her (rows deleted since included).
   */
  function auditRowsOf(q: SqlBuilder, s: Subject, keys: string[], ids: string): string {
    const t = q.param(s.table);
    if (s.by === 'id') return `a.table_name = ${t} AND a.row_id = ANY(${ids})`;
    const pos = keys.indexOf('beneficiary_id');
    if (pos >= 0) return `a.table_name = ${t} AND split_part(a.row_id, ':', ${pos + 1}) = ANY(${ids})`;
    const key = `concat_ws(':', ${keys.map((k) => `x.${ident(k)}`).join(', ')})`;
    return `a.table_name = ${t} AND a.row_id IN (
              SELECT ${key} FROM ${ident(s.table)} x WHERE x.beneficiary_id = ANY(${ids}::bigint[])
              UNION SELECT m.row_id FROM audit_log m
               WHERE m.table_name = ${t} AND (m.changes -> 'beneficiary_id' ->> 'new' = ANY(${ids})
                                           OR m.changes -> 'beneficiary_id' ->> 'old' = ANY(${ids})))`;
  }

  return {
    purposes: (ex?: Executor) =>
      db.many<PurposeRow>(
        { name: 'privacy-purposes', text: `SELECT ${PURPOSE_COLUMNS} FROM processing_purposes ORDER BY code` },
        ex,
      ),

    purpose: (code: string, ex?: Executor) =>
      db.maybeOne<PurposeRow>(
        {
          name: 'privacy-purpose',
          text: `SELECT ${PURPOSE_COLUMNS} FROM processing_purposes WHERE code = $1`,
          values: [code],
        },
        ex,
      ),

    notices: (ex?: Executor) =>
      db.many<NoticeRow>(
        {
          name: 'privacy-notices',
          text: 'SELECT version, title, body, published_at, published_by FROM privacy_notices ORDER BY version DESC',
        },
        ex,
      ),

    noticeExists: async (version: number, ex?: Executor) =>
      (await db.maybeOne(
        { name: 'privacy-notice-exists', text: 'SELECT 1 FROM privacy_notices WHERE version = $1', values: [version] },
        ex,
      )) !== null,

    latestNoticeVersion: async (ex?: Executor) =>
      (
        await db.one<{ version: number | null }>(
          { name: 'privacy-notice-latest', text: 'SELECT max(version) AS version FROM privacy_notices' },
          ex,
        )
      ).version,

    /** The next version number; two publications at once collide on the key (23505) and one is retried. */
    publishNotice: (o: { title: string; body: string; actorId: string }, ex: Executor) =>
      db.one<NoticeRow>(
        {
          name: 'privacy-notice-publish',
          text: `INSERT INTO privacy_notices (version, title, body, published_by)
                 SELECT COALESCE(max(version), 0) + 1, $1, $2, $3 FROM privacy_notices
                 RETURNING version, title, body, published_at, published_by`,
          values: [o.title, o.body, o.actorId],
        },
        ex,
      ),

    /** Her record's state, or null when she does not exist (or was deleted); row-locked with `lock`. */
    subject: (id: string, ex?: Executor, lock = false) =>
      db.maybeOne<{ id: string; code: string; status: string; anonymised_at: Date | null }>(
        {
          name: lock ? 'privacy-subject-lock' : 'privacy-subject',
          text: `SELECT id, code, status, anonymised_at FROM beneficiaries
                  WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
          values: [id],
        },
        ex,
      ),

    consentEvents: (beneficiaryId: string, ex?: Executor) =>
      db.many<ConsentRow>(
        {
          name: 'privacy-consent-events',
          text: `SELECT ${CONSENT_COLUMNS} FROM consents c JOIN processing_purposes p ON p.code = c.purpose_code
                  WHERE c.beneficiary_id = $1 ORDER BY c.id DESC`,
          values: [beneficiaryId],
        },
        ex,
      ),

    currentConsents: (beneficiaryId: string, ex?: Executor) =>
      db.many<ConsentRow>(
        {
          name: 'privacy-consents-current',
          text: `SELECT ${CONSENT_COLUMNS} FROM current_consents c JOIN processing_purposes p ON p.code = c.purpose_code
                  WHERE c.beneficiary_id = $1 ORDER BY c.purpose_code`,
          values: [beneficiaryId],
        },
        ex,
      ),

    insertConsent: (
      o: {
        beneficiaryId: string;
        purposeCode: string;
        granted: boolean;
        method: string;
        noticeVersion: number | null;
        actorId: string;
      },
      ex: Executor,
    ) =>
      db.one<ConsentRow>(
        {
          name: 'privacy-consent-insert',
          text: `WITH c AS (INSERT INTO consents (beneficiary_id, purpose_code, granted, method, notice_version, recorded_by)
                            VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
                 SELECT ${CONSENT_COLUMNS} FROM c JOIN processing_purposes p ON p.code = c.purpose_code`,
          values: [o.beneficiaryId, o.purposeCode, o.granted, o.method, o.noticeVersion, o.actorId],
        },
        ex,
      ),

    insertRequest: (
      o: {
        beneficiaryId: string;
        type: string;
        channel?: string;
        receivedAt?: string;
        notes?: string | null;
        actorId: string;
      },
      ex: Executor,
    ) =>
      db.one<{ id: string }>(
        {
          name: 'privacy-request-insert',
          text: `INSERT INTO data_requests (beneficiary_id, type, channel, received_at, notes, created_by, updated_by)
                 VALUES ($1, $2, COALESCE($3, 'in_person'), COALESCE($4::timestamptz, now()), $5, $6, $6) RETURNING id`,
          values: [o.beneficiaryId, o.type, o.channel ?? null, o.receivedAt ?? null, o.notes ?? null, o.actorId],
        },
        ex,
      ),

    getRequest: (id: string, timezone: string, ex?: Executor) =>
      db.maybeOne<RequestRow>(
        {
          name: 'privacy-request-get',
          text: `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE r.id = $2`,
          values: [timezone, id],
        },
        ex,
      ),

    /** Ordered by due day (most urgent first), keyset on (due_on, id). */
    listRequests: (f: RequestFilter, ex?: Executor) => {
      const q = new SqlBuilder();
      q.param(f.timezone); // $1, read by REQUEST_COLUMNS and the overdue filter
      q.filter('status', f.status, (v) => `r.status = ${v}`)
        .filter('type', f.type, (v) => `r.type = ${v}`)
        .filter('beneficiary', f.beneficiaryId, (v) => `r.beneficiary_id = ${v}::bigint`);
      if (f.overdue !== undefined)
        q.where(`${f.overdue ? '' : 'NOT '}(r.status IN ${OPEN} AND r.due_on < (now() AT TIME ZONE $1::text)::date)`);
      if (f.after) q.where(`(r.due_on, r.id) > (${q.param(f.after[0])}::date, ${q.param(f.after[1])}::bigint)`);
      return db.many<RequestRow>(
        q.statement(
          `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} ${q.whereClause()}
            ORDER BY r.due_on, r.id LIMIT ${q.param(f.limit + 1)}`,
          `privacy-requests-list${f.overdue === undefined ? '' : f.overdue ? '-overdue' : '-in-time'}${f.after ? '-after' : ''}`,
        ),
        ex,
      );
    },

    lockRequest: (id: string, ex: Executor) =>
      db.maybeOne<{ beneficiary_id: string; type: string; status: RequestStatus; version: number }>(
        {
          name: 'privacy-request-lock',
          text: 'SELECT beneficiary_id, type, status, version FROM data_requests WHERE id = $1 FOR UPDATE',
          values: [id],
        },
        ex,
      ),

    updateRequest: (
      id: string,
      o: { status?: string; handledBy?: string | null; notes?: string | null; actorId: string },
      ex: Executor,
    ) =>
      db.execute(
        {
          name: 'privacy-request-update',
          text: `UPDATE data_requests
                    SET status = COALESCE($2, status),
                        handled_by = CASE WHEN $3 THEN $4::bigint ELSE handled_by END,
                        notes = CASE WHEN $5 THEN $6 ELSE notes END,
                        closed_at = CASE WHEN COALESCE($2, status) IN ('completed', 'refused') THEN COALESCE(closed_at, now()) END,
                        updated_by = $7, version = version + 1
                  WHERE id = $1`,
          values: [
            id,
            o.status ?? null,
            o.handledBy !== undefined,
            o.handledBy ?? null,
            o.notes !== undefined,
            o.notes ?? null,
            o.actorId,
          ],
        },
        ex,
      ),

    /** Open requests, and those past their due day by the organisation's calendar (the metric). */
    openRequestCounts: (timezone: string, ex?: Executor) =>
      db.one<{ open: number; overdue: number }>(
        {
          name: 'privacy-requests-open',
          text: `SELECT count(*)::int AS open, count(*) FILTER (WHERE due_on < (now() AT TIME ZONE $1::text)::date)::int AS overdue
                   FROM data_requests WHERE status IN ${OPEN}`,
          values: [timezone],
        },
        ex,
      ),

    /** Everything held about her, table by table, read in the caller's (REPEATABLE READ) transaction. */
    async exportRows(id: string, ex: Executor) {
      const q = new SqlBuilder();
      const idRef = q.param(id);
      const related = subjects
        .filter((s) => s.by === 'beneficiary_id')
        .map((s) => {
          const first = ident(classification.of(s.table)[0]!.column_name);
          return `${q.param(s.table)}::text, (SELECT COALESCE(jsonb_agg(to_jsonb(x) ORDER BY x.${first}), '[]'::jsonb)
                                               FROM ${ident(s.table)} x WHERE x.beneficiary_id = ${idRef}::bigint)`;
        });
      return db.maybeOne<{ record: Record<string, unknown>; related: Record<string, Record<string, unknown>[]> }>(
        q.statement(
          `SELECT to_jsonb(b) AS record, jsonb_build_object(${related.join(', ')}) AS related
             FROM beneficiaries b WHERE b.id = ${idRef}::bigint AND b.deleted_at IS NULL`,
        ),
        ex,
      );
    },

    /** The audit trail of her rows, oldest first. */
    async auditTrail(id: string, ex: Executor) {
      const keys = await loadAuditKeys(ex);
      const q = new SqlBuilder();
      const ids = q.param([id]);
      const parts = subjects
        .filter((s) => keys.has(s.table))
        .map((s) => `(${auditRowsOf(q, s, keys.get(s.table)!, `${ids}::text[]`)})`);
      return db.many<{
        table_name: string;
        row_id: string;
        action: string;
        user_id: string | null;
        changes: unknown;
        occurred_at: Date;
      }>(
        q.statement(`SELECT a.table_name, a.row_id, a.action, a.user_id, a.changes, a.occurred_at FROM audit_log a
                      WHERE a.action IN ('insert', 'update', 'delete') AND (${parts.join(' OR ')}) ORDER BY a.id`),
        ex,
      );
    },

    /** Who read her sensitive data (a read, or a CPF/NIS lookup that found her) or exported it, oldest first. */
    accessLog: (id: string, ex?: Executor) =>
      db.many<{
        occurred_at: Date;
        action: string;
        user_id: string | null;
        user_name: string | null;
        details: unknown;
      }>(
        {
          name: 'privacy-access-log',
          text: `SELECT a.occurred_at, a.action, a.user_id, u.name AS user_name, a.changes AS details
                   FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
                  WHERE a.table_name = 'beneficiaries' AND a.row_id = $1 AND a.action IN ('read_sensitive', 'export')
                  ORDER BY a.id`,
          values: [id],
        },
        ex,
      ),

    /** The export itself is recorded, in the transaction that reads it. */
    logAccess: (o: { id: string; action: 'export'; actorId: string; details: unknown }, ex: Executor) =>
      db.execute(
        {
          name: 'privacy-log-access',
          text: `INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
                 VALUES ('beneficiaries', $1, $2, $3, $4::jsonb)`,
          values: [o.id, o.action, o.actorId, JSON.stringify(o.details)],
        },
        ex,
      ),

    /** The people among `ids` that can still be anonymised, row-locked: present, not yet anonymised. */
    lockForAnonymisation: (ids: string[], ex: Executor) =>
      db.many<{ id: string }>(
        {
          name: 'privacy-lock-anonymise',
          text: `SELECT id FROM beneficiaries WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL AND anonymised_at IS NULL
                  ORDER BY id FOR UPDATE`,
          values: [ids],
        },
        ex,
      ),

    /**
     * Erases what the classification says in every table holding rows about them (her record last, which is
     * also archived and marked anonymised), then purges the audit trail's copies of those columns' values.
     * Returns the rows changed per table and the audit rows purged.
     */
    async anonymise(ids: string[], actorId: string | null, ex: Executor) {
      const rows: Record<string, number> = {};
      const ordered = [...subjects.filter((s) => s.by !== 'id'), subjects[0]!];
      for (const s of ordered) {
        const q = new SqlBuilder();
        const idsRef = q.param(ids);
        let ref: string | undefined; // the pseudonym's placeholder, added only if a column needs it
        const pseudonym = () => (ref ??= q.param(PSEUDONYM));
        const set = s.erase.map((c) => `${ident(c.column_name)} = ${erasedValue(c, pseudonym)}`);
        const changed = s.erase.map((c) => `${ident(c.column_name)} IS DISTINCT FROM ${erasedValue(c, pseudonym)}`);
        if (s.by === 'id') {
          set.push(
            'anonymised_at = now()',
            "status = 'archived'",
            'archived_at = COALESCE(archived_at, now())',
            `updated_by = ${q.param(actorId)}::bigint`,
            'version = version + 1',
          );
          changed.push('true');
        }
        if (!s.erase.length && s.by !== 'id') continue;
        rows[s.table] = await db.execute(
          q.statement(
            `UPDATE ${ident(s.table)} SET ${set.join(', ')}
              WHERE ${ident(s.by)} = ANY(${idsRef}::bigint[]) AND (${changed.join(' OR ')})`,
          ),
          ex,
        );
      }
      const keys = await loadAuditKeys(ex);
      let scrubbed = 0;
      for (const s of subjects) {
        const columns = s.erase.map((c) => c.column_name);
        if (!columns.length || !keys.has(s.table)) continue;
        const q = new SqlBuilder();
        const idsRef = q.param(ids);
        const cols = q.param(columns);
        scrubbed += await db.execute(
          q.statement(
            `UPDATE audit_log a
                SET changes = (SELECT jsonb_object_agg(e.key, CASE WHEN e.key = ANY(${cols}::text[]) AND jsonb_typeof(e.value) = 'object'
                                                               THEN (SELECT jsonb_object_agg(v.key, '"[anonymised]"'::jsonb)
                                                                       FROM jsonb_each(e.value) v)
                                                               ELSE e.value END)
                                 FROM jsonb_each(a.changes) e)
              WHERE (${auditRowsOf(q, s, keys.get(s.table)!, `${idsRef}::text[]`)}) AND a.changes ?| ${cols}::text[]`,
          ),
          ex,
        );
      }
      return { rows, scrubbed, erased: subjects.flatMap((s) => s.erase.map((c) => `${s.table}.${c.column_name}`)) };
    },

    /** One audit row per person anonymised, with what and why (`details[i]` for `ids[i]`). */
    logAnonymisation: (o: { ids: string[]; actorId: string | null; details: unknown[] }, ex: Executor) =>
      db.execute(
        {
          name: 'privacy-log-anonymisation',
          text: `INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
                 SELECT 'beneficiaries', x.id::text, 'anonymise', $2, x.details
                   FROM unnest($1::bigint[], $3::jsonb[]) AS x(id, details)`,
          values: [o.ids, o.actorId, o.details.map((x) => JSON.stringify(x))],
        },
        ex,
      ),

    /**
     * Archived people not yet anonymised whose retention has ended: archived longer ago than the longest
     * retention among the purposes her data served (her projects' purposes and those she consented to; the
     * registration purpose when there are none). Keyset on id.
     */
    retentionCandidates: (o: { afterId: string; limit: number }, ex?: Executor) =>
      db.many<RetentionCandidate>(
        {
          name: 'privacy-retention-candidates',
          text: `WITH archived AS (
                   SELECT b.id, b.code, b.archived_at FROM beneficiaries b
                    WHERE b.status = 'archived' AND b.anonymised_at IS NULL AND b.deleted_at IS NULL AND b.id > $1::bigint),
                 served AS (
                   SELECT a.id, x.code FROM archived a
                     JOIN LATERAL (SELECT p.purpose_code AS code FROM enrollments e JOIN projects p ON p.id = e.project_id
                                    WHERE e.beneficiary_id = a.id
                                   UNION
                                   SELECT c.purpose_code FROM consents c WHERE c.beneficiary_id = a.id AND c.granted) x ON true),
                 purposes AS (
                   SELECT id, code FROM served
                   UNION ALL
                   SELECT a.id, $3::text FROM archived a WHERE NOT EXISTS (SELECT 1 FROM served s WHERE s.id = a.id))
                 SELECT a.id, a.code, a.archived_at,
                        jsonb_agg(jsonb_build_object('code', pp.code, 'retention_months', pp.retention_months) ORDER BY pp.code) AS purposes,
                        max(pp.retention_months) AS retention_months,
                        a.archived_at + make_interval(months => max(pp.retention_months)) AS retention_ends,
                        ARRAY(SELECT r.id::text FROM data_requests r
                               WHERE r.beneficiary_id = a.id AND r.status IN ${OPEN} ORDER BY r.id) AS open_requests
                   FROM archived a JOIN purposes x ON x.id = a.id JOIN processing_purposes pp ON pp.code = x.code
                  GROUP BY a.id, a.code, a.archived_at
                 HAVING a.archived_at + make_interval(months => max(pp.retention_months)) <= now()
                  ORDER BY a.id LIMIT $2`,
          values: [o.afterId, o.limit, REGISTRATION_PURPOSE],
        },
        ex,
      ),
  };
}

export type PrivacyRepository = ReturnType<typeof createPrivacyRepository>;
