// /flags (the caller's evaluated flags) and /admin/flags (their states, settings:manage).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import { problems } from '../../platform/schemas.js';
import type { FlagsService } from './service.js';
import * as S from './schemas.js';

const tags = ['flags'];
const manage = { permission: 'settings:manage' as const };

export function flagsRoutes(app: FastifyInstance, service: FlagsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/flags',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        description: "Every feature flag's value for the caller, with the reason it has that value",
        response: { 200: S.CallerFlags, ...problems(401) },
      },
    },
    async (req) => service.evaluateAll(app.requirePrincipal(req)),
  );

  r.get(
    '/admin/flags',
    {
      config: manage,
      schema: {
        tags,
        description: 'Every flag of the registry (default, owner, expiry) with the state someone set, if any',
        response: { 200: S.AdminFlagList, ...problems(401, 403) },
      },
    },
    async () => service.list(),
  );

  r.put(
    '/admin/flags/:key',
    {
      config: manage,
      schema: {
        tags,
        description:
          "Sets a flag's state (audited). Optimistic concurrency: If-Match with the version of its state (or " +
          '`version`), 412 when it changed since. 404: not a flag of the registry; 422: unknown roles or users.',
        params: S.FlagParams,
        body: S.PutFlagBody,
        response: { 200: S.AdminFlagVersioned, ...problems(400, 401, 403, 404, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.put(app.requirePrincipal(req), req.params.key, req.body, expectedVersion(req)),
      ),
  );
}
