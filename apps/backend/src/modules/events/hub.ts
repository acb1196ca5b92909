// The instance's streams (SSE and Socket.IO alike) and the events fanned out to them. The feed ingests every
// event in position order, exactly once; the hub renders each once and offers it to every live stream, closes
// the streams of a session or account whose access ended, and enforces the stream limits.
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../../platform/auth.js';
import { AppError, serviceUnavailable } from '../../platform/errors.js';
import { ORIGIN, type Position } from './position.js';
import type { ChangeEvent } from './repository.js';
import { render, Subscription, type CloseReason, type Reader, type Sink } from './subscription.js';
import { ACCESS_TOPICS, TOPICS, type Topic } from './topics.js';

export interface HubOptions {
  maxStreams: number;
  maxStreamsPerUser: number;
  bufferBytes: number;
  heartbeatMs: number;
  read: Reader;
  /** The principal as the auth guard sees it now, or null when its session ended. */
  refresh: (p: Principal) => Promise<Principal | null>;
  log: FastifyBaseLogger;
}

export class Hub {
  /** The last position ingested: every event up to here has been offered to the live streams. */
  position: Position = ORIGIN;
  ready = false;
  readonly closes = new Map<CloseReason, number>();
  private readonly streams = new Set<Subscription>();
  private readonly perUser = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(private readonly o: HubOptions) {}

  get size() {
    return this.streams.size;
  }

  /** Throws the answer for a stream that may not open now (the feed starting, or a limit reached). */
  admit(principal: Principal) {
    if (!this.ready) throw serviceUnavailable('The event feed is starting; retry shortly', 1);
    if (this.streams.size >= this.o.maxStreams)
      throw serviceUnavailable('This instance serves as many event streams as it may; retry shortly', 5);
    if ((this.perUser.get(principal.userId) ?? 0) >= this.o.maxStreamsPerUser)
      throw new AppError(
        429,
        'too_many_streams',
        `At most ${this.o.maxStreamsPerUser} event streams per user on one instance; close one first`,
      );
  }

  /** Opens a stream: live from now, or resuming after `from` (catching up from the outbox first). */
  open(principal: Principal, wanted: readonly Topic[] | null, sink: Sink, from: Position | null): Subscription {
    this.admit(principal);
    const sub = new Subscription(principal, wanted, sink, from ?? this.position, {
      bufferBytes: this.o.bufferBytes,
      onClose: (s, reason) => this.forget(s, reason),
    });
    this.streams.add(sub);
    this.perUser.set(principal.userId, (this.perUser.get(principal.userId) ?? 0) + 1);
    if (from === null) sub.goLive();
    else
      sub
        .catchUp(this.o.read, () => this.position)
        .catch((err: unknown) => {
          this.o.log.warn({ err: { message: (err as Error).message } }, 'event stream could not catch up');
          sub.close('unavailable');
        });
    return sub;
  }

  /** Events after `position`, in position order (older ones are skipped: a batch may overlap). */
  ingest(events: readonly ChangeEvent[]) {
    for (const e of events) {
      if (e.position <= this.position) continue;
      this.position = e.position;
      if (e.topic === ACCESS_TOPICS.sessions) this.closeWhere((p) => p.sessionId === e.row_id, 'session_ended');
      else if (e.topic === ACCESS_TOPICS.users) this.closeWhere((p) => p.userId === e.row_id, 'access_changed');
      else if (Object.hasOwn(TOPICS, e.topic) && this.streams.size) {
        const r = render(e);
        for (const s of this.streams) s.offer(r);
      }
    }
  }

  /** Everything up to `position` has been ingested (a read found nothing more). */
  advance(position: Position) {
    if (position > this.position) this.position = position;
  }

  closeAll(reason: CloseReason) {
    for (const s of [...this.streams]) s.close(reason);
  }

  /** Heartbeats, and the principal of every stream re-checked (session expiry, permissions of its role now). */
  start() {
    this.timer = setInterval(() => this.tick(), this.o.heartbeatMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick() {
    for (const s of this.streams) s.sink.heartbeat();
    if (this.refreshing || !this.streams.size) return;
    this.refreshing = true;
    this.refreshAll()
      .catch((err: unknown) =>
        this.o.log.warn({ err: { message: (err as Error).message } }, 'event streams: re-check failed'),
      )
      .finally(() => (this.refreshing = false));
  }

  private async refreshAll() {
    const bySession = new Map<string, Subscription[]>();
    for (const s of this.streams)
      bySession.set(s.principal.sessionId, [...(bySession.get(s.principal.sessionId) ?? []), s]);
    for (const subs of bySession.values()) {
      const fresh = await this.o.refresh(subs[0]!.principal);
      for (const s of subs) {
        if (!fresh) s.close('session_ended');
        else s.setPrincipal(fresh);
      }
    }
  }

  private closeWhere(match: (p: Principal) => boolean, reason: CloseReason) {
    for (const s of [...this.streams]) if (match(s.principal)) s.close(reason);
  }

  private forget(s: Subscription, reason: CloseReason) {
    if (!this.streams.delete(s)) return;
    const n = (this.perUser.get(s.principal.userId) ?? 1) - 1;
    if (n) this.perUser.set(s.principal.userId, n);
    else this.perUser.delete(s.principal.userId);
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
  }
}
