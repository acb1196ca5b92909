import type { Executor } from '../../platform/db.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { AuditRepository } from './repository.js';
import type { ListAudit } from './schemas.js';

export function createAuditService(d: { repo: AuditRepository }) {
  return {
    /** `reader`: where the list runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async list(q: ListAudit, reader?: Executor) {
      const before = decodeCursor(q.cursor, ['id']);
      const rows = await d.repo.list(
        {
          table: q.table,
          rowId: q.row_id,
          userId: q.user_id,
          action: q.action,
          from: q.from,
          to: q.to,
          beforeId: before?.[0] ?? null,
          limit: q.limit,
        },
        reader,
      );
      return toPage(rows, q.limit, (r) => [r.id]);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
