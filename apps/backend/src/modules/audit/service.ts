import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { AuditRepository } from './repository.js';
import type { ListAudit } from './schemas.js';

export function createAuditService(d: { repo: AuditRepository }) {
  return {
    async list(q: ListAudit) {
      const before = decodeCursor(q.cursor, ['id']);
      const rows = await d.repo.list({
        table: q.table,
        rowId: q.row_id,
        userId: q.user_id,
        action: q.action,
        from: q.from,
        to: q.to,
        beforeId: before?.[0] ?? null,
        limit: q.limit,
      });
      return toPage(rows, q.limit, (r) => [r.id]);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
