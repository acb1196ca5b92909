// SQL for reading the audit trail (written by the audit_row_change() triggers and by sensitive reads).
import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import type { AuditEntry } from './schemas.js';

export interface AuditFilter {
  table?: string;
  rowId?: string;
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
  beforeId: string | null;
  limit: number;
}

/** Newest first, keyset on id (ids grow with time); only the filters given reach the SQL. */
export function auditListStatement(o: AuditFilter) {
  const q = new SqlBuilder()
    .filter('table', o.table, (v) => `table_name = ${v}`)
    .filter('row', o.rowId, (v) => `row_id = ${v}`)
    .filter('user', o.userId, (v) => `user_id = ${v}::bigint`)
    .filter('action', o.action, (v) => `action = ${v}`)
    .filter('from', o.from, (v) => `occurred_at >= ${v}::timestamptz`)
    .filter('to', o.to, (v) => `occurred_at < ${v}::timestamptz`)
    .filter('before', o.beforeId, (v) => `id < ${v}::bigint`);
  return q.statement(
    `SELECT id, table_name, row_id, action, user_id, changes, occurred_at FROM audit_log
      ${q.whereClause()} ORDER BY id DESC LIMIT ${q.param(o.limit + 1)}`,
    'audit-list',
  );
}

export function createAuditRepository(db: Db) {
  return {
    list: (o: AuditFilter, ex?: Executor) => db.many<Static<typeof AuditEntry>>(auditListStatement(o), ex),
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
