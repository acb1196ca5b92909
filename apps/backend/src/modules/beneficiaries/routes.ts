// /beneficiaries: the people the organisation follows. Sensitive fields only for beneficiaries:read_sensitive.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import type { BeneficiariesService } from './service.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import * as S from './schemas.js';

const tags = ['beneficiaries'];
const read = { permission: 'beneficiaries:read' as const };
const write = { permission: 'beneficiaries:write' as const };
const archive = { permission: 'beneficiaries:archive' as const };

export function beneficiariesRoutes(app: FastifyInstance, service: BeneficiariesService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // Named from the column classification the app loaded (what is masked follows it).
  const masking =
    `${service.sensitiveFields.join(', ')} are present only for holders of beneficiaries:read_sensitive ` +
    '(columns classified sensitive); each such read is recorded in the audit trail (action read_sensitive).';

  r.get(
    '/beneficiaries',
    {
      config: read,
      schema: {
        tags,
        description:
          'Keyset-paginated list (archived records only with status=archived). Sensitive fields are never listed.',
        querystring: S.ListBeneficiariesQuery,
        response: { 200: S.BeneficiaryPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.list(app.requirePrincipal(req), req.query, await app.reader(req)),
  );

  r.post(
    '/beneficiaries',
    {
      config: write,
      schema: {
        tags,
        description: masking,
        body: S.CreateBeneficiaryBody,
        response: { 201: S.Beneficiary, ...problems(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.create(app.requirePrincipal(req), req.body), 201),
  );

  r.get(
    '/beneficiaries/:id',
    {
      config: read,
      schema: {
        tags,
        description: masking,
        params: IdParam,
        response: { 200: S.Beneficiary, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.get(app.requirePrincipal(req), req.params.id)),
  );

  r.patch(
    '/beneficiaries/:id',
    {
      config: write,
      schema: {
        tags,
        description: `Partial update. Send If-Match: "<version>" or a version field: a stale one is a 412. ${masking}`,
        params: IdParam,
        body: S.UpdateBeneficiaryBody,
        response: { 200: S.Beneficiary, ...problems(400, 401, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) => {
      const version = expectedVersion(req);
      return sendVersioned(reply, await service.update(app.requirePrincipal(req), req.params.id, req.body, version));
    },
  );

  r.post(
    '/beneficiaries/:id/archive',
    {
      config: archive,
      schema: {
        tags,
        description: 'Archives with a reason; archived records leave default lists',
        params: IdParam,
        body: S.ArchiveBody,
        response: { 200: S.Beneficiary, ...problems(400, 401, 403, 404, 409, 412) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.archive(app.requirePrincipal(req), req.params.id, req.body.reason, expectedVersion(req)),
      ),
  );

  r.post(
    '/beneficiaries/:id/restore',
    {
      config: archive,
      schema: {
        tags,
        params: IdParam,
        body: S.RestoreBody,
        response: { 200: S.Beneficiary, ...problems(400, 401, 403, 404, 409, 412) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.restore(app.requirePrincipal(req), req.params.id, req.body.reason ?? null, expectedVersion(req)),
      ),
  );

  r.get(
    '/vulnerabilities',
    {
      config: read,
      schema: {
        tags,
        description: 'The vulnerability catalogue (codes used by beneficiaries.vulnerabilities)',
        response: { 200: S.VulnerabilityList, ...problems(401, 403) },
      },
    },
    async () => service.vulnerabilities(),
  );
}
