// A real PgBouncer (Debian's 1.18: no protocol-level prepared statements) in transaction mode in front of this
// run's PostgreSQL, for the tests that prove the API through a transaction pooler. Started only by them.
//
// With ACOLHE_TEST_POOLER=pgbouncer in its environment, a test file's buildTestApp() runs the app through one
// such pooler (DATABASE_PREPARED_STATEMENTS=false, DIRECT_DATABASE_URL the server itself): test/pooler/
// runs the representative HTTP test files that way, so the same assertions hold both ways.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import tap, { type Test } from 'tap';
import { freePort } from '../../apps/backend/src/platform/embedded.js';
import { REPO, TAP_RUN } from '../setup/paths.js';
import { services } from './services.js';
import { privateDir, unprivileged, writePrivate } from './unprivileged.js';
import { waitFor } from './wait.js';

export const POOLER_ENV = 'ACOLHE_TEST_POOLER';

export interface PgBouncer {
  port: number;
  /** The URL of `database` through the pooler (same credentials as the server). */
  url(database: string): string;
  /** An admin console command (`SHOW POOLS`, `SHOW STATS`, ...): its rows. */
  show(command: string): Promise<Record<string, unknown>[]>;
  /** The pooler's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user (`default_pool_size`). */
  poolSize: number;
  maxClientConnections?: number;
}

/** Starts PgBouncer in transaction mode for every database of the run's server (`*` entry). */
export async function startPgBouncer(o: PgBouncerOptions): Promise<PgBouncer> {
  const server = new URL(services().pgUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const dir = privateDir('acolhe-pgbouncer-');
  const port = await freePort();
  // The password goes to PgBouncer in its auth file, never on a command line. Clients authenticate with
  // SCRAM against it, and PgBouncer logs in to the server with it.
  writePrivate(path.join(dir, 'users.txt'), `"${user}" "${password}"\n`);
  writePrivate(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${o.poolSize}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      `max_client_conn = ${o.maxClientConnections ?? 200}`,
      // pg sends DB_STATEMENT_TIMEOUT_MS as a startup parameter, which 1.18 cannot pass on: the runbook sets
      // the timeout on the role instead (docs/runbooks/transaction-pooler.md).
      'ignore_startup_parameters = statement_timeout',
      'server_check_delay = 0',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('pgbouncer', [path.join(dir, 'pgbouncer.ini')], {
    ...unprivileged(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${output.slice(-500)}`);
        return new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
          s.on('error', () => resolve(false));
        });
      },
      { timeout: 15_000, interval: 50, what: 'pgbouncer listening' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const url = (database: string) => {
    const u = new URL(server);
    u.port = String(port);
    u.pathname = `/${database}`;
    return u.toString();
  };
  return {
    port,
    url,
    log: () => output,
    async show(command) {
      if (!/^SHOW [A-Z_]+$/.test(command)) throw new Error(`not an admin SHOW command: ${command}`);
      const client = new pg.Client({ connectionString: url('pgbouncer') });
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(command)).rows; // simple protocol: the console's only one
      } finally {
        await client.end();
      }
    },
    stop,
  };
}

let shared: Promise<PgBouncer> | undefined;

/**
 * When ACOLHE_TEST_POOLER=pgbouncer: `database` through this test process's pooler (started on first use with 5
 * server connections per database, stopped when the process's tests end), and how many clients it serves
 * there; otherwise null.
 */
export async function pooledRoute(database: string): Promise<{ url: string; clients(): Promise<number> } | null> {
  if (process.env[POOLER_ENV] !== 'pgbouncer') return null;
  if (!shared) {
    shared = startPgBouncer({ poolSize: 5, maxClientConnections: 500 });
    const started = shared;
    tap.teardown(async () => (await started).stop());
  }
  const bouncer = await shared;
  return {
    url: bouncer.url(database),
    clients: async () => (await bouncer.show('SHOW CLIENTS')).filter((c) => c.database === database).length,
  };
}

/**
 * Runs an existing test file again, in a child process, with its app behind a transaction pooler: the same
 * assertions, through PgBouncer (test/pooler/*.test.ts).
 */
export function throughPooler(t: Test, file: string): void {
  t.spawn(
    process.execPath,
    [...process.execArgv, path.join(REPO, file)],
    { cwd: REPO, env: { ...process.env, [POOLER_ENV]: 'pgbouncer', ACOLHE_TAP_RUN: TAP_RUN } },
    `${file} through PgBouncer (transaction mode, 5 server connections)`,
  );
}
