// /users: staff accounts (permission users:manage). There is no public sign-up. A manager acts only on users
// whose role (before and after the change) holds nothing the manager lacks (403).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import type { UsersService } from './service.js';
import * as S from './schemas.js';

const tags = ['users'];
const config = { permission: 'users:manage' as const };

export function usersRoutes(app: FastifyInstance, service: UsersService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/users',
    {
      config,
      schema: { tags, querystring: S.ListUsersQuery, response: { 200: S.UserPage, ...problems(400, 401, 403) } },
    },
    async (req) => service.list(req.query, await app.reader(req)),
  );

  r.post(
    '/users',
    {
      config,
      schema: { tags, body: S.CreateUserBody, response: { 201: S.User, ...problems(400, 401, 403, 409, 422) } },
    },
    async (req, reply) => reply.code(201).send(await service.create(app.requirePrincipal(req), req.body)),
  );

  r.get(
    '/users/:id',
    { config, schema: { tags, params: IdParam, response: { 200: S.User, ...problems(400, 401, 403, 404) } } },
    async (req) => service.get(req.params.id),
  );

  r.patch(
    '/users/:id',
    {
      config,
      schema: {
        tags,
        description:
          'A role change ends the sessions of the user. 409 last_administrator when no active user would hold both ' +
          'users:manage and roles:manage.',
        params: IdParam,
        body: S.UpdateUserBody,
        response: { 200: S.User, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req) => service.update(app.requirePrincipal(req), req.params.id, req.body),
  );

  r.post(
    '/users/:id/deactivate',
    {
      config,
      schema: {
        tags,
        description:
          'Deactivates the account and ends all its sessions at once. 409 self_deactivation for your own account, ' +
          '409 last_administrator when no active user would hold both users:manage and roles:manage.',
        params: IdParam,
        response: { 200: S.User, ...problems(401, 403, 404, 409) },
      },
    },
    async (req) => service.setActive(app.requirePrincipal(req), req.params.id, false),
  );

  r.post(
    '/users/:id/activate',
    { config, schema: { tags, params: IdParam, response: { 200: S.User, ...problems(401, 403, 404) } } },
    async (req) => service.setActive(app.requirePrincipal(req), req.params.id, true),
  );
}
