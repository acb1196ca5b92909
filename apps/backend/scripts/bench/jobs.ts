// `npm run bench -- jobs` (issue 14), against the API as production runs it (its own process, NODE_ENV=production,
// jobs on):
//  - webhook deliveries per second to a receiver on loopback (its own process), the delivery engine against a
//    bare HTTP client loop (its own process) sending the same signed requests one after another — deliveries
//    to one subscription go in order, one at a time, so the bare side is one loop too. The engine's side: N
//    deliveries written as the fan-out writes them, one ping to wake the subscription. Both sides' rate is
//    taken by the receiver, from the first request to the last (steady throughput; the wake-up is the latency
//    figure below). Alternated over ROUNDS rounds.
//  - job enqueue → start latency, p50 and p99: a job enqueued through the API on the instance that runs it (it
//    wakes its worker at once), and one enqueued elsewhere (the worker finds it by polling, JOBS_POLL_INTERVAL_MS).
//    Measured in the database: the run's start (job_runs.started_at) less the job's creation (pgboss.job).
import path from 'node:path';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { eventMessage } from '../../src/modules/webhooks/payload.js';
import { fmt, type Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { median, ROUNDS } from './knobs.js';
import { startApi, startSide, type Proc } from './processes.js';
import { benchEvent } from './webhook-events.js';
import { call } from './stage.js';

const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 2_000);
const WOKEN_SAMPLES = Number(process.env.BENCH_JOB_SAMPLES ?? 200);
const POLLED_SAMPLES = Number(process.env.BENCH_JOB_POLLED_SAMPLES ?? 30);
const LATENCY_JOB = 'webhooks.sweep';

const ask = <T>(p: Proc, message: unknown): Promise<T> =>
  new Promise((resolve, reject) => {
    p.child.once('message', (r: T & { error?: string }) => (r.error ? reject(new Error(r.error)) : resolve(r)));
    p.child.send(message as never);
  });

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

