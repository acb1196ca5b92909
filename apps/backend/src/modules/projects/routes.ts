// /projects: the programmes the organisation runs.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import type { ProjectsService } from './service.js';
import * as S from './schemas.js';

const tags = ['projects'];
const read = { permission: 'projects:read' as const };
const write = { permission: 'projects:write' as const };

export function projectsRoutes(app: FastifyInstance, service: ProjectsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/projects',
    {
      config: read,
      schema: { tags, querystring: S.ListProjectsQuery, response: { 200: S.ProjectPage, ...problems(400, 401, 403) } },
    },
    async (req) => service.list(req.query, await app.reader(req)),
  );
  r.post(
    '/projects',
    {
      config: write,
      schema: { tags, body: S.CreateProjectBody, response: { 201: S.Project, ...problems(400, 401, 403, 409, 422) } },
    },
    async (req, reply) => sendVersioned(reply, await service.create(app.requirePrincipal(req), req.body), 201),
  );
  r.get(
    '/projects/:id',
    { config: read, schema: { tags, params: IdParam, response: { 200: S.Project, ...problems(400, 401, 403, 404) } } },
    async (req, reply) => sendVersioned(reply, await service.get(req.params.id)),
  );
  r.patch(
    '/projects/:id',
    {
      config: write,
      schema: {
        tags,
        description: 'Partial update; If-Match: "<version>" or a version field (stale → 412)',
        params: IdParam,
        body: S.UpdateProjectBody,
        response: { 200: S.Project, ...problems(400, 401, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.update(app.requirePrincipal(req), req.params.id, req.body, expectedVersion(req)),
      ),
  );
}
