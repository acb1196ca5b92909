// /admin/database and /system (permission ops:read): database insight and what is running, for operators.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/schemas.js';
import type { OpsService } from './service.js';
import * as S from './schemas.js';

export function opsRoutes(app: FastifyInstance, service: OpsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/admin/database',
    {
      config: { permission: 'ops:read' },
      schema: {
        tags: ['ops'],
        description:
          'Size, largest tables and indexes, unused indexes, cache hit ratio, connections, long-running queries and top statements (pg_stat_statements)',
        querystring: S.DatabaseInsightQuery,
        response: { 200: S.DatabaseInsight, ...problems(400, 401, 403, 503) },
      },
    },
    async (req) => service.databaseInsight(req.query),
  );

  r.get(
    '/system',
    {
      config: { permission: 'ops:read' },
      schema: {
        tags: ['ops'],
        description:
          'Version, git commit, build time, uptime, time zones, Node and PostgreSQL versions, the schema version ' +
          '(last migration applied) and the rows of each main table',
        response: { 200: S.SystemInfo, ...problems(401, 403) },
      },
    },
    async () => service.system(),
  );
}
