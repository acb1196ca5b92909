// SQL for the change feed: the one reader of change_events, pruning, and stream tickets.
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import { decodePosition, encodePosition, maxPosition, ORIGIN, type Position } from './position.js';

/** One change as clients and other modules see it. No personal values: ids and column names only. */
export interface ChangeEvent {
  position: Position;
  topic: string;
  row_id: string;
  action: string;
  user_id: string | null;
  changed_columns: string[] | null;
  created_at: string;
}

export interface ReadResult {
  /** Events after the position, in position order. */
  events: ChangeEvent[];
  /**
   * Where the next read starts: the last event returned when the page is full; otherwise the newest position
   * every reader can see (so a filtered read moves past events of other topics).
   */
  next: Position;
  /** Events after the position were pruned (or the position was never handed out here): refetch, go on at `next`. */
  reset: boolean;
  /** Committed events wait behind a transaction still running (they become visible when it ends). */
  heldBack: boolean;
}

interface Row {
  txid: string | null;
  id: string | null;
  topic: string;
  row_id: string;
  action: string;
  user_id: string | null;
  changed_columns: string[] | null;
  created_at: Date;
  head_txid: string | null;
  head_id: string | null;
  pruned_txid: string;
  pruned_id: string;
  pruned: boolean;
  future: boolean;
  held_back: boolean;
}

// One statement, one snapshot: the page, the newest visible position, the pruning mark and whether anything is
// held back all agree. Visible = written by a transaction below the snapshot's xmin, which has ended: any
// transaction that could still add a smaller position is still running, so nothing appears behind a reader.
const READ = (where: string, after: { txid: string; id: string }, limit: string) => `
  WITH snap AS MATERIALIZED (
    SELECT pg_snapshot_xmin(s) AS xmin, pg_snapshot_xmax(s) AS xmax FROM pg_current_snapshot() AS s
  ), page AS (
    SELECT e.txid, e.id, e.topic, e.row_id, e.action, e.user_id, e.changed_columns, e.created_at
      FROM change_events e ${where}
     ORDER BY e.txid, e.id LIMIT ${limit}
  ), head AS (
    SELECT e.txid, e.id FROM change_events e WHERE e.txid < (SELECT xmin FROM snap)
     ORDER BY e.txid DESC, e.id DESC LIMIT 1
  )
  SELECT p.txid::text AS txid, p.id, p.topic, p.row_id, p.action, p.user_id, p.changed_columns, p.created_at,
         h.txid::text AS head_txid, h.id AS head_id, mark.txid::text AS pruned_txid, mark.id AS pruned_id,
         (${after.txid}::xid8, ${after.id}::bigint) < (mark.txid, mark.id) AS pruned,
         ${after.txid}::xid8 >= (SELECT xmax FROM snap) AS future,
         -- max() reads one end of the primary key; an EXISTS over txid >= xmin would scan the whole table.
         COALESCE((SELECT max(e.txid) FROM change_events e) >= (SELECT xmin FROM snap), false) AS held_back
    FROM change_feed w
    -- A mark this cluster never handed out (the database restored into another cluster) marks nothing.
    CROSS JOIN LATERAL (SELECT CASE WHEN w.pruned_txid < (SELECT xmax FROM snap) THEN w.pruned_txid ELSE '0' END AS txid,
                               CASE WHEN w.pruned_txid < (SELECT xmax FROM snap) THEN w.pruned_id ELSE 0 END AS id) AS mark
    LEFT JOIN head h ON true LEFT JOIN page p ON true
   ORDER BY p.txid, p.id`;

