// /roles and /permissions.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problems } from '../../platform/schemas.js';
import type { AccessService } from './service.js';
import * as S from './schemas.js';

const tags = ['roles'];
const read = { permission: 'roles:read' as const };
const manage = { permission: 'roles:manage' as const };

export function accessRoutes(app: FastifyInstance, service: AccessService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/roles',
    {
      config: read,
      schema: { tags, response: { 200: Type.Object({ data: Type.Array(S.Role) }), ...problems(401, 403) } },
    },
    async () => ({
      data: await service.listRoles(),
    }),
  );

  r.get(
    '/roles/:name',
    {
      config: read,
      schema: { tags, params: S.RoleParams, response: { 200: S.Role, ...problems(400, 401, 403, 404) } },
    },
    async (req) => service.getRole(req.params.name),
  );

  r.post(
    '/roles',
    {
      config: manage,
      schema: { tags, body: S.CreateRoleBody, response: { 201: S.Role, ...problems(400, 401, 403, 409, 422) } },
    },
    async (req, reply) => reply.code(201).send(await service.createRole(app.requirePrincipal(req), req.body)),
  );

  r.put(
    '/roles/:name/permissions',
    {
      config: manage,
      schema: {
        tags,
        description:
          "Replaces the role's whole permission set. Only someone holding every permission of the role, before and " +
          'after, may do so (403). 409 last_administrator when no active user would hold both users:manage and roles:manage.',
        params: S.RoleParams,
        body: S.ReplacePermissionsBody,
        response: { 200: S.Role, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req) => service.replacePermissions(app.requirePrincipal(req), req.params.name, req.body.permissions),
  );

  r.get(
    '/permissions',
    { config: read, schema: { tags, response: { 200: S.PermissionList, ...problems(401, 403) } } },
    async () => ({
      data: await service.listPermissions(),
    }),
  );
}
