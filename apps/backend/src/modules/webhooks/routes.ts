// /webhooks (integrations:manage): subscriptions, their deliveries, pings, retries, secret rotation.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, NoContent, problems } from '../../platform/schemas.js';
import { expectedVersion, sendVersioned } from '../../platform/http.js';
import type { WebhooksService } from './service.js';
import * as S from './schemas.js';

const tags = ['webhooks'];
const manage = { permission: 'integrations:manage' as const };

export function webhooksRoutes(app: FastifyInstance, service: WebhooksService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/webhooks',
    {
      config: manage,
      schema: {
        tags,
        description: 'Subscribes a URL to topics; the answer holds the signing secret, shown this once',
        body: S.CreateWebhookBody,
        response: { 201: S.WebhookWithSecret, ...problems(400, 401, 403, 422, 503) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.create(app.requirePrincipal(req), req.body), 201),
  );
  r.get(
    '/webhooks',
    {
      config: manage,
      schema: { tags, querystring: S.ListWebhooksQuery, response: { 200: S.WebhookPage, ...problems(400, 401, 403) } },
    },
    async (req) => service.list(req.query),
  );
  r.get(
    '/webhooks/:id',
    {
      config: manage,
      schema: { tags, params: IdParam, response: { 200: S.Webhook, ...problems(400, 401, 403, 404) } },
    },
    async (req, reply) => sendVersioned(reply, await service.get(req.params.id)),
  );
  r.patch(
    '/webhooks/:id',
    {
      config: manage,
      schema: {
        tags,
        description:
          'Changes the URL, topics or description, or disables (status: disabled) and enables it; If-Match: "<version>" or a version field (stale → 412)',
        params: IdParam,
        body: S.UpdateWebhookBody,
        response: { 200: S.Webhook, ...problems(400, 401, 403, 404, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(
        reply,
        await service.update(app.requirePrincipal(req), req.params.id, req.body, expectedVersion(req)),
      ),
  );
  r.delete(
    '/webhooks/:id',
    {
      config: manage,
      schema: {
        tags,
        description: 'Deletes the subscription and its deliveries',
        params: IdParam,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(app.requirePrincipal(req), req.params.id);
      return reply.code(204).send();
    },
  );
  r.post(
    '/webhooks/:id/rotate-secret',
    {
      config: manage,
      schema: {
        tags,
        description:
          'A new signing secret, shown this once; the previous one keeps signing for 24 h (both signatures are sent)',
        params: IdParam,
        response: { 200: S.WebhookWithSecret, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => sendVersioned(reply, await service.rotateSecret(app.requirePrincipal(req), req.params.id)),
  );
  r.get(
    '/webhooks/:id/deliveries',
    {
      config: manage,
      schema: {
        tags,
        description: 'Deliveries, newest first: status, attempts, last response code and time',
        params: IdParam,
        querystring: S.ListDeliveriesQuery,
        response: { 200: S.DeliveryPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.deliveries(req.params.id, req.query),
  );
  r.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      config: manage,
      schema: {
        tags,
        description: 'Sends the delivery again from its first attempt, with the same webhook-id (replay)',
        params: S.DeliveryParams,
        response: { 200: S.Delivery, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.retry(app.requirePrincipal(req), req.params.id, req.params.delivery_id),
  );
  r.post(
    '/webhooks/:id/ping',
    {
      config: manage,
      schema: {
        tags,
        description: 'Sends a webhook.ping delivery now (its outcome: GET …/deliveries)',
        params: IdParam,
        response: { 201: S.Delivery, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.ping(app.requirePrincipal(req), req.params.id)),
  );
}
