import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';

export const AuditEntry = Type.Object({
  id: Type.String(),
  table_name: Type.String(),
  row_id: Type.String(),
  action: Type.String(),
  user_id: Nullable(Type.String()),
  changes: Type.Unknown({
    description:
      '{ column: { old, new } }; sensitive values appear as "[redacted]", those of an anonymised person as "[anonymised]"',
  }),
  occurred_at: Timestamp,
});
export const AuditPage = Page(AuditEntry);

export const ListAuditQuery = Type.Object(
  {
    ...PageQuery,
    table: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
    row_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'id, or key values joined by ":" for link tables' }),
    ),
    user_id: Type.Optional(Id),
    action: Type.Optional(
      Type.Union(['insert', 'update', 'delete', 'read_sensitive', 'export', 'anonymise'].map((a) => Type.Literal(a))),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'occurred_at ≥ from' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'occurred_at < to' })),
  },
  { additionalProperties: false },
);
export type ListAudit = Static<typeof ListAuditQuery>;
