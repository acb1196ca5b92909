// `npm run bench -- events` (issue 13): the change feed of the API as production runs it (its own process, Redis
// on, the relay leading in it), followed by SSE clients in another process (sides/sse-clients.ts), which also
// writes the commits it times and holds a bare LISTEN connection for the baseline. Write throughput with wrk.
//
//   latency     commit → client, p50/p99 over every client's arrival, with 1, 100 and 1,000 clients; side by
//               side (alternating each round) with a bare LISTEN/NOTIFY round trip on the same PostgreSQL.
//               Goal: feed p99 ≤ 3 × bare p99 + 10 ms at 1,000 clients.
//   writes      POST /beneficiaries, wrk with 10 connections, on the same server alternating each round: the
//               outbox on (trigger and NOTIFY), the outbox without its NOTIFY, the outbox off. Goal: on ÷ off ≥ 0.8.
//   sustained   events written into the outbox as fast as one connection can (transactions of 100) until each
//               of 100 clients has them all: events per second delivered to every client.
import path from 'node:path';
import pg from 'pg';
import { compare, fmt, httpSide, type Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { median, ROUNDS } from './knobs.js';
import { startSide } from './processes.js';
import type { Stage } from './stage.js';

const CLIENTS = (process.env.BENCH_EVENTS_CLIENTS ?? '1,100,1000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_EVENTS_SAMPLES ?? 20);
const FLOOD = Number(process.env.BENCH_EVENTS_FLOOD ?? 20_000);
const FLOOD_CLIENTS = 100;

type Reply = { error?: string } & Record<string, unknown>;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function clientsSide(env: BenchEnv, stage: Stage, projectId: string) {
  const side = await startSide(
    'SSE clients',
    'sse-clients.ts',
    {
      BENCH_API_URL: stage.api.baseUrl,
      BENCH_TOKEN: stage.asAdmin.authorization.slice('Bearer '.length),
      DATABASE_URL: env.databaseUrl,
      BENCH_PROJECT_ID: projectId,
    },
    path.join(env.dir, 'sse-clients.log'),
  );
  const ask = <T>(command: object) =>
    new Promise<T>((resolve, reject) => {
      side.child.once('message', (r: Reply) =>
        r.error ? reject(new Error(`SSE clients: ${r.error}`)) : resolve(r as T),
      );
      side.child.send(command);
    });
  return { ...side, ask };
}

export async function benchEvents(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const { log } = env;
  const rows: Row[] = [];
  const project = await fetch(`${stage.api.baseUrl}/api/v1/projects`, {
    method: 'POST',
    headers: { ...stage.asAdmin, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Bench events',
      start_date: '2026-01-01',
      end_date: '2026-12-31',
      coordinator_id: stage.adminId,
    }),
  });
  if (project.status !== 201) throw new Error(`POST /projects answered ${project.status}: ${await project.text()}`);
  const projectId = ((await project.json()) as { id: string }).id;
  const clients = await clientsSide(env, stage, projectId);
  try {
    log(`\n## events: commit → client latency (${SAMPLES} commits per side and round, ${ROUNDS} rounds)`);
    for (const n of CLIENTS) {
      await clients.ask({ open: n });
      await clients.ask({ latency: 3 }); // warm-up
      await clients.ask({ bare: 3 });
      const feed: number[] = [];
      const bare: number[] = [];
      const roundP99: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 ? (['bare', 'latency'] as const) : (['latency', 'bare'] as const);
        const got: Record<string, number[]> = {};
        for (const kind of order) got[kind] = (await clients.ask<{ ms: number[] }>({ [kind]: SAMPLES })).ms;
        feed.push(...got.latency!);
        bare.push(...got.bare!);
        roundP99.push(percentile(got.latency!, 99));
      }
      const [f50, f99, b50, b99] = [
        percentile(feed, 50),
        percentile(feed, 99),
        percentile(bare, 50),
        percentile(bare, 99),
      ];
      log(
        `${n} clients: feed p50 ${ms(f50)}, p99 ${ms(f99)} (per-round p99 ${ms(Math.min(...roundP99))}–${ms(Math.max(...roundP99))}); ` +
          `bare LISTEN/NOTIFY p50 ${ms(b50)}, p99 ${ms(b99)}`,
      );
      const scenario = `events: commit → client, ${n.toLocaleString('en-US')} SSE client${n === 1 ? '' : 's'}`;
      rows.push([scenario, 'feed p50 / p99', `${ms(f50)} / ${ms(f99)}`, '']);
      rows.push([scenario, 'bare LISTEN/NOTIFY p50 / p99', `${ms(b50)} / ${ms(b99)}`, '']);
      if (n === 1000) {
        const bound = 3 * b99 + 10;
        const verdict = f99 <= bound ? 'met' : 'NOT met';
        log(`goal p99 ≤ 3 × bare p99 + 10 ms = ${ms(bound)}: ${verdict}`);
        rows.push([scenario, 'feed p99 vs 3 × bare p99 + 10 ms', `${ms(f99)} vs ${ms(bound)}`, verdict]);
      }
    }

    await clients.ask({ close: true });
    await clients.ask({ open: FLOOD_CLIENTS });
    log(
      `\n## events: sustained delivery to ${FLOOD_CLIENTS} clients (${FLOOD.toLocaleString('en-US')} events per round)`,
    );
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { seconds } = await clients.ask<{ seconds: number }>({ flood: FLOOD, batch: 100 });
      rates.push(FLOOD / seconds);
      log(`round ${round + 1}: ${fmt(FLOOD / seconds)} events/s to each client`);
    }
    const m = median(rates);
    rows.push([
      `events: sustained, ${FLOOD_CLIENTS} SSE clients`,
      'events/s to each client',
      `${fmt(m)}/s (${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}); ${fmt(m * FLOOD_CLIENTS)} frames/s`,
      '',
    ]);
    await clients.ask({ close: true });
  } finally {
    await clients.stop();
  }

  // Writes with the outbox on and off, on the same server: the outbox trigger (one change_events row per changed
  // row) and the statement-level trigger on change_events that sends the NOTIFY. The middle side keeps the rows
  // and drops the NOTIFY, to tell the two costs apart (its commits skip the global notify lock).
  const admin = new pg.Client({ connectionString: env.databaseUrl });
  await admin.connect();
  const set = async (outbox: boolean, notify: boolean) => {
    await admin.query(`ALTER TABLE beneficiaries ${outbox ? 'ENABLE' : 'DISABLE'} TRIGGER beneficiaries_change_event`);
    await admin.query(`ALTER TABLE change_events ${notify ? 'ENABLE' : 'DISABLE'} TRIGGER change_events_wake`);
  };
  const post = [
    {
      method: 'POST' as const,
      path: '/api/v1/beneficiaries',
      headers: { ...stage.asAdmin, 'content-type': 'application/json' },
      body: JSON.stringify({ full_name: 'Bench Writer' }),
    },
  ];
  const write = httpSide('write', stage.api, post);
  const side = (name: string, outbox: boolean, notify: boolean) => ({
    name,
    measure: async (seconds: number) => {
      await set(outbox, notify);
      return write.measure(seconds);
    },
  });
  try {
    rows.push(
      ...(await compare(log, {
        title: 'events: POST /beneficiaries, 10 writers',
        sides: [side('outbox on', true, true), side('outbox, no NOTIFY', true, false), side('outbox off', false, true)],
        ratios: [
          ['outbox on', 'outbox off', 0.8],
          ['outbox, no NOTIFY', 'outbox off', null],
        ],
      })),
    );
  } finally {
    await set(true, true).catch(() => {});
    await admin.end();
  }
  return rows;
}
