// SQL for beneficiaries and the vulnerability catalogue.
import pg from 'pg';
import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import type { Classification } from '../../platform/sensitive-data.js';
import {
  MASKABLE_FIELDS,
  RECORD_COLUMNS,
  WRITABLE_COLUMNS,
  type Beneficiary,
  type BeneficiaryListItem,
} from './schemas.js';

// Identifiers come from this file's literals, or are quoted here (`ident`) when they come from the platform's
// classification or the schema's columns. Values always travel as placeholders.
const ident = (name: string) => pg.escapeIdentifier(name);

const VULNERABILITIES_OF = `COALESCE((SELECT json_agg(json_build_object('id', v.id::text, 'code', v.code, 'name', v.name) ORDER BY v.name, v.id)
    FROM beneficiary_vulnerabilities bv JOIN vulnerabilities v ON v.id = bv.vulnerability_id
   WHERE bv.beneficiary_id = b.id), '[]'::json) AS vulnerabilities`;
const ENROLLMENTS_OF = `COALESCE((SELECT json_agg(json_build_object('id', e.id::text, 'project_id', p.id::text, 'project_name', p.name,
           'status', e.status, 'created_at', e.created_at, 'decided_at', e.decided_at) ORDER BY e.id DESC)
    FROM enrollments e JOIN projects p ON p.id = e.project_id
   WHERE e.beneficiary_id = b.id), '[]'::json) AS enrollments`;

export type BeneficiaryRow = Static<typeof Beneficiary>;
type ListRow = Static<typeof BeneficiaryListItem>;

/** Columns a PATCH may set: the whitelist that turns body keys into SQL identifiers. */
export const UPDATABLE_COLUMNS: ReadonlySet<string> = new Set([...WRITABLE_COLUMNS, 'status', 'status_reason']);

export type SortKey = 'name' | '-name' | 'created_at' | '-created_at';
/** Sort whitelist: ORDER BY, the keyset comparison, the cursor's sort value. Never built from input. */
const SORTS: Record<SortKey, { order: string; after: (a: string, b: string) => string; key: string }> = {
  name: {
    order: 'b.full_name ASC, b.id ASC',
    after: (a, i) => `(b.full_name, b.id) > (${a}::text, ${i}::bigint)`,
    key: 'b.full_name',
  },
  '-name': {
    order: 'b.full_name DESC, b.id DESC',
    after: (a, i) => `(b.full_name, b.id) < (${a}::text, ${i}::bigint)`,
    key: 'b.full_name',
  },
  created_at: {
    order: 'b.created_at ASC, b.id ASC',
    after: (a, i) => `(b.created_at, b.id) > (${a}::timestamptz, ${i}::bigint)`,
    key: `to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  },
  '-created_at': {
    order: 'b.created_at DESC, b.id DESC',
    after: (a, i) => `(b.created_at, b.id) < (${a}::timestamptz, ${i}::bigint)`,
    key: `to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  },
};

export interface ListFilter {
  status?: string;
  neighbourhood?: string;
  projectId?: string;
  createdFrom?: string;
  createdTo?: string;
  timezone: string;
}

/** The list filters; `b.status <> 'archived'` unless a status is asked for. */
function filtered(f: ListFilter, q = new SqlBuilder()): SqlBuilder {
  q.where('b.deleted_at IS NULL');
  if (!f.status) q.where(`b.status <> 'archived'`);
  return (
    q
      .filter('status', f.status, (v) => `b.status = ${v}`)
      .filter(
        'neighbourhood',
        f.neighbourhood,
        (v) => `lower(immutable_unaccent(b.address_neighbourhood)) = lower(immutable_unaccent(${v}::text))`,
      )
      .filter(
        'project',
        f.projectId,
        (v) => `EXISTS (SELECT 1 FROM enrollments e WHERE e.beneficiary_id = b.id AND e.project_id = ${v}::bigint
                         AND e.status IN ('pending', 'approved', 'completed'))`,
      )
      // Calendar days in the organisation's zone: [from 00:00 local, to + 1 day 00:00 local).
      .filter(
        'from',
        f.createdFrom,
        (v) => `b.created_at >= (${v}::date::timestamp AT TIME ZONE ${q.param(f.timezone)}::text)`,
      )
      .filter(
        'to',
        f.createdTo,
        (v) => `b.created_at < ((${v}::date + 1)::timestamp AT TIME ZONE ${q.param(f.timezone)}::text)`,
      )
  );
}

