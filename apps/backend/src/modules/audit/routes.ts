// /audit: the audit trail (permission audit:read).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/schemas.js';
import type { AuditService } from './service.js';
import * as S from './schemas.js';

export function auditRoutes(app: FastifyInstance, service: AuditService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        description:
          'Every insert, update and delete on business tables, and every read of sensitive beneficiary data; newest first',
        querystring: S.ListAuditQuery,
        response: { 200: S.AuditPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.list(req.query, await app.reader(req)),
  );
}
