// SQL for reading the audit trail (written by the audit_row_change() triggers and by sensitive reads).
import type { Static } from '@sinclair/typebox';
import type { Db, Executor } from '../../platform/db.js';
import type { AuditEntry } from './schemas.js';

export function createAuditRepository(db: Db) {
  return {
    /** Newest first, keyset on id (ids grow with time). */
    list: (
      o: {
        table?: string;
        rowId?: string;
        userId?: string;
        action?: string;
        from?: string;
        to?: string;
        beforeId: string | null;
        limit: number;
      },
      ex?: Executor,
    ) =>
      db.many<Static<typeof AuditEntry>>(
        {
          name: 'audit-list',
          text: `SELECT id, table_name, row_id, action, user_id, changes, occurred_at FROM audit_log
                  WHERE ($1::text IS NULL OR table_name = $1) AND ($2::text IS NULL OR row_id = $2)
                    AND ($3::bigint IS NULL OR user_id = $3) AND ($4::text IS NULL OR action = $4)
                    AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at < $6)
                    AND ($7::bigint IS NULL OR id < $7)
                  ORDER BY id DESC LIMIT $8`,
          values: [
            o.table ?? null,
            o.rowId ?? null,
            o.userId ?? null,
            o.action ?? null,
            o.from ?? null,
            o.to ?? null,
            o.beforeId,
            o.limit + 1,
          ],
        },
        ex,
      ),
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
