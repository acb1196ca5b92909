// Streaming read replicas (DATABASE_REPLICA_URLS): a pool per replica, each one's replay position and lag
// checked in the background, and the choice of a replica for a read that must see a given WAL position
// (read-your-writes, platform/read-your-writes.ts). A replica that is down, behind that position or lagging
// beyond REPLICA_MAX_LAG_MS is skipped: the read runs on the primary (docs/runbooks/read-replicas.md).
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { DbError, mapPgError } from './pg-errors.js';

/** A WAL position (pg_lsn) as a number: `16/B374D848` → 0x16B374D848. */
export type Lsn = bigint;

export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!m) throw new Error(`not a pg_lsn: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export interface Replica {
  /** host:port/database (never the password): the label of its metrics and log lines. */
  name: string;
  pool: pg.Pool;
  up: boolean;
  /** pg_last_wal_replay_lsn() at the last check. */
  replayLsn: Lsn | null;
  /** An upper bound of how far behind the primary it was at the last check (see lagBound). */
  lagMs: number | null;
  checkedAt: number;
  /** Routed reads it served. */
  reads: number;
}

export interface ReplicaSetOptions {
  urls: string[];
  maxLagMs: number;
  /** The pool options of a replica (the primary's, on another URL). */
  poolConfig(url: string): pg.PoolConfig;
  /** host:port/database of a URL, for labels and logs. */
  describe(url: string): string;
  /** The primary's WAL insert position: every write committed before the call is at or below it. */
  primaryPosition(): Promise<Lsn>;
  log: FastifyBaseLogger;
}

const PROBE = {
  text: 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay',
};

/**
 * A replica could not serve the read, but the primary can: the connection failed or was refused, the server
 * is shutting down or full (what the API answers as database_unavailable), or the standby cancelled the
 * statement for a conflict with recovery (40001 there). Takes the driver's error or the mapped DbError.
 */
export function replicaUnavailable(err: unknown): boolean {
  const e = err instanceof DbError ? err : mapPgError(err);
  return e.code === 'database_unavailable' || e.pgCode === '40001';
}

export function createReplicaSet(o: ReplicaSetOptions) {
  // The check interval bounds how stale a replica's state may be: a quarter of the lag allowed, 100 ms–1 s.
  const intervalMs = Math.min(1_000, Math.max(100, Math.floor(o.maxLagMs / 4)));
  // Primary positions kept for the lag bound: long enough to tell "behind by more than the lag allowed".
  const keepMs = Math.max(10_000, 2 * o.maxLagMs + 4 * intervalMs);
  const replicas: Replica[] = o.urls.map((url) => {
    const pool = new pg.Pool(o.poolConfig(url));
    pool.on('connect', (client) => client.on('error', () => {}));
    pool.on('error', () => {}); // an idle replica connection dying is found by the next check
    return { name: o.describe(url), pool, up: false, replayLsn: null, lagMs: null, checkedAt: 0, reads: 0 };
  });
  const samples: { at: number; lsn: Lsn }[] = [];
  let primaryReads = 0;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function setUp(r: Replica, up: boolean, why?: string) {
    if (r.up && !up) o.log.warn({ replica: r.name, reason: why }, 'read replica skipped: reads go to the primary');
    if (!r.up && up && r.checkedAt) o.log.info({ replica: r.name }, 'read replica back in use');
    r.up = up;
  }

  /**
   * How far behind the primary a replica that replayed `replay` can be, from the primary positions sampled
   * at each check (app clock only: no clock skew between hosts). Nothing newer to replay: 0. Otherwise it has
   * everything the newest sample at or below `replay` had, so it lags by at most the age of that sample.
   */
  function lagBound(replay: Lsn, now: number): number {
    const newest = samples[samples.length - 1];
    if (!newest || replay >= newest.lsn) return 0;
    for (let i = samples.length - 2; i >= 0; i--) if (samples[i]!.lsn <= replay) return now - samples[i]!.at;
    return now - samples[0]!.at; // behind every sample kept: at least this far, more than the lag allowed
  }

  /** One round: the primary's position first, then every replica's replay position. */
  async function check(): Promise<void> {
    let lsn: Lsn;
    try {
      lsn = await o.primaryPosition();
    } catch {
      return; // the primary is away: nothing to measure against (reads on it fail on their own)
    }
    const at = Date.now();
    samples.push({ at, lsn });
    while (samples.length > 2 && samples[1]!.at < at - keepMs) samples.shift();
    await Promise.all(
      replicas.map(async (r) => {
        try {
          const { rows } = await r.pool.query<{ standby: boolean; replay: string | null }>(PROBE);
          const row = rows[0]!;
          if (!row.standby || !row.replay) {
            setUp(r, false, 'not a standby (promoted, or not a replica)');
            r.checkedAt = Date.now();
            return;
          }
          r.replayLsn = parseLsn(row.replay);
          r.lagMs = lagBound(r.replayLsn, Date.now());
          r.checkedAt = Date.now();
          setUp(r, true);
        } catch (err) {
          setUp(r, false, (err as Error).message);
        }
      }),
    );
  }

  function loop() {
    timer = setTimeout(() => {
      void check().finally(() => {
        if (!closed) loop();
      });
    }, intervalMs);
    timer.unref();
  }

  /** Whether a replica may serve a read that must see `fence`: up, checked lately, close enough, caught up. */
  function eligible(r: Replica, fence: Lsn | null, now: number): boolean {
    return (
      r.up &&
      r.lagMs !== null &&
      r.lagMs <= o.maxLagMs &&
      now - r.checkedAt <= 3 * intervalMs &&
      (fence === null || (r.replayLsn !== null && r.replayLsn >= fence))
    );
  }

  const set = {
    replicas,
    intervalMs,
    /** How long a session's last-write position must be remembered (past it, every usable replica has it). */
    fenceTtlMs: Math.max(10_000, 2 * o.maxLagMs + 4 * intervalMs),
    check,
    start() {
      void check().finally(() => !closed && loop());
    },
    /** A replica that has replayed `fence` (round robin among them), or null: read on the primary. */
    pick(fence: Lsn | null): Replica | null {
      const now = Date.now();
      const ok = replicas.filter((r) => eligible(r, fence, now));
      if (!ok.length) return null;
      return ok[next++ % ok.length]!;
    },
    /** Whether any replica could serve a read at all (no Redis lookup needed when none can). */
    anyUsable: () => replicas.some((r) => eligible(r, null, Date.now())),
    markDown(r: Replica, err: unknown) {
      setUp(r, false, (err as Error).message);
    },
    countPrimaryRead: () => void primaryReads++,
    reads: () => ({ primary: primaryReads, replicas: replicas.map((r) => ({ name: r.name, reads: r.reads })) }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.all(replicas.map((r) => r.pool.end().catch(() => {})));
    },
  };
  return set;
}

export type ReplicaSet = ReturnType<typeof createReplicaSet>;

/**
 * One request's routed reads: on the replica chosen for it while that replica answers, else on the primary
 * for the rest of the request. Used as a repository executor (query) or for a read-only transaction (connect).
 */
export class RoutedRead {
  constructor(
    private replica: Replica | null,
    private readonly primary: pg.Pool,
    private readonly set: ReplicaSet,
  ) {}

  /** Where the next read goes: the replica's name or 'primary'. */
  get target(): string {
    return this.replica?.name ?? 'primary';
  }

  async query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    const replica = this.replica;
    if (replica) {
      try {
        const res = await replica.pool.query<R>(config);
        replica.reads++;
        return res;
      } catch (err) {
        if (!this.fellOver(err)) throw err;
      }
    }
    this.set.countPrimaryRead();
    return this.primary.query<R>(config);
  }

  /** A client for a read-only transaction, from the replica when it accepts one. */
  async connect(): Promise<pg.PoolClient> {
    const replica = this.replica;
    if (replica) {
      try {
        const client = await replica.pool.connect();
        replica.reads++;
        return client;
      } catch (err) {
        if (!this.fellOver(err)) throw err;
      }
    }
    this.set.countPrimaryRead();
    return this.primary.connect();
  }

  /** The replica failed in a way the primary can make good: skip it (for everyone) and read on the primary. */
  fellOver(err: unknown): boolean {
    if (!this.replica || !replicaUnavailable(err)) return false;
    this.set.markDown(this.replica, err);
    this.replica = null;
    return true;
  }
}
