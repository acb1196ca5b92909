// How events reach this instance's hub: the relay's batches (from this instance's relay when it leads, and from
// whichever instance leads through the Redis channel every instance subscribes to), and the outbox itself
// whenever that stream may have missed something. Every batch says the position it follows; a batch that does
// not follow on from the hub's position (a lost or late message, a broken subscription, a new leader) makes the
// feed read the gap from the outbox first. Without a subscription (no Redis, or it is down) and without the
// lead, the feed reads the outbox every EVENTS_POLL_MS. Nothing is lost; the hub skips what it already has.
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../../platform/redis.js';
import { ORIGIN, type Position } from './position.js';
import type { ChangeEvent, EventsRepository } from './repository.js';
import type { Hub } from './hub.js';

/** What the relay publishes: events in position order, right after `from`. */
export interface Batch {
  from: Position;
  events: ChangeEvent[];
}

const PAGE = 1_000;
const MAX_QUEUED = 1_000;

export interface FeedOptions {
  hub: Hub;
  repo: EventsRepository;
  /** The app's Redis client (null: none); the feed subscribes on a connection of its own. */
  redis: RedisClient | null;
  pollMs: number;
  /** True while this instance's relay leads: its batches arrive directly, no polling needed. */
  leading: () => boolean;
  log: FastifyBaseLogger;
}

export class Feed {
  /** The Redis channel of this database's feed (set by start). */
  channel = '';
  private subscriber: RedisClient | null = null;
  private subscribed = false;
  private queue: Batch[] = [];
  private gap = false;
  private readonly gapRead = new WeakSet<Batch>();
  private pumping = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(private readonly o: FeedOptions) {}

  /**
   * Learns the channel, subscribes, and takes the newest visible position as the hub's start. When the database
   * is not there yet, the poll timer retries; streams are refused (503) until then.
   */
  async start(): Promise<void> {
    this.timer = setInterval(() => {
      if (!this.o.hub.ready) void this.init();
      // Polling while no batches can come; and a catch-up that failed (database away) is tried again.
      else if (this.gap || (!this.subscribed && !this.o.leading())) this.requestCatchUp();
    }, this.o.pollMs);
    this.timer.unref();
    await this.init();
  }

  private async init() {
    try {
      if (!this.channel) {
        this.channel = `events:${await this.o.repo.feedId()}`;
        if (this.o.redis) this.subscribe(this.o.redis);
      }
      const first = await this.o.repo.readAfter(ORIGIN, { limit: 0 });
      this.o.hub.advance(first.next);
      this.o.hub.ready = true;
      this.pump();
    } catch (err) {
      this.o.log.warn({ err: { message: (err as Error).message } }, 'event feed: cannot start yet; retrying');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.subscriber?.disconnect();
  }

  get isSubscribed() {
    return this.subscribed;
  }

  /** A batch from the relay (local or through Redis). */
  push(batch: Batch) {
    if (this.queue.length >= MAX_QUEUED) {
      // Far behind (the outbox unreadable for a while): drop the queue, read it all from the outbox instead.
      this.queue = [];
      this.gap = true;
    }
    this.queue.push(batch);
    this.pump();
  }

  /** Reads whatever the hub has not seen from the outbox (subscription restored, or polling). */
  requestCatchUp() {
    this.gap = true;
    this.pump();
  }

  private subscribe(redis: RedisClient) {
    const sub = redis.duplicate({ enableOfflineQueue: true, autoResubscribe: false, lazyConnect: true });
    this.subscriber = sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        this.push(JSON.parse(message) as Batch);
      } catch {
        this.requestCatchUp();
      }
    });
    // On every (re)connection: subscribe, and once Redis confirms, read what was published while away. Messages
    // published after the confirmation arrive; those before were read from the outbox before it.
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.requestCatchUp();
        },
        () => {},
      );
    });
    sub.on('close', () => (this.subscribed = false));
    sub.on('error', () => {}); // the app's client logs Redis outages; this one just reconnects
    sub.connect().catch(() => {});
  }

  private pump() {
    if (this.pumping || this.stopped || !this.o.hub.ready) return;
    this.pumping = true;
    this.drain()
      .then(() => (this.failures = 0))
      .catch((err: unknown) => {
        // The outbox is unreadable (database away): the next batch or poll tries again.
        if (this.failures++ === 0)
          this.o.log.warn({ err: { message: (err as Error).message } }, 'event feed: cannot read the outbox');
        this.gap = true;
      })
      .finally(() => {
        this.pumping = false;
      });
  }

  private async drain() {
    const hub = this.o.hub;
    for (;;) {
      if (this.gap) {
        this.gap = false; // a request made while this read runs asks for another one
        await this.catchUp();
        continue;
      }
      const batch = this.queue[0];
      if (!batch) return;
      // A batch that does not follow on: read the gap first (once; the relay saw those events, so we can).
      if (batch.from > hub.position && !this.gapRead.has(batch)) {
        this.gapRead.add(batch);
        this.gap = true;
        continue;
      }
      this.queue.shift();
      hub.ingest(batch.events);
    }
  }

  private async catchUp() {
    const hub = this.o.hub;
    for (;;) {
      const page = await this.o.repo.readAfter(hub.position, { limit: PAGE });
      hub.ingest(page.events);
      hub.advance(page.next);
      if (page.events.length < PAGE) return;
    }
  }
}