export function createEventsRepository(db: Db) {
  return {
    /** Up to `limit` events after `after` (of `topics` only, when given), as every reader sees them. */
    async readAfter(after: Position, o: { limit: number; topics?: readonly string[] }, ex?: Executor) {
      const q = new SqlBuilder();
      const pos = decodePosition(after);
      const ref = { txid: q.param(pos.txid), id: q.param(pos.id) };
      q.where(`(e.txid, e.id) > (${ref.txid}::xid8, ${ref.id}::bigint)`)
        .where('e.txid < (SELECT xmin FROM snap)')
        .filter('topics', o.topics, (v) => `e.topic = ANY(${v}::text[])`);
      const rows = await db.many<Row>(
        q.statement(READ(q.whereClause(), ref, q.param(o.limit)), 'events-read-after'),
        ex,
      );
      const first = rows[0]!; // change_feed always holds its one row
      const head = first.head_txid === null ? ORIGIN : encodePosition(first.head_txid, first.head_id!);
      const heldBack = first.held_back;
      if (first.pruned || first.future) {
        const next = maxPosition(head, encodePosition(first.pruned_txid, first.pruned_id));
        return { events: [], next, reset: true, heldBack } satisfies ReadResult;
      }
      const events: ChangeEvent[] = rows
        .filter((r) => r.txid !== null)
        .map((r) => ({
          position: encodePosition(r.txid!, r.id!),
          topic: r.topic,
          row_id: r.row_id,
          action: r.action,
          user_id: r.user_id,
          changed_columns: r.changed_columns,
          created_at: r.created_at.toISOString(),
        }));
      const last = events.length ? events[events.length - 1]!.position : after;
      const next = events.length === o.limit ? last : maxPosition(last, head);
      return { events, next, reset: false, heldBack } satisfies ReadResult;
    },

    /** The first event to keep: the oldest in position order written at or after `cutoff` (null: none). */
    firstKept: async (cutoff: Date, ex?: Executor) => {
      const row = await db.maybeOne<{ txid: string; id: string }>(
        {
          name: 'events-first-kept',
          text: `SELECT txid::text AS txid, id FROM change_events WHERE created_at >= $1 ORDER BY txid, id LIMIT 1`,
          values: [cutoff],
        },
        ex,
      );
      return row && encodePosition(row.txid, row.id);
    },

    /**
     * Deletes up to `limit` of the oldest events (before `before` when given; never one a reader cannot see
     * yet) and moves the pruning mark to the last one deleted. Returns how many went.
     */
    async pruneBatch(before: Position | null, limit: number, ex?: Executor): Promise<number> {
      const q = new SqlBuilder().where('txid < pg_snapshot_xmin(pg_current_snapshot())');
      const bound = before && decodePosition(before);
      if (bound) q.where(`(txid, id) < (${q.param(bound.txid)}::xid8, ${q.param(bound.id)}::bigint)`);
      const text = `
        WITH gone AS (
          DELETE FROM change_events WHERE (txid, id) IN (
            SELECT txid, id FROM change_events ${q.whereClause()} ORDER BY txid, id LIMIT ${q.param(limit)})
          RETURNING txid, id
        ), last AS (
          SELECT txid, id FROM gone ORDER BY txid DESC, id DESC LIMIT 1
        ), moved AS (
          UPDATE change_feed w SET pruned_txid = last.txid, pruned_id = last.id, pruned_at = now()
            FROM last WHERE (w.pruned_txid, w.pruned_id) < (last.txid, last.id) RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM moved)::int AS moved`;
      const row = await db.one<{ deleted: number }>(q.statement(text, 'events-prune'), ex);
      return row.deleted;
    },

    /** The feed's id: it names the Redis channel of this database's events. */
    feedId: (ex?: Executor) =>
      db.one<{ id: string }>({ name: 'events-feed-id', text: 'SELECT id FROM change_feed' }, ex).then((r) => r.id),

    insertTicket: (tokenHash: Buffer, sessionId: string, role: string, ttlSeconds: number, ex?: Executor) =>
      db.one<{ expires_at: Date }>(
        {
          name: 'events-ticket-insert',
          text: `INSERT INTO event_tickets (token_hash, session_id, role, expires_at)
                 VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`,
          values: [tokenHash, sessionId, role, ttlSeconds],
        },
        ex,
      ),

    /** Uses a ticket up: whoever redeems it first gets its claims (if still valid); nobody after. */
    redeemTicket: (tokenHash: Buffer, ex?: Executor) =>
      db.maybeOne<{ user_id: string; session_id: string; role: string; valid: boolean }>(
        {
          name: 'events-ticket-redeem',
          text: `DELETE FROM event_tickets t USING sessions s WHERE t.token_hash = $1 AND s.id = t.session_id
                 RETURNING s.user_id, t.session_id, t.role, t.expires_at > now() AS valid`,
          values: [tokenHash],
        },
        ex,
      ),

    pruneTickets: (ex?: Executor) =>
      db.execute({ name: 'events-ticket-prune', text: 'DELETE FROM event_tickets WHERE expires_at <= now()' }, ex),
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