/** Every writable column ($1..$n, absent ones NULL; dependents defaults to 0), then the acting user. */
const INSERT = {
  name: 'beneficiaries-insert',
  text: `INSERT INTO beneficiaries (${WRITABLE_COLUMNS.map(ident).join(', ')}, created_by, updated_by)
         VALUES (${WRITABLE_COLUMNS.map((c, i) => (c === 'dependents' ? `COALESCE($${i + 1}, 0)` : `$${i + 1}`)).join(', ')},
                 $${WRITABLE_COLUMNS.length + 1}, $${WRITABLE_COLUMNS.length + 1})
         RETURNING id`,
};

/** Word-similarity threshold for `<%` (default 0.6 misses one-letter typos in short names), this transaction only. */
export const SEARCH_THRESHOLD = {
  name: 'trgm-threshold',
  text: "SELECT set_config('pg_trgm.word_similarity_threshold', '0.45', true)",
};

export interface SearchText {
  text: string;
  /** B-000123 when the query is a code, for an exact match. */
  code: string | null;
}

/**
 * The statements whose column lists follow the classification: a column classified sensitive is selected only
 * by the statement for holders of beneficiaries:read_sensitive (masking is not a filter on the output: the other
 * statements do not select it). Built once when the module starts; exported for the benchmark (same SQL over
 * the raw pool).
 */
