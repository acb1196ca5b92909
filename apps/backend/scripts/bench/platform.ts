// Foundation and auth scenarios: HTTP route vs raw pool for SELECT 1; GET /auth/me with and without
// authentication; login throughput and the cost of one argon2id hash.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { ARGON2_OPTIONS, hashPassword } from '../../src/platform/passwords.js';
import type { BenchEnv } from './env.js';
import { CONNECTIONS, median, ROUNDS, SECONDS } from './knobs.js';

const DURATION = SECONDS;

async function http(
  url: string,
  headers: Record<string, string> = {},
  o: { method?: 'GET' | 'POST'; body?: string; duration?: number } = {},
) {
  // The load generator runs in a worker thread so it does not share the server's event loop.
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    workers: 1,
    duration: o.duration ?? DURATION,
    headers,
    method: o.method ?? 'GET',
    body: o.body,
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/** The same statement on a raw pg pool, CONNECTIONS concurrent loops, no HTTP. */
async function rawPool(url: string, text: string, values: unknown[] = []) {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await pool.query({ name: 'bench-raw', text, values });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await pool.end();
  latencies.sort((a, b) => a - b);
  return {
    qps: latencies.length / DURATION,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);

/** The same route on a Fastify instance with nothing registered: what HTTP alone costs here. */
async function bareFastify(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  const app = Fastify({ logger: false });
  app.get('/select-1', async () => (await pool.query({ name: 'bench-bare', text: 'SELECT 1 AS one' })).rows[0]);
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await http(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/select-1`);
  } finally {
    await app.close();
    await pool.end();
  }
}

export async function benchSelectOne(env: BenchEnv) {
  env.log(
    `\n## SELECT 1: API route through the platform pool vs raw pg pool (${CONNECTIONS} concurrent, ${DURATION} s per side, ${ROUNDS} alternating rounds)`,
  );
  const ratios: number[] = [];
  const bareRatios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const api = await http(`${env.baseUrl}/bench/select-1`);
    const raw = await rawPool(env.databaseUrl, 'SELECT 1');
    const bare = await bareFastify(env.databaseUrl);
    ratios.push(api.rps / raw.qps);
    bareRatios.push(bare.rps / raw.qps);
    env.log(
      `round ${round}: API ${f(api.rps)} req/s (p50 ${api.p50} ms, p99 ${api.p99} ms); raw ${f(raw.qps)} q/s (p50 ${f(raw.p50)} ms, p99 ${f(raw.p99)} ms); ` +
        `bare Fastify + raw pool ${f(bare.rps)} req/s (p99 ${bare.p99} ms); ratio API/raw ${(api.rps / raw.qps).toFixed(2)}`,
    );
  }
  env.log(
    `median ratio API/raw = ${median(ratios).toFixed(2)} (goal >= 0.5); bare Fastify (no plugins, no hooks: the HTTP ceiling here)/raw = ${median(bareRatios).toFixed(2)}`,
  );
}

export async function benchAuth(env: BenchEnv) {
  env.log(
    `\n## GET /auth/me with a valid token vs the same handler without authentication (${CONNECTIONS} concurrent, ${DURATION} s per side, ${ROUNDS} alternating rounds)`,
  );
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const withAuth = await http(`${env.baseUrl}/api/v1/auth/me`, { authorization: `Bearer ${env.token}` });
    const without = await http(`${env.baseUrl}/api/v1/bench/me-without-auth`);
    ratios.push(withAuth.rps / without.rps);
    env.log(
      `round ${round}: authenticated ${f(withAuth.rps)} req/s (p99 ${withAuth.p99} ms); no auth ${f(without.rps)} req/s (p99 ${without.p99} ms); ratio ${(withAuth.rps / without.rps).toFixed(2)}`,
    );
  }
  env.log(`median ratio authenticated/no auth = ${median(ratios).toFixed(2)} (goal >= 0.8)`);

  const hashes = 10;
  const t0 = performance.now();
  for (let i = 0; i < hashes; i++) await hashPassword(`bench-password-${i}`);
  const perHash = (performance.now() - t0) / hashes;
  env.log(
    `\n## login: argon2id m=${ARGON2_OPTIONS.memoryCost} KiB t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}: one hash ${f(perHash)} ms`,
  );
  const login = await http(
    `${env.baseUrl}/api/v1/auth/login`,
    { 'content-type': 'application/json' },
    {
      method: 'POST',
      body: JSON.stringify({ email: env.adminEmail, password: env.adminPassword }),
      duration: Math.min(DURATION, 5),
    },
  );
  // autocannon abandons requests still queued behind argon2: let them finish before the pool closes.
  await new Promise((r) => setTimeout(r, 3_000));
  env.log(
    `POST /auth/login ${f(login.rps)} req/s  p50 ${login.p50} ms  p99 ${login.p99} ms (2 cores; bounded by argon2)`,
  );
}
