// The processes the HTTP scenarios measure, started on first use and stopped together: the API as production
// runs it, the comparison sides, and two signed-in users (the seeded admin, who holds read_sensitive, and a
// viewer, who does not). See http.ts for what each side is.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../../src/platform/pagination.js';
import { build, buildState } from '../build.mjs';
import type { BenchEnv } from './env.js';
import { startApi, startRawPool, startSide } from './processes.js';
import { ensureWrk } from './wrk.js';

export type Stage = Awaited<ReturnType<typeof openStage>>;

const IDS = 1_000;
const PAGES = 200;

/** One JSON request to a benchmarked server (setup calls, not measured). */
export async function call<T>(
  baseUrl: string,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export const VIEWER = { email: 'bench-viewer@acolhe.test', password: 'Bench-viewer-passphrase-2026' };

/** The API's environment as production runs it, on `databaseUrl` (the bench database by default). */
export function productionEnv(env: BenchEnv, databaseUrl = env.databaseUrl): Record<string, string> {
  if (!env.redisUrl) throw new Error('the HTTP benchmarks need redis-server on the PATH (the API runs with Redis on)');
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: env.redisUrl,
    JWT_SECRET: env.jwtSecret,
    // The login measurement sends thousands of sign-ins from one address: above the per-address limit for
    // unauthenticated requests (300 a minute), which would answer 429. Authenticated requests never count.
    ANONYMOUS_MAX_PER_IP: '1000000',
    // The events scenario follows the feed with 1,000 streams of one user (the default allows 20 per user).
    EVENTS_MAX_STREAMS_PER_USER: '2000',
  };
}

/** Signs in the seeded admin and a viewer it creates (no read_sensitive) on a freshly started API. */
export async function signInBenchUsers(baseUrl: string, env: BenchEnv) {
  const admin = await call<{ access_token: string }>(baseUrl, 'POST', '/api/v1/auth/login', {
    email: env.adminEmail,
    password: env.adminPassword,
  });
  const adminId = (await call<{ id: string }>(baseUrl, 'GET', '/api/v1/auth/me', undefined, admin.access_token)).id;
  await call(baseUrl, 'POST', '/api/v1/users', { ...VIEWER, name: 'Bench Viewer', role: 'viewer' }, admin.access_token);
  const viewer = (await call<{ access_token: string }>(baseUrl, 'POST', '/api/v1/auth/login', VIEWER)).access_token;
  return { adminToken: admin.access_token, adminId, viewerToken: viewer };
}

/** `n` ids spread over the table (md5 order: not clustered), the same for every side. */
export async function spreadIds(databaseUrl: string, n: number): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id::text FROM beneficiaries WHERE deleted_at IS NULL ORDER BY md5(id::text) LIMIT $1',
      [n],
    );
    return rows.map((r) => r.id);
  } finally {
    await pool.end();
  }
}

export async function openStage(env: BenchEnv) {
  ensureWrk(env.log);
  const production = productionEnv(env);
  // The probe imports dist/ directly; the API's launcher would build it too, but only once it starts.
  if (buildState() !== 'fresh') build(env.log);
  const procs: { stop(): Promise<void> }[] = [];
  const profileDir = process.env.BENCH_PROFILE ? path.join(env.dir, 'profiles') : null;
  const apiLog = path.join(env.dir, 'api.log');
  const api = await startApi(production, apiLog, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  procs.push(api);

  const { adminToken, adminId, viewerToken } = await signInBenchUsers(api.baseUrl, env);

  // The same ids and keyset positions for every side, spread over the table (md5 order: not clustered).
  const ids = await spreadIds(env.databaseUrl, IDS);
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 1 });
  const pages = (
    await pool.query<{ full_name: string; id: string }>(
      "SELECT full_name, id::text FROM beneficiaries WHERE deleted_at IS NULL AND status <> 'archived' ORDER BY md5(id::text) LIMIT $1",
      [PAGES],
    )
  ).rows.map((r) => [r.full_name, r.id] as [string, string]);
  await pool.end();
  const fixture = path.join(env.dir, 'fixture.json');
  fs.writeFileSync(fixture, JSON.stringify({ actorId: adminId, ids, pages }));

  const sideLog = (name: string) => path.join(env.dir, `${name}.log`);
  const sideEnv = { DATABASE_URL: env.databaseUrl, BENCH_ACTOR_ID: adminId, BENCH_FIXTURE: fixture };
  const lazy = <T extends { stop(): Promise<void> }>(start: () => Promise<T>) => {
    let p: Promise<T> | null = null;
    return () =>
      (p ??= start().then((proc) => {
        procs.push(proc);
        return proc;
      }));
  };
  return {
    api,
    apiLog,
    profileDir,
    production,
    adminId,
    asAdmin: { authorization: `Bearer ${adminToken}` },
    asViewer: { authorization: `Bearer ${viewerToken}` },
    ids,
    /** Keyset positions as the API's opaque cursors (URL-encoded), in the order of `ids`' fixture. */
    cursors: pages.map((p) => encodeURIComponent(encodeCursor(p))),
    express: lazy(() => startSide('Express', 'express.ts', sideEnv, sideLog('express'))),
    bare: lazy(() => startSide('bare Fastify', 'fastify-bare.ts', sideEnv, sideLog('bare'))),
    probe: lazy(() => startSide('probe', 'api-probe.ts', { ...production, BENCH_ACTOR_ID: adminId }, sideLog('probe'))),
    raw: lazy(() => startRawPool(sideEnv, sideLog('raw'))),
    async close() {
      for (const p of procs.reverse()) await p.stop().catch(() => {});
    },
  };
}
