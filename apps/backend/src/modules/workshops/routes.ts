// /workshops and /workshops/:id/participants.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, NoContent, problems } from '../../platform/schemas.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import type { WorkshopsService } from './service.js';
import * as S from './schemas.js';

const tags = ['workshops'];
const read = { permission: 'workshops:read' as const };
const write = { permission: 'workshops:write' as const };

export function workshopsRoutes(app: FastifyInstance, service: WorkshopsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/workshops',
    {
      config: read,
      schema: {
        tags,
        querystring: S.ListWorkshopsQuery,
        response: { 200: S.WorkshopPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.list(req.query, await app.reader(req)),
  );
  r.post(
    '/workshops',
    {
      config: write,
      schema: {
        tags,
        description:
          "Dates inside the project's; weekdays ISO (1 = Monday ... 7 = Sunday); a facilitator cannot hold two overlapping workshops (409 naming the other)",
        body: S.CreateWorkshopBody,
        response: { 201: S.Workshop, ...problems(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.create(app.requirePrincipal(req), req.body), 201),
  );
  r.get(
    '/workshops/:id',
    { config: read, schema: { tags, params: IdParam, response: { 200: S.Workshop, ...problems(400, 401, 403, 404) } } },
    async (req, reply) => sendVersioned(reply, await service.get(req.params.id)),
  );
  r.patch(
    '/workshops/:id',
    {
      config: write,
      schema: {
        tags,
        params: IdParam,
        body: S.UpdateWorkshopBody,
        response: { 200: S.Workshop, ...problems(400, 401, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.update(app.requirePrincipal(req), req.params.id, req.body, expectedVersion(req)),
      ),
  );

  r.get(
    '/workshops/:id/participants',
    {
      config: read,
      schema: {
        tags,
        params: IdParam,
        querystring: S.ListParticipantsQuery,
        response: { 200: S.ParticipantPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.participants(req.params.id, req.query, await app.reader(req)),
  );
  r.post(
    '/workshops/:id/participants',
    {
      config: write,
      schema: {
        tags,
        description:
          "Only beneficiaries with an approved enrolment in the workshop's project (422); never beyond capacity (409 workshop_full)",
        params: IdParam,
        body: S.AddParticipantBody,
        response: { 201: S.Participant, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await service.addParticipant(app.requirePrincipal(req), req.params.id, req.body.beneficiary_id)),
  );
  r.delete(
    '/workshops/:id/participants/:beneficiaryId',
    {
      config: write,
      schema: { tags, params: S.ParticipantParams, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409) } },
    },
    async (req, reply) => {
      await service.removeParticipant(app.requirePrincipal(req), req.params.id, req.params.beneficiaryId);
      return reply.code(204).send();
    },
  );
}
