// /privacy: the purpose catalogue, privacy notices and data-subject requests; and, per beneficiary, her consents,
// the export of everything held about her and anonymisation (docs/privacy.md).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import type { PrivacyService } from './service.js';
import * as S from './schemas.js';

const tags = ['privacy'];
const signedIn = { permission: 'authenticated' as const };
const manage = { permission: 'privacy:manage' as const };

export function privacyRoutes(app: FastifyInstance, service: PrivacyService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/privacy/purposes',
    {
      config: signedIn,
      schema: {
        tags,
        description: 'The processing purposes, each with its LGPD legal basis and retention period',
        response: { 200: S.PurposeList, ...problems(401) },
      },
    },
    async () => service.purposes(),
  );

  r.get(
    '/privacy/notices',
    {
      config: signedIn,
      schema: {
        tags,
        description: 'Every version of the privacy notice',
        response: { 200: S.NoticeList, ...problems(401) },
      },
    },
    async () => service.notices(),
  );

  r.post(
    '/privacy/notices',
    {
      config: manage,
      schema: {
        tags,
        description: 'Publishes the next version (versions are never edited)',
        body: S.PublishNoticeBody,
        response: { 201: S.Notice, ...problems(401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.publishNotice(app.requirePrincipal(req), req.body)),
  );

  r.get(
    '/beneficiaries/:id/consents',
    {
      config: { permission: 'beneficiaries:read' },
      schema: {
        tags,
        description: 'Her current consent per purpose (derived from the events) and every event',
        params: IdParam,
        response: { 200: S.ConsentState, ...problems(401, 403, 404) },
      },
    },
    async (req) => service.consents(req.params.id),
  );

  r.post(
    '/beneficiaries/:id/consents',
    {
      config: { permission: 'beneficiaries:write' },
      schema: {
        tags,
        description:
          'Records a grant (granted: true) or a revocation (granted: false) for a purpose that rests on consent. ' +
          'Events are never changed: a new event supersedes the previous one.',
        params: IdParam,
        body: S.RecordConsentBody,
        response: { 201: S.Consent, ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await service.recordConsent(app.requirePrincipal(req), req.params.id, req.body)),
  );

  r.get(
    '/privacy/requests',
    {
      config: manage,
      schema: {
        tags,
        description: 'Data-subject requests, most urgent first (by due day); overdue=true lists the late ones',
        querystring: S.ListRequestsQuery,
        response: { 200: S.DataRequestPage, ...problems(401, 403) },
      },
    },
    async (req) => service.listRequests(req.query),
  );

  r.post(
    '/privacy/requests',
    {
      config: manage,
      schema: {
        tags,
        description: 'Registers a request; the answer is due 15 days after the day of receipt (ORG_TIMEZONE)',
        body: S.CreateRequestBody,
        response: { 201: S.DataRequest, ...problems(401, 403, 409, 422) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.createRequest(app.requirePrincipal(req), req.body), 201),
  );

  r.get(
    '/privacy/requests/:id',
    {
      config: manage,
      schema: { tags, params: IdParam, response: { 200: S.DataRequest, ...problems(401, 403, 404) } },
    },
    async (req, reply) => sendVersioned(reply, await service.getRequest(req.params.id)),
  );

  r.patch(
    '/privacy/requests/:id',
    {
      config: manage,
      schema: {
        tags,
        description:
          'Progresses a request: received → in_progress → completed | refused (a refusal needs notes). ' +
          'If-Match: "<version>" or a version field (stale → 412).',
        params: IdParam,
        body: S.UpdateRequestBody,
        response: { 200: S.DataRequest, ...problems(401, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.updateRequest(app.requirePrincipal(req), req.params.id, req.body, expectedVersion(req)),
      ),
  );

  r.get(
    '/beneficiaries/:id/export',
    {
      config: manage,
      schema: {
        tags,
        description:
          'One JSON bundle of everything held about her (record, history, enrolments, participation, attendance, ' +
          'consents, requests), the audit trail of her rows and who read her sensitive data and when. The export ' +
          'is itself recorded in the audit trail (action export).',
        params: IdParam,
        response: { 200: S.DataSubjectExport, ...problems(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const bundle = await service.exportSubject(app.requirePrincipal(req), req.params.id);
      return reply
        .header('content-disposition', `attachment; filename="beneficiary-${req.params.id}-export.json"`)
        .send(bundle);
    },
  );

  r.post(
    '/beneficiaries/:id/anonymise',
    {
      config: manage,
      schema: {
        tags,
        description:
          'Irreversible. Erases her direct identifiers (or replaces them by a pseudonym) in every table, keeps what ' +
          'statistics need (birth year, city, neighbourhood, state, vulnerabilities, enrolments, attendance), purges ' +
          'the copies of her values from the audit trail, archives her record and records why. With request_id, ' +
          'completes her anonymisation or deletion request.',
        params: IdParam,
        body: S.AnonymiseBody,
        response: { 200: S.AnonymisationResult, ...problems(401, 403, 404, 409, 422) },
      },
    },
    async (req) => service.anonymise(app.requirePrincipal(req), req.params.id, req.body),
  );
}