export function beneficiaryStatements(classification: Classification) {
  const sensitive = new Set(classification.named('beneficiaries', 'sensitive'));
  const required = [...sensitive].filter((c) => !MASKABLE_FIELDS.has(c));
  if (required.length)
    throw new Error(
      `beneficiaries.${required.join(', ')} classified sensitive, but the response schema requires it: make it optional in modules/beneficiaries/schemas.ts`,
    );
  const vulnerabilitiesMasked = classification.isSensitive('beneficiary_vulnerabilities', 'vulnerability_id');
  /** What a sensitive read reveals, recorded with each read. */
  const sensitiveFields = [
    ...RECORD_COLUMNS.filter((c) => sensitive.has(c)),
    ...(vulnerabilitiesMasked ? ['vulnerabilities'] : []),
  ];
  const list = (cols: string[], alias: string) => cols.map((c) => `${alias}.${ident(c)}`).join(', ');
  const visible = RECORD_COLUMNS.filter((c) => !sensitive.has(c));
  const masked = RECORD_COLUMNS.filter((c) => sensitive.has(c));
  const PUBLIC_COLUMNS = list(visible, 'b');

  /** The ranked page around a scored inner query: keyset on [score, id], one row more than the page. */
  function rankedPage(sql: SqlBuilder, inner: string, after: [number, string] | null, limit: number) {
    let afterSql = '';
    if (after) {
      const sRef = sql.param(after[0]);
      afterSql = `WHERE (s.score < ${sRef}::real OR (s.score = ${sRef}::real AND s.id > ${sql.param(after[1])}::bigint))`;
    }
    return `SELECT ${list(visible, 's')}, s.score FROM (${inner}) AS s ${afterSql}
            ORDER BY s.score DESC, s.id ASC LIMIT ${sql.param(limit + 1)}`;
  }

  return {
    sensitiveFields,

    /** GET of one record without sensitive data ($1 id). */
    getPublic: {
      name: 'beneficiaries-get',
      text: `SELECT ${PUBLIC_COLUMNS}${vulnerabilitiesMasked ? '' : `, ${VULNERABILITIES_OF}`}, ${ENROLLMENTS_OF}
               FROM beneficiaries b WHERE b.id = $1 AND b.deleted_at IS NULL`,
    },
    /** GET with sensitive data ($1 id, $2 actor): the read_sensitive audit row is written by the same statement. */
    getSensitive: {
      name: 'beneficiaries-get-sensitive',
      text: `WITH found AS (SELECT b.id FROM beneficiaries b WHERE b.id = $1 AND b.deleted_at IS NULL),
                  logged AS (INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
                             SELECT 'beneficiaries', found.id::text, 'read_sensitive', $2::bigint,
                                    jsonb_build_object('fields', $3::text[])
                               FROM found)
             SELECT ${PUBLIC_COLUMNS}${masked.length ? `, ${list(masked, 'b')}` : ''}, ${VULNERABILITIES_OF}, ${ENROLLMENTS_OF}
               FROM beneficiaries b JOIN found ON found.id = b.id`,
    },

    /** A keyset page: limit + 1 rows after the cursor's (sort value, id). */
    list(f: ListFilter, sort: SortKey, after: [string, string] | null, limit: number) {
      const s = SORTS[sort];
      const q = filtered(f);
      if (after) q.where(s.after(q.param(after[0]), q.param(after[1])));
      return q.statement(`SELECT ${PUBLIC_COLUMNS}, ${s.key} AS sort_value FROM beneficiaries b
                          ${q.whereClause()} ORDER BY ${s.order} LIMIT ${q.param(limit + 1)}`);
    },

    /**
     * Search: word similarity of the query to the unaccented name or social name (typos tolerated; the trigram
     * GIN indexes serve `<%`), or an exact code (score 1). Ranked by score, then id; the keyset cursor is
     * [score, id]. Run after SEARCH_THRESHOLD in the same transaction. CPF and NIS are looked up by lookup,
     * never here.
     */
    search(q: SearchText, f: ListFilter, after: [number, string] | null, limit: number) {
      const sql = new SqlBuilder();
      const qRef = sql.param(q.text);
      filtered(f, sql);
      const cRef = sql.param(q.code);
      const score = `CASE WHEN b.code = ${cRef}::text THEN 1::real
                      ELSE greatest(word_similarity(immutable_unaccent(${qRef}::text), immutable_unaccent(b.full_name)),
                                    coalesce(word_similarity(immutable_unaccent(${qRef}::text), immutable_unaccent(b.social_name)), 0)) END`;
      sql.where(`(immutable_unaccent(${qRef}::text) <% immutable_unaccent(b.full_name)
                   OR immutable_unaccent(${qRef}::text) <% immutable_unaccent(b.social_name)
                   OR b.code = ${cRef}::text)`);
      const inner = `SELECT ${PUBLIC_COLUMNS}, ${score} AS score FROM beneficiaries b ${sql.whereClause()}`;
      return sql.statement(rankedPage(sql, inner, after, limit));
    },

    /**
     * Lookup by CPF or NIS (11 digits): exact matches (score 1), listed like a search. Finding out whose CPF or
     * NIS it is counts as reading it, so the same statement writes a read_sensitive audit row per beneficiary
     * the page returns, or one row with row_id '-' when nobody matched (the lookup itself is recorded).
     */
    lookup(digits: string, f: ListFilter, after: [number, string] | null, limit: number, actorId: string) {
      const sql = new SqlBuilder();
      const dRef = sql.param(digits);
      filtered(f, sql).where(`(b.cpf = ${dRef}::text OR b.nis = ${dRef}::text)`);
      const inner = `SELECT ${PUBLIC_COLUMNS}, 1::real AS score FROM beneficiaries b ${sql.whereClause()}`;
      const actor = sql.param(actorId);
      return sql.statement(`WITH hits AS (${rankedPage(sql, inner, after, limit)}),
                         logged AS (INSERT INTO audit_log (table_name, row_id, action, user_id, changes)
                                    SELECT 'beneficiaries', h.id::text, 'read_sensitive', ${actor}::bigint, '{"lookup": "cpf_or_nis"}'::jsonb
                                      FROM hits h
                                    UNION ALL
                                    SELECT 'beneficiaries', '-', 'read_sensitive', ${actor}::bigint, '{"lookup": "cpf_or_nis", "matches": 0}'::jsonb
                                     WHERE NOT EXISTS (SELECT 1 FROM hits))
                    SELECT * FROM hits ORDER BY score DESC, id ASC`);
    },
  };
}

export interface VulnerabilityRow {
  id: string;
  code: string;
  name: string;
  description: string;
  active: boolean;
}

export type BeneficiaryStatements = ReturnType<typeof beneficiaryStatements>;

