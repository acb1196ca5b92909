// The fan-out: changes from the outbox become deliveries. One run at a time (the webhook_feed row is locked
// while it works) reads after the stored position through the events module's reader, writes one delivery per
// matching active subscription, moves the position and enqueues their deliveries, all in one transaction: a run
// cut off commits nothing, and the next reads the same events again (the unique message id keeps them single).
// Each run enqueues the next after WEBHOOK_FANOUT_INTERVAL_MS; a per-minute schedule restarts the chain if
// every instance was down.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../platform/db.js';
import { TOPICS, type EventsService } from '../events/index.js';
import type { JobsService } from '../jobs/index.js';
import type { DeliveryEngine } from './delivery.js';
import { DELIVER_JOB } from './delivery.js';
import { eventMessage } from './payload.js';
import type { WebhooksRepository } from './repository.js';

export const FANOUT_JOB = 'webhooks.fanout';
/** Events read per transaction. */
const PAGE = 500;
/** How long one run reads before handing over to a fresh job. */
const BUDGET_MS = 10_000;
/** The feed's public topics: the access topics (sessions, users) are the streams' business, never a webhook's. */
const FEED_TOPICS = Object.keys(TOPICS);

export function createFanout(d: {
  db: Db;
  repo: WebhooksRepository;
  events: EventsService;
  jobs: JobsService;
  engine: DeliveryEngine;
  intervalMs: number;
  log: FastifyBaseLogger;
}) {
  const { db, repo, events, jobs, engine } = d;

  /** The next run: after the interval, or at once when the outbox holds more than this run read. */
  const next = (now: boolean) =>
    jobs.send(FANOUT_JOB, {}, { singletonKey: 'next', startAfter: new Date(Date.now() + (now ? 0 : d.intervalMs)) });

  /** One page: events → deliveries, the position moved, the deliveries enqueued. */
  const step = () =>
    db.transaction(async (tx) => {
      const { position } = await repo.lockFeed(tx);
      const page = await events.readAfter(position, { limit: PAGE, topics: FEED_TOPICS });
      if (page.reset)
        d.log.warn({ after: position, next: page.next }, 'webhooks: events past retention were never delivered');
      const subscriptions = page.events.length
        ? await repo.insertEventDeliveries(page.events.map(eventMessage), tx)
        : [];
      if (page.next !== position) await repo.saveFeed(page.next, tx);
      for (const id of subscriptions) await engine.kick(id, null, tx);
      return { events: page.events.length, subscriptions: subscriptions.length, full: page.events.length === PAGE };
    });

  /** webhooks.fanout: pages until the outbox is read, the budget spent or the instance stopping. */
  async function run(draining: AbortSignal) {
    const end = Date.now() + BUDGET_MS;
    let read = 0;
    let more = false;
    try {
      for (;;) {
        const r = await step();
        if (r.subscriptions) jobs.wake(DELIVER_JOB);
        read += r.events;
        more = r.full;
        if (!more || draining.aborted || Date.now() > end) break;
      }
    } finally {
      await next(more);
    }
    return { events: read };
  }

  return { run, next };
}
