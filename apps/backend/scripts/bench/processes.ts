// The processes a benchmark measures, each started on its own: the API as production starts it (`npm start`'s
// launcher running the compiled dist/server.js under plain node) and the comparison sides in sides/.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { freePort } from '../../src/platform/embedded.js';

const BACKEND = path.join(REPO_ROOT, 'apps/backend');

export interface Proc {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

async function waitReady(url: string, child: ChildProcess, what: string, logFile?: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) {
      const tail = logFile ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${what} exited with ${child.exitCode} before it was ready\n${tail}`);
    }
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after 180 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The API as production runs it: `node apps/backend/scripts/start.mjs` (what `npm start` runs; it builds dist/
 * first when it is missing or stale), NODE_ENV=production, its log (stdout and stderr) appended to `logFile`.
 * `nodeArgs` go before the script (e.g. --cpu-prof).
 */
export async function startApi(env: Record<string, string>, logFile: string, nodeArgs: string[] = []): Promise<Proc> {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, path.join(BACKEND, 'scripts/start.mjs')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(`${baseUrl}/health/ready`, child, 'the API', logFile);
  return { name: 'API', baseUrl, child, stop: stopper(child) };
}

/** A side process (sides/<file>.ts under tsx), its output appended to `logFile`; waits for its ready message. */
export async function startSide(
  name: string,
  file: string,
  env: Record<string, string>,
  logFile: string,
): Promise<Proc> {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(BACKEND, 'scripts/bench/sides', file)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdio: ['ignore', out, out, 'ipc'],
  });
  fs.closeSync(out);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { ready: number }) => resolve(m.ready));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready (see ${logFile})`)));
  });
  return { name, baseUrl: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

/** The raw pg pool side: runs a statement loop on request and answers statements per second. */
export async function startRawPool(env: Record<string, string>, logFile: string) {
  const side = await startSide('raw pg pool', 'raw-pool.ts', env, logFile);
  return {
    ...side,
    run(kind: string, seconds: number, connections: number) {
      return new Promise<{ qps: number; p50Ms: number; p99Ms: number }>((resolve, reject) => {
        side.child.once('message', (r: { qps: number; p50Ms: number; p99Ms: number; error?: string }) =>
          r.error ? reject(new Error(`raw pool: ${r.error}`)) : resolve(r),
        );
        side.child.send({ run: kind, seconds, connections });
      });
    },
  };
}
