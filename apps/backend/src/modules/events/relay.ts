// The relay: one per database at a time reads the outbox in position order and publishes it to every instance.
// Every instance runs one; they queue on a session-level advisory lock held on a dedicated connection
// (DIRECT_DATABASE_URL: a transaction pooler cannot carry a session lock). The holder leads: it LISTENs there
// (the only LISTEN connection of the deployment), reads after each NOTIFY or every EVENTS_POLL_MS, and hands each
// batch to `publish`. When the leader dies its connection closes, PostgreSQL releases the lock and the next
// instance in the queue leads at once; it starts from its own hub's position, so nothing is skipped (the hubs
// drop what they already have). docs/adr/0007-change-feed-ordering-and-relay.md.
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Position } from './position.js';
import type { EventsRepository } from './repository.js';
import type { Batch } from './feed.js';

const PAGE = 1_000;
/** How soon to look again while committed events wait behind a running transaction (it may not NOTIFY). */
const HELD_BACK_MS = 10;
const RETRY_MAX_MS = 5_000;

export interface RelayOptions {
  connectionString: string;
  applicationName: string;
  connectTimeoutMs: number;
  repo: EventsRepository;
  /** Where this instance's hub stands (null until it has started): a new leader goes on from there. */
  position: () => Position | null;
  publish: (batch: Batch) => void;
  pollMs: number;
  log: FastifyBaseLogger;
}

export class Relay {
  leading = false;
  /** Reads of the outbox while leading, and events published (for status and metrics). */
  reads = 0;
  relayed = 0;
  private stopped = false;
  private client: pg.Client | null = null;
  private connected = false;
  private wake: (() => void) | null = null;
  private woken = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly o: RelayOptions) {}

  start() {
    this.loop ??= this.run();
  }

  async stop() {
    this.stopped = true;
    this.nudge();
    // Ends a connection that waits for the lock or reads; one still connecting ends once connected (pg never
    // settles a connect() interrupted by end()).
    if (this.connected) await this.client?.end().catch(() => {});
    await this.loop;
  }

  private nudge() {
    this.woken = true;
    this.wake?.();
  }

  /** Waits `ms`, or less when a NOTIFY (or stop, or the connection's loss) comes first. */
  private async pause(ms: number) {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
    this.woken = false;
  }

  private async run() {
    let delay = 250;
    while (!this.stopped) {
      if (this.o.position() === null) {
        await this.pause(this.o.pollMs);
        continue;
      }
      try {
        await this.lead();
        delay = 250;
      } catch (err) {
        if (!this.stopped)
          this.o.log.warn({ err: { message: (err as Error).message } }, 'events relay: connection lost; retrying');
      }
      if (!this.stopped) await this.pause(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private async lead() {
    const client = new pg.Client({
      connectionString: this.o.connectionString,
      application_name: `${this.o.applicationName}-relay`,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 2_000,
    });
    this.client = client;
    client.on('error', () => this.nudge()); // the next query fails and ends this session
    client.on('notification', () => this.nudge());
    try {
      await client.connect();
      this.connected = true;
      if (this.stopped) return;
      // No statement timeout for the lock wait; and the server probes this connection every second once idle
      // for 2 s, so a leader whose machine vanished loses the lock in about 4 s instead of hours.
      await client.query(
        'SET statement_timeout = 0; SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 2',
      );
      await client.query("SELECT pg_advisory_lock(hashtext('acolhe:events-relay'))");
      if (this.stopped) return;
      await client.query('SET statement_timeout = 15000; LISTEN change_events');
      this.leading = true;
      this.o.log.info('events relay: this instance leads');
      let position = this.o.position()!;
      while (!this.stopped) {
        const page = await this.o.repo.readAfter(position, { limit: PAGE }, client);
        this.reads++;
        if (page.events.length) {
          this.o.publish({ from: position, events: page.events });
          this.relayed += page.events.length;
        }
        position = page.next;
        if (page.events.length < PAGE) await this.pause(page.heldBack ? HELD_BACK_MS : this.o.pollMs);
      }
    } finally {
      if (this.leading) this.o.log.info('events relay: this instance no longer leads');
      this.leading = false;
      this.client = null;
      this.connected = false;
      await client.end().catch(() => {});
    }
  }
}
