// What a delivery carries (docs/integrations/webhooks.md): the Standard Webhooks envelope {type, timestamp, data}
// with a thin body — the event's position (its id), topic, row id, action and time; never a personal value (the
// receiver reads the row through the API, with its own permissions).
import type { ChangeEvent } from '../events/index.js';

/** One change as the events module's reader gives it (the fields a webhook uses). */
export type FeedEvent = Pick<ChangeEvent, 'position' | 'topic' | 'row_id' | 'action' | 'created_at'>;

export interface Message {
  /** The webhook-id header: the same on every attempt and for every subscription. */
  messageId: string;
  type: string;
  payload: { type: string; timestamp: string; data: Record<string, string> };
}

/** An event's message, with what the fan-out matches subscriptions on. */
export interface EventMessage extends Message {
  topic: string;
  /** When the change happened: a subscription receives the changes made after it was created. */
  createdAt: string;
}

export function eventMessage(e: FeedEvent): EventMessage {
  const type = `${e.topic}.${e.action}`;
  return {
    messageId: `evt_${e.position}`,
    topic: e.topic,
    createdAt: e.created_at,
    type,
    payload: {
      type,
      timestamp: e.created_at,
      data: { event_id: e.position, topic: e.topic, row_id: e.row_id, action: e.action, occurred_at: e.created_at },
    },
  };
}

export function pingMessage(subscriptionId: string, id: string, at = new Date()): Message {
  return {
    messageId: `ping_${id}`,
    type: 'webhook.ping',
    payload: { type: 'webhook.ping', timestamp: at.toISOString(), data: { webhook_id: subscriptionId } },
  };
}
