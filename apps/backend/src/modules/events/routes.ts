// /events: the change feed over SSE (and tickets for EventSource); Socket.IO's /events namespace on the same
// server. docs/realtime.md.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/schemas.js';
import { parsePosition } from './position.js';
import type { EventsService } from './service.js';
import { openEventStream } from './sse.js';
import { attachSocketIo } from './socketio.js';
import * as S from './schemas.js';

const tags = ['events'];

export function eventsRoutes(app: FastifyInstance, service: EventsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/events/tickets',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        description:
          'A single-use ticket, valid 60 s, for GET /events/stream?ticket= (a browser EventSource cannot send ' +
          'the Authorization header, and the access token never travels in a URL).',
        response: { 201: S.Ticket, ...problems(401) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.issueTicket(app.requirePrincipal(req))),
  );
  r.get(
    '/events/stream',
    {
      config: { permission: 'authenticated', ticket: true },
      schema: {
        tags,
        description:
          'The change feed as server-sent events: every change to a topic you may read (<topic>:read), after ' +
          'the position you resume from (Last-Event-ID header or last_event_id) or from now. Authenticate with ' +
          'the Authorization header or ?ticket=. 429: too many streams of yours on this instance; 503: this ' +
          'instance is full or starting (Retry-After).',
        querystring: S.StreamQuery,
        headers: S.StreamHeaders,
        response: { 200: S.EventStream, ...problems(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const principal = app.requirePrincipal(req);
      const resume = req.headers['last-event-id'] ?? req.query.last_event_id;
      const from =
        resume === undefined
          ? null
          : parsePosition(resume, req.headers['last-event-id'] ? 'headers.last-event-id' : 'querystring.last_event_id');
      const topics = service.topicsFor(principal, req.query.topics, 'querystring.topics');
      service.admit(principal); // before the 200 goes out: limits answer 429/503
      openEventStream(reply, (sink) => service.subscribe(principal, { topics, from }, sink));
    },
  );

  const io = attachSocketIo(app, service);
  app.addHook('onClose', async () => io.close());
}