export async function benchJobs(env: BenchEnv): Promise<Row[]> {
  const { log } = env;
  const procs: Proc[] = [];
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  const rows: Row[] = [];
  try {
    const api = await startApi(
      {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: env.databaseUrl,
        ...(env.redisUrl ? { REDIS_URL: env.redisUrl } : {}),
        JWT_SECRET: env.jwtSecret,
        WEBHOOK_SECRET_KEY: `${env.jwtSecret}-webhooks`,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        ANONYMOUS_MAX_PER_IP: '1000000',
      },
      path.join(env.dir, 'api-jobs.log'),
    );
    procs.push(api);
    const receiver = await startSide('receiver', 'webhook-receiver.ts', {}, path.join(env.dir, 'receiver.log'));
    procs.push(receiver);
    const bare = await startSide('bare client', 'webhook-client.ts', {}, path.join(env.dir, 'client.log'));
    procs.push(bare);
    const { access_token: token } = await call<{ access_token: string }>(api.baseUrl, 'POST', '/api/v1/auth/login', {
      email: env.adminEmail,
      password: env.adminPassword,
    });
    const hook = await call<{ id: string; secret: string }>(
      api.baseUrl,
      'POST',
      '/api/v1/webhooks',
      { url: `${receiver.baseUrl}/hook`, topics: ['*'] },
      token,
    );

    // --- webhook deliveries/s ---------------------------------------------------------------------------------
    log(`\n## jobs: webhook deliveries/s to a receiver on loopback, ${DELIVERIES} per round, ${ROUNDS} rounds`);
    const received = () => ask<{ count: number; seconds: number }>(receiver, { count: true });
    /** Requests per second between the first and the last the receiver got (n requests: n − 1 intervals). */
    const rate = (r: { count: number; seconds: number }) => (r.count - 1) / r.seconds;
    const engine = async (round: number) => {
      await ask(receiver, { reset: true });
      const messages = Array.from({ length: DELIVERIES }, (_, i) => eventMessage(benchEvent(round, i)));
      await pool.query(
        `INSERT INTO webhook_deliveries (subscription_id, message_id, kind, event_type, payload)
         SELECT $1, m, 'event', t, p FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS x(m, t, p)`,
        [
          hook.id,
          messages.map((m) => m.messageId),
          messages.map((m) => m.type),
          messages.map((m) => JSON.stringify(m.payload)),
        ],
      );
      await call(api.baseUrl, 'POST', `/api/v1/webhooks/${hook.id}/ping`, undefined, token); // wakes the subscription
      let got;
      for (;;) {
        got = await received();
        if (got.count >= DELIVERIES + 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // Recorded as delivered before the next round starts (not timed).
      for (;;) {
        const { rows: left } = await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'pending'",
          [hook.id],
        );
        if (left[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return rate(got);
    };
    const bareLoop = async (round: number) => {
      await ask(receiver, { reset: true });
      await ask(bare, {
        send: DELIVERIES,
        url: `${receiver.baseUrl}/hook`,
        secret: hook.secret,
        round: 10_000 + round,
      });
      return rate(await received());
    };
    await engine(0); // warm-up: connections, prepared statements, JIT
    await bareLoop(0);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? [engine, bareLoop] : [bareLoop, engine];
      const results = new Map<unknown, number>();
      for (const side of order) results.set(side, await side(round));
      ours.push(results.get(engine)!);
      theirs.push(results.get(bareLoop)!);
      log(`round ${round}: engine ${fmt(results.get(engine)!)}/s, bare loop ${fmt(results.get(bareLoop)!)}/s`);
    }
    const ratios = ours.map((o, i) => o / theirs[i]!);
    const m = median(ratios);
    const verdict = m >= 0.5 ? '≥ 0.5: met' : '≥ 0.5: NOT met';
    log(
      `engine: median ${fmt(median(ours))}/s (${range(ours, fmt)}); bare loop: median ${fmt(median(theirs))}/s (${range(theirs, fmt)})`,
    );
    log(`engine ÷ bare loop: median ${m.toFixed(2)} (${range(ratios, (n) => n.toFixed(2))}) — goal ${verdict}`);
    const title = 'webhook deliveries/s (one subscription, in order)';
    rows.push(
      [title, 'delivery engine (API)', `${fmt(median(ours))}/s (${range(ours, fmt)})`, ''],
      [title, 'bare client loop', `${fmt(median(theirs))}/s (${range(theirs, fmt)})`, ''],
      [title, 'engine ÷ bare loop', `**${m.toFixed(2)}** (${range(ratios, (n) => n.toFixed(2))})`, verdict],
    );

    // --- enqueue → start latency ------------------------------------------------------------------------------
    const latency = async (samples: number, enqueue: () => Promise<string>) => {
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) {
        const jobId = await enqueue();
        for (;;) {
          const { rows: r } = await pool.query<{ ms: number }>(
            `SELECT extract(epoch FROM r.started_at - j.created_on) * 1000 AS ms
               FROM job_runs r JOIN pgboss.job j ON j.id = r.job_id WHERE r.job_id = $1 AND r.status <> 'running'`,
            [jobId],
          );
          if (r[0]) {
            ms.push(Number(r[0].ms));
            break;
          }
          await new Promise((res) => setTimeout(res, 5));
        }
      }
      return ms;
    };
    log(`\n## jobs: enqueue → start latency (${LATENCY_JOB})`);
    const woken = await latency(
      WOKEN_SAMPLES,
      async () =>
        (await call<{ job_id: string }>(api.baseUrl, 'POST', `/api/v1/admin/jobs/${LATENCY_JOB}/run`, undefined, token))
          .job_id,
    );
    // Enqueued by another process (pg-boss on the same database, as an instance with JOBS_ENABLED=false does).
    const boss = new PgBoss({
      connectionString: env.databaseUrl,
      migrate: false,
      supervise: false,
      schedule: false,
      max: 1,
    });
    await boss.start();
    const polled = await latency(POLLED_SAMPLES, async () => (await boss.send(LATENCY_JOB, { trigger: 'enqueued' }))!);
    await boss.stop({ graceful: false, wait: true });
    for (const [name, xs] of [
      ['enqueued on the instance that runs it (worker woken)', woken],
      ['enqueued elsewhere (the worker polls, JOBS_POLL_INTERVAL_MS 2 s)', polled],
    ] as const) {
      const p50 = quantile(xs, 0.5);
      const p99 = quantile(xs, 0.99);
      log(`${name}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${xs.length} jobs)`);
      rows.push(['job enqueue → start', name, `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`, '']);
    }
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await pool.end();
  }
  return rows;
}