export function createBeneficiariesRepository(db: Db, classification: Classification) {
  const st = beneficiaryStatements(classification);
  return {
    /** What a sensitive read reveals (recorded with each read); named in the API's description. */
    sensitiveFields: st.sensitiveFields,

    /** The record; with sensitive columns and vulnerabilities when `sensitive`, which also logs the read. */
    get: (id: string, o: { sensitive: boolean; actorId: string }, ex?: Executor) =>
      db.maybeOne<BeneficiaryRow>(
        o.sensitive
          ? { ...st.getSensitive, values: [id, o.actorId, st.sensitiveFields] }
          : { ...st.getPublic, values: [id] },
        ex,
      ),

    /** State needed to decide on a write: existence, version, status. Row-locked inside a transaction. */
    lockState: (id: string, ex: Executor) =>
      db.maybeOne<{ id: string; version: number; status: string; anonymised: boolean }>(
        {
          name: 'beneficiaries-lock',
          text: `SELECT id, version, status, anonymised_at IS NOT NULL AS anonymised
                   FROM beneficiaries WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
          values: [id],
        },
        ex,
      ),

    insert: (v: Record<string, unknown>, actorId: string, ex: Executor) =>
      db.one<{ id: string }>({ ...INSERT, values: [...WRITABLE_COLUMNS.map((c) => v[c] ?? null), actorId] }, ex),

    /** Sets the given columns (keys checked against UPDATABLE_COLUMNS) and bumps the version. */
    update: (id: string, set: Record<string, unknown>, actorId: string, ex: Executor) => {
      const q = new SqlBuilder();
      const idRef = q.param(id);
      const assignments = Object.entries(set).map(([col, value]) => {
        if (!UPDATABLE_COLUMNS.has(col)) throw new Error(`column ${col} is not updatable`);
        return `${ident(col)} = ${q.param(value)}`;
      });
      assignments.push(`updated_by = ${q.param(actorId)}`, 'version = version + 1');
      return db.one<{ id: string; version: number }>(
        q.statement(`UPDATE beneficiaries SET ${assignments.join(', ')} WHERE id = ${idRef} RETURNING id, version`),
        ex,
      );
    },

    setArchived: (id: string, archived: boolean, reason: string | null, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'beneficiaries-set-archived',
          text: `UPDATE beneficiaries
                    SET status = CASE WHEN $2 THEN 'archived' ELSE 'active' END,
                        archived_at = CASE WHEN $2 THEN now() END,
                        status_reason = $3, updated_by = $4, version = version + 1
                  WHERE id = $1 RETURNING id`,
          values: [id, archived, reason, actorId],
        },
        ex,
      ),

    replaceVulnerabilities: async (id: string, vulnerabilityIds: string[], actorId: string, ex: Executor) => {
      await db.execute(
        {
          name: 'beneficiary-vulnerabilities-prune',
          text: 'DELETE FROM beneficiary_vulnerabilities WHERE beneficiary_id = $1 AND vulnerability_id <> ALL($2::bigint[])',
          values: [id, vulnerabilityIds],
        },
        ex,
      );
      await db.execute(
        {
          name: 'beneficiary-vulnerabilities-add',
          text: `INSERT INTO beneficiary_vulnerabilities (beneficiary_id, vulnerability_id, created_by)
                 SELECT $1, unnest($2::bigint[]), $3 ON CONFLICT DO NOTHING`,
          values: [id, vulnerabilityIds, actorId],
        },
        ex,
      );
    },

    list: (f: ListFilter, sort: SortKey, after: [string, string] | null, limit: number, ex?: Executor) =>
      db.many<ListRow & { sort_value: string }>(st.list(f, sort, after, limit), ex),

    /**
     * Search by name, social name or code (see beneficiaryStatements). The threshold is set for this transaction
     * only.
     */
    search: async (q: SearchText, f: ListFilter, after: [number, string] | null, limit: number, reader?: Executor) =>
      db.transaction(
        async (tx) => {
          await db.execute(SEARCH_THRESHOLD, tx);
          return db.many<ListRow & { score: number }>(st.search(q, f, after, limit), tx);
        },
        { readOnly: true, reader },
      ),

    /** CPF/NIS lookup; writes its audit rows in the same statement (see beneficiaryStatements). */
    lookup: (digits: string, f: ListFilter, after: [number, string] | null, limit: number, actorId: string) =>
      db.many<ListRow & { score: number }>(st.lookup(digits, f, after, limit, actorId)),

    listVulnerabilities: (ex?: Executor) =>
      db.many<VulnerabilityRow>(
        {
          name: 'vulnerabilities-list',
          text: 'SELECT id, code, name, description, active FROM vulnerabilities ORDER BY name, id',
        },
        ex,
      ),
  };
}

export type BeneficiariesRepository = ReturnType<typeof createBeneficiariesRepository>;
