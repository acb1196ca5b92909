// The events module: the change feed. Triggers write the outbox (change_events); one relay at a time reads it
// and fans it out through Redis to every instance's hub; clients follow it over SSE or Socket.IO, resuming by
// position; other modules read the outbox through `readAfter`. docs/realtime.md.
import { defineModule } from '../../platform/module.js';
import { createEventsRepository } from './repository.js';
import { createEventsService, type EventsService } from './service.js';
import { eventsRoutes } from './routes.js';
import { Hub } from './hub.js';
import { Feed } from './feed.js';
import { Relay } from './relay.js';
import { registerEventMetrics } from './metrics.js';

export type { EventsService };
export type { ChangeEvent } from './repository.js';
export { ORIGIN, POSITION_PATTERN, type Position } from './position.js';
export { TOPICS, type Topic } from './topics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'events' in their dependencies: readAfter (the outbox reader) and prune. */
    events: EventsService;
  }
}

export default defineModule({
  name: 'events',
  dependencies: ['db', 'redis', 'metrics', 'auth-guard'],
  service: (app) => {
    const c = app.config;
    const log = app.log;
    const repo = createEventsRepository(app.db);
    const hub = new Hub({
      maxStreams: c.EVENTS_MAX_STREAMS,
      maxStreamsPerUser: c.EVENTS_MAX_STREAMS_PER_USER,
      bufferBytes: c.EVENTS_STREAM_BUFFER_BYTES,
      heartbeatMs: c.EVENTS_HEARTBEAT_SECONDS * 1000,
      read: (after, o) => repo.readAfter(after, o),
      refresh: (p) => app.refreshPrincipal(p),
      log,
    });
    const redis = app.redis;
    let publishFailed = false;
    const relay: Relay = new Relay({
      connectionString: c.DIRECT_DATABASE_URL ?? c.DATABASE_URL!,
      applicationName: c.DB_APPLICATION_NAME,
      connectTimeoutMs: c.DB_CONNECT_TIMEOUT_MS,
      repo,
      position: () => (hub.ready ? hub.position : null),
      publish: (batch) => {
        feed.push(batch); // this instance's own streams do not wait for Redis
        redis?.publish(feed.channel, JSON.stringify(batch)).then(
          () => (publishFailed = false),
          (err: Error) => {
            // The others catch up from the outbox when the next batch (or their resubscription) shows the gap.
            if (!publishFailed) log.warn({ err: { message: err.message } }, 'events relay: cannot publish to Redis');
            publishFailed = true;
          },
        );
      },
      pollMs: c.EVENTS_POLL_MS,
      log,
    });
    const feed = new Feed({ hub, repo, redis, pollMs: c.EVENTS_POLL_MS, leading: () => relay.leading, log });
    const service = createEventsService({ repo, hub, feed, relay, retentionHours: c.EVENTS_RETENTION_HOURS, log });
    app.provideAuthBackend({ redeemTicket: service.redeemTicket });
    registerEventMetrics(app.metricsRegistry, service);

    app.addHook('onReady', async () => {
      await feed.start();
      hub.start();
      relay.start();
    });
    // Before the server stops listening: open streams would otherwise hold it open.
    app.addHook('preClose', async () => hub.closeAll('shutdown'));
    app.addHook('onClose', async () => {
      hub.stop();
      await relay.stop();
      await feed.stop();
    });
    return service;
  },
  routes: eventsRoutes,
});
