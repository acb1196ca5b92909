import { Type } from '@sinclair/typebox';
import { Timestamp } from '../../platform/schemas.js';
import { POSITION_PATTERN } from './position.js';
import { TOPIC_NAMES } from './topics.js';

const EventId = (description: string) => Type.String({ pattern: POSITION_PATTERN, maxLength: 33, description });

export const StreamQuery = Type.Object(
  {
    topics: Type.Optional(
      Type.String({
        pattern: '^[a-z_]{1,40}(,[a-z_]{1,40}){0,9}$',
        maxLength: 200,
        description: `comma-separated topics (default: every topic you may read): ${TOPIC_NAMES.join(', ')}`,
      }),
    ),
    last_event_id: Type.Optional(
      EventId('resume after this event id (a Last-Event-ID header, which EventSource sends on reconnection, wins)'),
    ),
    ticket: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'a ticket from POST /api/v1/events/tickets, instead of the Authorization header (EventSource)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(EventId('resume after this event id')),
});

export const EventStream = {
  description:
    'text/event-stream (docs/realtime.md). Each change: `id: <position>` and `data: {"position","topic","row_id",' +
    '"action","user_id","changed_columns","created_at"}`. Also `event: ready` (live from `data.position`), ' +
    '`event: reset` (events were pruned: refetch), `event: close` (`data.reason`: session_ended, access_changed, ' +
    'slow_consumer, shutdown, unavailable) and a `: heartbeat` comment every EVENTS_HEARTBEAT_SECONDS.',
  content: { 'text/event-stream': { schema: Type.String() } },
};

export const Ticket = Type.Object({
  ticket: Type.String({ description: 'single use, for GET /api/v1/events/stream?ticket=' }),
  expires_at: Timestamp,
});
