// One client's stream, whatever the transport (SSE or Socket.IO): it catches up from the outbox when it resumes,
// then takes the hub's live events; every event is delivered at most once, in position order, and only when the
// client may read its topic now. A client that does not keep up is dropped with a reason, never buffered without
// bound.
import type { Principal } from '../../platform/auth.js';
import { maxPosition, type Position } from './position.js';
import type { ChangeEvent, ReadResult } from './repository.js';
import { readableTopics, type Topic } from './topics.js';

/** Why a stream ended (sent to the client before the connection closes, except `disconnected`). */
export type CloseReason =
  | 'session_ended' // the session was revoked or expired
  | 'access_changed' // the account was deactivated, given another role, or deleted
  | 'slow_consumer' // more than EVENTS_STREAM_BUFFER_BYTES waited for the client: resume to go on
  | 'shutdown' // the instance is stopping: resume on another
  | 'unavailable' // the outbox could not be read: resume shortly
  | 'disconnected'; // the client went away

/** An event rendered once for every stream that receives it. */
export interface Rendered {
  event: ChangeEvent;
  json: string;
  /** The SSE frame: `id:` is the position. */
  sse: string;
}

export function render(event: ChangeEvent): Rendered {
  const json = JSON.stringify(event);
  return { event, json, sse: `id: ${event.position}\ndata: ${json}\n\n` };
}

/** What a transport provides; the subscription decides what to send and when. */
export interface Sink {
  /** Bytes the transport holds for this client, not yet handed to the network. */
  pending(): number;
  /** Resolves once the transport has handed its bytes on (or the connection ended). */
  drained(): Promise<void>;
  send(event: Rendered): void;
  /** Live from here: nothing at or before `position` will follow. */
  ready(position: Position): void;
  /** Events after the client's position were pruned: refetch, and go on from `position`. */
  reset(position: Position): void;
  heartbeat(): void;
  /** Tells the client why (unless it went away) and ends the connection. */
  end(reason: CloseReason): void;
}

export type Reader = (after: Position, o: { limit: number; topics: readonly string[] }) => Promise<ReadResult>;

const PAGE = 500;

export class Subscription {
  /** The last position this stream has passed (delivered, or skipped as not readable). */
  position: Position;
  live = false;
  closed = false;
  private allowed: ReadonlySet<string>;

  constructor(
    public principal: Principal,
    readonly wanted: readonly Topic[] | null,
    readonly sink: Sink,
    start: Position,
    private readonly o: { bufferBytes: number; onClose: (s: Subscription, reason: CloseReason) => void },
  ) {
    this.position = start;
    this.allowed = new Set(readableTopics(principal.permissions, wanted));
  }

  /** The principal re-checked: its role's permissions now decide what it receives. */
  setPrincipal(p: Principal) {
    this.principal = p;
    this.allowed = new Set(readableTopics(p.permissions, this.wanted));
  }

  /**
   * Reads from the outbox until this stream has passed everything the hub has delivered, then goes live in the
   * same tick as that check, so no live event falls between the two. While catching up, writes wait for the
   * transport to drain instead of dropping the client.
   */
  async catchUp(read: Reader, hubPosition: () => Position): Promise<void> {
    for (;;) {
      const page = await read(this.position, { limit: PAGE, topics: [...this.allowed] });
      if (this.closed) return;
      if (page.reset) this.sink.reset(page.next);
      for (const e of page.events) this.sink.send(render(e));
      this.position = maxPosition(this.position, page.next);
      if (page.events.length < PAGE && this.position >= hubPosition()) {
        this.live = true;
        this.sink.ready(this.position);
        return;
      }
      if (this.sink.pending() > this.o.bufferBytes / 2) await this.sink.drained();
    }
  }

  /** Goes live at once (a client that does not resume starts at the hub's position). */
  goLive() {
    this.live = true;
    this.sink.ready(this.position);
  }

  /** A live event from the hub; the hub offers every event, in position order. */
  offer(r: Rendered) {
    if (!this.live || r.event.position <= this.position) return;
    this.position = r.event.position;
    if (!this.allowed.has(r.event.topic)) return;
    if (this.sink.pending() > this.o.bufferBytes) return this.close('slow_consumer');
    this.sink.send(r);
  }

  close(reason: CloseReason) {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    if (reason !== 'disconnected') this.sink.end(reason);
    this.o.onClose(this, reason);
  }
}
