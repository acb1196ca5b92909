// Time from process start to a 200 from /health/ready:
//  - production (NODE_ENV=production against the bench's PostgreSQL and Redis): `npm start`'s launcher running
//    the compiled dist/server.js under plain node, against the TypeScript source under the tsx loader (what
//    npm start ran before the build), alternated over rounds;
//  - zero configuration (`npm start` on a fresh clone, development): a clean DATA_DIR (initdb, migrations, seed),
//    then again with it present.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { freePort } from '../../src/platform/embedded.js';
import { build, buildState } from '../build.mjs';
import type { Row } from './compare.js';
import type { BenchEnv } from './env.js';
import { median, ROUNDS } from './knobs.js';

const BACKEND = path.join(REPO_ROOT, 'apps/backend');
const COMPILED = [path.join(BACKEND, 'scripts/start.mjs')];
const TSX = ['--import', 'tsx', path.join(BACKEND, 'src/server.ts')];

async function timeToReady(args: string[], env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - t0;
      if (performance.now() - t0 > 120_000) throw new Error('not ready after 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function benchStartup(env: BenchEnv): Promise<Row[]> {
  const { log } = env;
  if (buildState() !== 'fresh') build(log);
  log(`\n## process start → /health/ready 200, production, ${ROUNDS} alternating rounds`);
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl ?? '',
    JWT_SECRET: env.jwtSecret,
  };
  const compiled: number[] = [];
  const tsx: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    compiled.push(await timeToReady(COMPILED, production));
    tsx.push(await timeToReady(TSX, production));
    log(`round ${round}: compiled ${compiled.at(-1)!.toFixed(0)} ms, tsx ${tsx.at(-1)!.toFixed(0)} ms`);
  }
  const ms = (xs: number[]) =>
    `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  log(`compiled (node scripts/start.mjs → dist/server.js): median ${ms(compiled)}`);
  log(`TypeScript under tsx (node --import tsx src/server.ts): median ${ms(tsx)}`);

  const dir = fs.mkdtempSync(path.join(env.dir, 'start-'));
  const zeroConfig = { NODE_ENV: 'development', DATA_DIR: path.join(dir, 'data') };
  const cold = await timeToReady(COMPILED, zeroConfig);
  const warm = await timeToReady(COMPILED, zeroConfig);
  fs.rmSync(dir, { recursive: true, force: true });
  log(
    `npm start with no configuration: clean DATA_DIR ${(cold / 1000).toFixed(1)} s; DATA_DIR present ${(warm / 1000).toFixed(1)} s`,
  );
  return [
    ['startup (production)', 'compiled, node', ms(compiled), ''],
    ['startup (production)', 'TypeScript under tsx', ms(tsx), ''],
    [
      'startup (zero configuration)',
      'clean DATA_DIR / present',
      `${(cold / 1000).toFixed(1)} s / ${(warm / 1000).toFixed(1)} s`,
      '',
    ],
  ];
}
