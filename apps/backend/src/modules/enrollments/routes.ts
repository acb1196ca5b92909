// /enrollments: a beneficiary's enrolment in a project and the decisions on it.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import type { EnrollmentsService } from './service.js';
import * as S from './schemas.js';

const tags = ['enrollments'];

export function enrollmentsRoutes(app: FastifyInstance, service: EnrollmentsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/enrollments',
    {
      config: { permission: 'enrollments:read' },
      schema: {
        tags,
        querystring: S.ListEnrollmentsQuery,
        response: { 200: S.EnrollmentPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.list(req.query, await app.reader(req)),
  );
  r.post(
    '/enrollments',
    {
      config: { permission: 'enrollments:write' },
      schema: {
        tags,
        description: 'Starts pending; one live (pending or approved) enrolment per beneficiary and project',
        body: S.CreateEnrollmentBody,
        response: { 201: S.Enrollment, ...problems(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.create(app.requirePrincipal(req), req.body), 201),
  );
  r.get(
    '/enrollments/:id',
    {
      config: { permission: 'enrollments:read' },
      schema: { tags, params: IdParam, response: { 200: S.Enrollment, ...problems(400, 401, 403, 404) } },
    },
    async (req, reply) => sendVersioned(reply, await service.get(req.params.id)),
  );
  r.post(
    '/enrollments/:id/:action',
    {
      config: { permission: 'enrollments:decide' },
      schema: {
        tags,
        description:
          'approve | reject (from pending), withdraw | complete (from approved); any other transition is 409. Records who decided and when.',
        params: S.DecisionParams,
        body: S.DecisionBody,
        response: { 200: S.Enrollment, ...problems(400, 401, 403, 404, 409, 412) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.decide(
          app.requirePrincipal(req),
          req.params.id,
          req.params.action,
          req.body?.note ?? null,
          expectedVersion(req),
        ),
      ),
  );
}
