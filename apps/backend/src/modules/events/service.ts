// The change feed's service: the one reader of the outbox other modules use (webhooks, reports), pruning for the
// jobs module to schedule, stream tickets, and subscriptions for the transports (SSE, Socket.IO).
import type { FastifyBaseLogger } from 'fastify';
import type { AccessToken, Principal } from '../../platform/auth.js';
import { badRequest, forbidden } from '../../platform/errors.js';
import { removeInBatches } from '../../platform/batches.js';
import { hashToken, newOpaqueToken } from '../../platform/tokens.js';
import type { Hub } from './hub.js';
import type { Feed } from './feed.js';
import type { Relay } from './relay.js';
import { isPosition, ORIGIN, type Position } from './position.js';
import type { ChangeEvent, EventsRepository } from './repository.js';
import type { Sink, Subscription } from './subscription.js';
import { ACCESS_TOPICS, isTopic, TOPICS, type Topic } from './topics.js';

/** How long a stream ticket is valid (issue 13: single use, 60 s). */
export const TICKET_TTL_SECONDS = 60;
const PRUNE_BATCH = 10_000;
const MAX_READ = 1_000;

export interface EventsServiceDeps {
  repo: EventsRepository;
  hub: Hub;
  feed: Feed;
  relay: Relay;
  retentionHours: number;
  log: FastifyBaseLogger;
}

export function createEventsService(d: EventsServiceDeps) {
  const { repo, hub } = d;
  const known = new Set<string>([...Object.keys(TOPICS), ...Object.values(ACCESS_TOPICS)]);

  return {
    /**
     * The one reader of the outbox (docs/realtime.md#reading-the-outbox): up to `limit` events after `position`
     * (null: the oldest kept), of `topics` only when given, in position order — positions are handed out in
     * commit order as every reader sees them, so a consumer that stores `next` and reads after it again never
     * misses an event and never gets one twice. `reset`: events after `position` were pruned (retention) or the
     * position is not from this database; the consumer resynchronises and goes on from `next`.
     */
    async readAfter(
      position: Position | null,
      o: { limit?: number; topics?: readonly string[] } = {},
    ): Promise<{ events: ChangeEvent[]; next: Position; reset: boolean }> {
      if (position !== null && !isPosition(position)) throw new Error(`readAfter: not a position: ${position}`);
      const unknown = o.topics?.filter((t) => !known.has(t));
      if (unknown?.length) throw new Error(`readAfter: unknown topics ${unknown.join(', ')}`);
      const limit = Math.min(Math.max(o.limit ?? 100, 1), MAX_READ);
      const { events, next, reset } = await repo.readAfter(position ?? ORIGIN, { limit, topics: o.topics });
      return { events, next, reset };
    },

    /**
     * Deletes the events older than EVENTS_RETENTION_HOURS (oldest first, in batches, never one a reader cannot
     * see yet) and expired tickets. For the jobs module to schedule; safe to run on several instances at once.
     */
    async prune(o: { now?: Date } = {}): Promise<{ events: number; tickets: number }> {
      const cutoff = new Date((o.now ?? new Date()).getTime() - d.retentionHours * 3_600_000);
      const keep = await repo.firstKept(cutoff);
      let pruned = 0;
      const events = await removeInBatches(async (batch) => {
        const n = await repo.pruneBatch(keep, batch);
        pruned += n;
        if (n === batch) d.log.info({ pruned }, 'events: pruning');
        return n;
      }, PRUNE_BATCH);
      const tickets = await repo.pruneTickets();
      if (events || tickets) d.log.info({ events, tickets }, 'events: pruned');
      return { events, tickets };
    },

    /** A single-use ticket for `?ticket=` (EventSource cannot send headers), valid TICKET_TTL_SECONDS. */
    async issueTicket(principal: Principal): Promise<{ ticket: string; expires_at: Date }> {
      const ticket = newOpaqueToken();
      const row = await repo.insertTicket(hashToken(ticket), principal.sessionId, principal.role, TICKET_TTL_SECONDS);
      return { ticket, expires_at: row.expires_at };
    },

    /** For the auth guard: the claims of a ticket, once. */
    async redeemTicket(ticket: string): Promise<AccessToken | null> {
      if (ticket.length > 100) return null;
      const row = await repo.redeemTicket(hashToken(ticket));
      return row?.valid ? { sub: row.user_id, sid: row.session_id, role: row.role } : null;
    },

    /**
     * The topics a client asked for (comma-separated; none: every topic it may read). 400 for an unknown topic,
     * 403 for one it may not read.
     */
    topicsFor(principal: Principal, requested: string | undefined, where: string): Topic[] | null {
      if (requested === undefined) {
        if (!Object.values(TOPICS).some((p) => principal.permissions.has(p)))
          throw forbidden('You may not read any event topic');
        return null;
      }
      const names = [...new Set(requested.split(',').map((s) => s.trim()))];
      const unknown = names.filter((n) => !isTopic(n));
      if (unknown.length)
        throw badRequest(`Unknown topics: ${unknown.join(', ')}`, [
          { path: where, message: `unknown: ${unknown.join(', ')}; topics are ${Object.keys(TOPICS).join(', ')}` },
        ]);
      const denied = (names as Topic[]).filter((n) => !principal.permissions.has(TOPICS[n]));
      if (denied.length)
        throw forbidden(`You may not read ${denied.map((n) => `${n} (needs ${TOPICS[n]})`).join(', ')}`);
      return names as Topic[];
    },

    /** Throws the answer for a stream that may not open (feed starting, stream limits). */
    admit: (principal: Principal) => hub.admit(principal),

    /** Opens a stream for a transport: live from now (`from` null) or resuming after `from`. */
    subscribe: (principal: Principal, o: { topics: Topic[] | null; from: Position | null }, sink: Sink): Subscription =>
      hub.open(principal, o.topics, sink, o.from),

    status: () => ({
      ready: hub.ready,
      position: hub.position,
      streams: hub.size,
      leading: d.relay.leading,
      subscribed: d.feed.isSubscribed,
      relayReads: d.relay.reads,
      relayed: d.relay.relayed,
      closes: Object.fromEntries(hub.closes),
    }),
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
