// npm run bench [-- scenario ...]: every figure the issues ask for, measured side by side in one run.
// Scenarios: http, platform, auth, events, reports, cache, startup, migrations, beneficiaries, seeds, jobs
// (default: all), and scale (only when named: it loads 1,000,000 beneficiaries).
// HTTP is measured one way only: wrk in its own process against servers in their own processes (wrk.ts).
import os from 'node:os';
import { table, type Row } from './compare.js';
import { inProcessApp, startBenchEnv } from './env.js';
import { benchEvents } from './events.js';
import { benchHttp, stagingData } from './http.js';
import { benchReports } from './reports.js';
import { summariseProfiles } from './profile.js';
import { benchAuth, benchSelectOne } from './platform.js';
import { benchCache } from './cache.js';
import { openStage, type Stage } from './stage.js';
import { benchStartup } from './startup.js';

const log = (line: string) => console.log(line);
const all = [
  'http',
  'platform',
  'auth',
  'events',
  'reports',
  'cache',
  'startup',
  'migrations',
  'beneficiaries',
  'seeds',
  'jobs',
  'scale',
];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  process.exit(2);
}
const run = (name: string) => (wanted.length === 0 && name !== 'scale') || wanted.includes(name);

const env = await startBenchEnv(log);
const rows: Row[] = [];
let stage: Stage | null = null;
try {
  log(`# Acolhe benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores`);
  if (run('http') || run('platform') || run('auth') || run('events') || run('reports') || run('cache')) {
    if (run('http') || run('reports')) await stagingData(env);
    stage = await openStage(env);
    if (run('http')) rows.push(...(await benchHttp(env, stage)));
    if (run('platform')) rows.push(...(await benchSelectOne(env, stage)));
    if (run('auth')) rows.push(...(await benchAuth(env, stage)));
    if (run('events')) rows.push(...(await benchEvents(env, stage)));
    if (run('reports')) rows.push(...(await benchReports(env, stage)));
    if (run('cache')) rows.push(...(await benchCache(env, stage)));
    await stage.close();
    if (stage.profileDir) summariseProfiles(stage.profileDir, log);
    stage = null;
  }
  if (run('migrations')) {
    const { benchMigrations } = await import('./migrations.js');
    log('\n## migrations: our engine vs dbmate');
    await benchMigrations({ adminUrl: env.adminUrl, log });
  }
  if (run('beneficiaries')) {
    const { benchBeneficiaries } = await import('./beneficiaries.js');
    const inProcess = await inProcessApp(env);
    log('\n## beneficiaries');
    try {
      await benchBeneficiaries({
        databaseUrl: env.databaseUrl,
        app: inProcess.app,
        headers: { authorization: `Bearer ${inProcess.token}` },
        log,
      });
    } finally {
      await inProcess.close();
    }
  }
  if (run('seeds')) {
    const { benchSeeds } = await import('./seeds.js');
    log('\n## seeds');
    await benchSeeds({ adminUrl: env.adminUrl, log });
  }
  if (run('jobs')) {
    const { benchJobs } = await import('./jobs.js');
    rows.push(...(await benchJobs(env)));
  }
  if (run('startup')) rows.push(...(await benchStartup(env)));
  if (run('scale')) {
    const { benchScale } = await import('./scale.js');
    await benchScale(env);
  }
  if (rows.length) {
    log('\n## summary (paste into docs/benchmarks.md)\n');
    for (const line of table(rows)) log(line);
  }
} finally {
  await (stage as Stage | null)?.close();
  await env.close();
}
process.exit(0);
