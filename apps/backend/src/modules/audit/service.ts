import { badRequest } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { AuditRepository } from './repository.js';
import type { ListAudit } from './schemas.js';

export function createAuditService(d: { repo: AuditRepository }) {
  return {
    async list(q: ListAudit) {
      const before = decodeCursor(q.cursor, 1);
      if (before && !/^[0-9]{1,18}$/.test(String(before[0])))
        throw badRequest('The cursor is malformed', [
          { path: 'querystring.cursor', message: 'is not a cursor returned by this API' },
        ]);
      const rows = await d.repo.list({
        table: q.table,
        rowId: q.row_id,
        userId: q.user_id,
        action: q.action,
        from: q.from,
        to: q.to,
        beforeId: before ? String(before[0]) : null,
        limit: q.limit,
      });
      return toPage(rows, q.limit, (r) => [r.id]);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
