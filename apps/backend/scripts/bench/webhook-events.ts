// The changes the webhook benchmark delivers: both sides send the message eventMessage() makes of each.
import type { FeedEvent } from '../../src/modules/webhooks/payload.js';

const hex = (n: number) => n.toString(16).padStart(16, '0');

export const benchEvent = (round: number, i: number): FeedEvent => ({
  position: `${hex(round + 1)}-${hex(i + 1)}`,
  topic: 'beneficiaries',
  row_id: String(1000 + i),
  action: 'update',
  created_at: '2026-12-01T12:00:00.000Z',
});
