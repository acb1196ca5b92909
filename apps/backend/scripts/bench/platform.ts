// Foundation and auth scenarios over HTTP (wrk, stage.ts): SELECT 1 through an API route vs a bare Fastify route
// vs the raw pool; login throughput and the cost of one argon2id hash.
import { ARGON2_OPTIONS, hashPassword } from '../../src/platform/passwords.js';
import { compare, fmt, httpSide, type Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { CONNECTIONS, SECONDS } from './knobs.js';
import type { Stage } from './stage.js';
import { wrk } from './wrk.js';

export async function benchSelectOne(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const [probe, bare, raw] = [await stage.probe(), await stage.bare(), await stage.raw()];
  return compare(env.log, {
    title: 'SELECT 1: the compiled app (bench route, no auth) vs bare Fastify vs the raw pool',
    sides: [
      httpSide('API route', probe, [{ path: '/bench/select-1' }]),
      httpSide('bare Fastify', bare, [{ path: '/select-1' }]),
      {
        name: 'raw pool',
        measure: async (seconds) => {
          const r = await raw.run('select-1', seconds, CONNECTIONS);
          return { rps: r.qps, p99Ms: r.p99Ms };
        },
      },
    ],
    ratios: [
      ['API route', 'raw pool', 0.5],
      ['bare Fastify', 'raw pool', null],
    ],
  });
}

export async function benchAuth(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const hashes = 10;
  const t0 = performance.now();
  for (let i = 0; i < hashes; i++) await hashPassword(`bench-password-${i}`);
  const perHash = (performance.now() - t0) / hashes;
  env.log(
    `\n## login: argon2id m=${ARGON2_OPTIONS.memoryCost} KiB t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}: one hash ${fmt(perHash)} ms`,
  );
  const body = JSON.stringify({ email: env.adminEmail, password: env.adminPassword });
  const login = await wrk(
    stage.api.baseUrl,
    [{ method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, body }],
    { seconds: Math.min(SECONDS, 5) },
  );
  // Requests still queued behind argon2 when wrk stops finish before the next measurement.
  await new Promise((r) => setTimeout(r, 3_000));
  env.log(
    `POST /auth/login ${fmt(login.rps)} req/s, p50 ${fmt(login.p50Ms)} ms, p99 ${fmt(login.p99Ms)} ms (bounded by argon2)`,
  );
  return [
    ['login', 'argon2id hash', `${fmt(perHash)} ms`, ''],
    ['login', 'POST /auth/login', `${fmt(login.rps)}/s`, ''],
  ];
}
