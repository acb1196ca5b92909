// The operations the jobs module schedules (src/schedules.ts): the backup, the restore test and the nightly
// maintenance. Each returns a summary for the run history (counts, table, index and file names; no personal
// data) or throws a message for the operator.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';
import { DbError } from '../../platform/db.js';
import { ScriptError } from '../../database/client.js';
import { backup } from '../../database/backup/backup.js';
import { verifyBackup } from '../../database/backup/verify.js';
import { keyRing } from '../../database/backup/encryption.js';
import { writeKey } from '../../database/backup/tools.js';
import type { OpsRepository } from './repository.js';

/** SQLSTATEs of amcheck's verdicts (index_corrupted, data_corrupted); anything else means "could not check". */
const CORRUPTION = new Set(['XX001', 'XX002']);
const REPORTED = 10;
const DAY_MS = 86_400_000;

export function createScheduledOps(d: { db: Db; repo: OpsRepository; config: Config }) {
  const { db, repo, config } = d;
  /** pg_dump needs a session of its own (an exported snapshot): the direct connection. */
  const directUrl = () => config.DIRECT_DATABASE_URL ?? config.DATABASE_URL!;
  /** BACKUP_ENCRYPTION_KEY and BACKUP_PREVIOUS_KEYS, as `npm run backup` reads them. */
  const keys = keyRing(config.BACKUP_ENCRYPTION_KEY, config.BACKUP_PREVIOUS_KEYS);
  const plaintextRefused = config.NODE_ENV === 'production' && !config.BACKUP_ALLOW_PLAINTEXT;

  /** A statement that may outlast the pool's statement_timeout (ANALYZE, amcheck): its own limit, in a transaction. */
  const long = (fn: (tx: import('pg').PoolClient) => Promise<unknown>) =>
    db.transaction(async (tx) => {
      await tx.query("SET LOCAL statement_timeout = '30min'");
      await fn(tx);
    });

  return {
    async backup(signal: AbortSignal, log: FastifyBaseLogger) {
      const m = await backup(directUrl(), {
        dir: config.backupDir,
        retentionDays: config.BACKUP_RETENTION_DAYS,
        key: writeKey({ keys, plaintextRefused }, (line) => log.warn(line)),
        log: (line) => log.debug(line),
        signal,
      });
      return {
        file: m.file,
        size_bytes: m.size_bytes,
        sha256: m.sha256,
        tables: Object.keys(m.tables).length,
        rows: Object.values(m.tables).reduce((a, b) => a + b, 0),
        encrypted: m.encryption !== null,
        pruned: m.pruned,
      };
    },

    async restoreTest(signal: AbortSignal, log: FastifyBaseLogger) {
      const url = config.BACKUP_VERIFY_DATABASE_URL ?? directUrl();
      const { file, problems } = await verifyBackup(url, config.backupDir, keys, (line) => log.debug(line), signal);
      if (problems.length)
        throw new ScriptError(
          `restore test of ${file}: ${problems.length} difference(s): ${problems.slice(0, REPORTED).join('; ')}`,
        );
      return { file, checked: ['migrations', 'row counts', 'amcheck on every btree index'] };
    },

    /** ANALYZE where statistics are stale, the dead-tuple and bloat report, amcheck on the day's share of indexes. */
    async maintenance(signal: AbortSignal, log: FastifyBaseLogger) {
      const analyzed: string[] = [];
      for (const t of await repo.staleStatistics()) {
        if (signal.aborted) break;
        await long((tx) => repo.analyze(t.oid, tx));
        analyzed.push(t.name);
      }
      const amcheck = await checkIndexes(signal);
      const summary = {
        analyzed,
        dead_tuples: await repo.deadTuples(REPORTED),
        bloat_estimate: await repo.bloatEstimate(REPORTED),
        amcheck,
      };
      log.info({ analyzed: analyzed.length, amcheck_checked: amcheck.checked.length }, 'maintenance done');
      if (amcheck.corrupt.length)
        throw new ScriptError(
          `amcheck found ${amcheck.corrupt.length} corrupt index(es): ${amcheck.corrupt.join(', ')} (docs/runbooks/jobs.md)`,
        );
      return summary;
    },
  };

  /**
   * bt_index_check on MAINTENANCE_AMCHECK_INDEXES indexes a night, in rotation by day: every index is checked
   * every ceil(indexes / per night) days.
   */
  async function checkIndexes(signal: AbortSignal) {
    const result = { available: true, reason: null as string | null, checked: [] as string[], corrupt: [] as string[] };
    if (!config.MAINTENANCE_AMCHECK_INDEXES)
      return { ...result, available: false, reason: 'MAINTENANCE_AMCHECK_INDEXES=0' };
    if (!(await repo.amcheckInstalled()).ok)
      return { ...result, available: false, reason: 'the amcheck extension is not created (docs/database/roles.md)' };
    const all = await repo.btreeIndexes();
    const n = Math.min(config.MAINTENANCE_AMCHECK_INDEXES, all.length);
    const offset = all.length ? (Math.floor(Date.now() / DAY_MS) * n) % all.length : 0;
    for (let i = 0; i < n && !signal.aborted; i++) {
      const index = all[(offset + i) % all.length]!;
      try {
        await long((tx) => repo.checkIndex(index.oid, tx));
        result.checked.push(index.name);
      } catch (err) {
        const code = err instanceof DbError ? err.pgCode : undefined;
        if (code && CORRUPTION.has(code)) {
          result.checked.push(index.name);
          result.corrupt.push(`${index.name} (SQLSTATE ${code})`);
        } else if (code === '42883' || code === '42501') {
          // amcheck's function missing from the search or not granted to the migration role.
          return {
            ...result,
            available: false,
            reason: `amcheck is not usable by the migration role (SQLSTATE ${code})`,
          };
        } else if (code !== '42P01' && code !== '22023') {
          // 42P01 / 22023: the index went away or changed since the list was read; anything else is real.
          throw err;
        }
      }
    }
    return result;
  }
}

export type ScheduledOps = ReturnType<typeof createScheduledOps>;
