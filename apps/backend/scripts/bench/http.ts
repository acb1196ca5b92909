// `npm run bench -- http` (issue 11): the API as production runs it against the stack it replaces, over HTTP,
// with wrk in its own process. Every side runs the same statements (imported from the repository) on the same
// ids, over a pool of the same size (10), on a database holding the staging data set (100,000 beneficiaries).
//
// Sides (stage.ts starts them)
//   API      npm start's launcher → the compiled dist/server.js under plain node; NODE_ENV=production,
//            LOG_LEVEL=info (one access-log line per request, to a file), Redis on, metrics on.
//   Express  Express 5 + pg (sides/express.ts): the statement and JSON, nothing else.
//   bare     Fastify + pg with no plugins, hooks, schemas or logger (sides/fastify-bare.ts).
//   raw      the pg pool alone, no HTTP (sides/raw-pool.ts): as many loops as wrk has connections, each
//            awaiting one statement before sending the next; statements per second.
//   probe    the compiled app as buildApp assembles it plus a bench route running GET /auth/me's handler
//            without authentication (sides/api-probe.ts): the other half of the auth ratio.
import fs from 'node:fs';
import { generateStagingData } from '../staging/generate.js';
import { compare, httpSide, served, type Comparison, type Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { CONNECTIONS, ROUNDS, SECONDS } from './knobs.js';
import type { Stage } from './stage.js';

const BENEFICIARIES = Number(process.env.BENCH_HTTP_BENEFICIARIES ?? 100_000);
/** BENCH_HTTP_SCENARIOS=point,live: only these (point, sensitive, page, live, me); default all. */
const ONLY = process.env.BENCH_HTTP_SCENARIOS?.split(',').map((s) => s.trim());
const wanted = (key: string) => !ONLY || ONLY.includes(key);

const rawSide = (stage: Stage, kind: string) => ({
  name: 'raw pool',
  measure: async (seconds: number) => {
    const r = await (await stage.raw()).run(kind, seconds, CONNECTIONS);
    return { rps: r.qps, p99Ms: r.p99Ms };
  },
});

/** The data set the http scenario reads: what `npm run seed:staging -- --beneficiaries 100000 --seed 42` writes. */
export async function stagingData(env: BenchEnv): Promise<void> {
  const t0 = performance.now();
  await generateStagingData({
    connectionString: env.databaseUrl,
    config: env.config,
    beneficiaries: BENEFICIARIES,
    seed: 42,
    asOf: '2026-11-25',
    log: () => {},
  });
  env.log(
    `staging data: ${BENEFICIARIES.toLocaleString('en-US')} beneficiaries in ${((performance.now() - t0) / 1000).toFixed(0)} s (npm run seed:staging's generator, seed 42)`,
  );
}

export async function benchHttp(env: BenchEnv, stage: Stage): Promise<Row[]> {
  const { log } = env;
  log(`\n# http: wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per side, ${ROUNDS} rounds`);
  const rows: Row[] = [];
  const { api, asAdmin, asViewer, ids, cursors } = stage;
  const [express, bare, probe] = [await stage.express(), await stage.bare(), await stage.probe()];
  const byId = (f: (id: string) => string, headers?: Record<string, string>) =>
    ids.map((id) => ({ path: f(id), headers }));
  const pages = (prefix: string, headers?: Record<string, string>) =>
    cursors.map((c) => ({ path: `${prefix}cursor=${c}`, headers }));

  const comparisons: [string, Comparison][] = [
    [
      'point',
      {
        title: 'GET /beneficiaries/:id without read_sensitive',
        sides: [
          httpSide(
            'API',
            api,
            byId((id) => `/api/v1/beneficiaries/${id}`, asViewer),
          ),
          httpSide(
            'Express',
            express,
            byId((id) => `/beneficiaries/${id}`),
          ),
          httpSide(
            'bare Fastify',
            bare,
            byId((id) => `/beneficiaries/${id}`),
          ),
          rawSide(stage, 'point'),
        ],
        ratios: [
          ['API', 'Express', 2.0],
          ['API', 'raw pool', 0.5],
          ['API', 'bare Fastify', null],
        ],
      },
    ],
    [
      'sensitive',
      {
        title: 'GET /beneficiaries/:id with read_sensitive (audit row written)',
        sides: [
          httpSide(
            'API',
            api,
            byId((id) => `/api/v1/beneficiaries/${id}`, asAdmin),
          ),
          httpSide(
            'Express',
            express,
            byId((id) => `/beneficiaries/${id}/sensitive`),
          ),
          httpSide(
            'bare Fastify',
            bare,
            byId((id) => `/beneficiaries/${id}/sensitive`),
          ),
          rawSide(stage, 'sensitive'),
        ],
        ratios: [
          ['API', 'Express', 1.5],
          ['API', 'raw pool', null],
        ],
      },
    ],
    [
      'page',
      {
        title: 'keyset list page (20 by name, after a cursor)',
        sides: [
          httpSide('API', api, pages('/api/v1/beneficiaries?sort=name&limit=20&', asViewer)),
          httpSide('Express', express, pages('/beneficiaries?')),
          httpSide('bare Fastify', bare, pages('/beneficiaries?')),
          rawSide(stage, 'page'),
        ],
        ratios: [
          ['API', 'Express', null],
          ['API', 'raw pool', null],
        ],
      },
    ],
    [
      'live',
      {
        title: 'GET /health/live',
        sides: [
          httpSide('API', api, [{ path: '/health/live' }]),
          httpSide('bare Fastify', bare, [{ path: '/hello' }]),
          httpSide('Express', express, [{ path: '/hello' }]),
        ],
        ratios: [
          ['API', 'bare Fastify', 0.8],
          ['API', 'Express', null],
        ],
      },
    ],
    [
      'me',
      {
        title: 'GET /auth/me',
        sides: [
          httpSide('with a token', probe, [{ path: '/api/v1/auth/me', headers: asAdmin }]),
          httpSide('without auth', probe, [{ path: '/bench/me-without-auth' }]),
          httpSide('API', api, [{ path: '/api/v1/auth/me', headers: asAdmin }]),
        ],
        ratios: [['with a token', 'without auth', 0.8]],
      },
    ],
  ];
  for (const [key, comparison] of comparisons) if (wanted(key)) rows.push(...(await compare(log, comparison)));

  const lines = fs.readFileSync(stage.apiLog, 'utf8').split('\n').filter(Boolean);
  const access = lines.filter((l) => l.includes('"msg":"request completed"')).length;
  const requests = served.get(api) ?? 0;
  log(
    `\nAPI log: ${lines.length.toLocaleString('en-US')} lines for ${requests.toLocaleString('en-US')} requests sent by wrk ` +
      `(${access.toLocaleString('en-US')} access lines, ${(fs.statSync(stage.apiLog).size / Math.max(1, requests)).toFixed(0)} bytes per request)`,
  );
  return rows;
}
