// /webhooks: subscriptions, their deliveries, pings and retries (docs/integrations/webhooks.md).
import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';
import { TOPICS } from '../events/index.js';

/** A topic of the change feed (the events module's, e.g. beneficiaries), or * for all of them. */
export const Topic = Type.Union([Type.Literal('*'), ...Object.keys(TOPICS).map((n) => Type.Literal(n))], {
  description: 'a topic of the change feed (the table a change happened in), or * for every topic',
});

const Url = Type.String({
  minLength: 8,
  maxLength: 2048,
  pattern: '^https?://[^\\s]+$',
  description: 'where deliveries are POSTed; http(s), no credentials, not a private address',
});
const Topics = Type.Array(Topic, { minItems: 1, maxItems: 100, uniqueItems: true });
const Description = Type.String({ maxLength: 500 });

export const Webhook = Type.Object({
  id: Id,
  url: Type.String(),
  description: Type.String(),
  topics: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  disabled_reason: Type.Union([Type.Literal('manual'), Type.Literal('failing'), Type.Null()], {
    description: 'failing: deliveries failed for WEBHOOK_DISABLE_AFTER_HOURS',
  }),
  failing_since: Nullable(Timestamp),
  last_success_at: Nullable(Timestamp),
  previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], {
    description: 'after a rotation, until when the previous secret also signs',
  }),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});
export type Webhook = Static<typeof Webhook>;
export const WebhookPage = Page(Webhook);

export const WebhookWithSecret = Type.Object({
  ...Webhook.properties,
  secret: Type.String({
    description: 'the signing secret (Standard Webhooks whsec_…): shown this once, store it now',
  }),
});

export const CreateWebhookBody = Type.Object(
  { url: Url, topics: Topics, description: Type.Optional(Description) },
  { additionalProperties: false },
);
export type CreateWebhook = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    topics: Type.Optional(Topics),
    description: Type.Optional(Description),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('disabled')], {
        description: 'disabled: nothing is delivered (deliveries wait); active again: they resume',
      }),
    ),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhook = Static<typeof UpdateWebhookBody>;

export const ListWebhooksQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ListWebhooks = Static<typeof ListWebhooksQuery>;

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);
export type DeliveryStatus = Static<typeof DeliveryStatus>;

export const Delivery = Type.Object({
  id: Id,
  subscription_id: Id,
  message_id: Type.String({ description: 'the webhook-id header: the same on every attempt' }),
  kind: Type.Union([Type.Literal('event'), Type.Literal('ping')]),
  event_type: Type.String({ description: 'the payload type, e.g. beneficiaries.update' }),
  payload: Type.Unknown({ description: 'the JSON body sent (thin: ids, topic, action, time)' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: Timestamp,
  last_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  delivered_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Delivery = Static<typeof Delivery>;
export const DeliveryPage = Page(Delivery);

export const ListDeliveriesQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(DeliveryStatus) },
  { additionalProperties: false },
);
export type ListDeliveries = Static<typeof ListDeliveriesQuery>;

export const DeliveryParams = Type.Object({ id: Id, delivery_id: Id });
