// Time of `npm start` (the server entry) to a 200 from /health/ready: from a clean DATA_DIR, then again
// with the data directory present.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { freePort } from '../../src/platform/embedded.js';

async function timeToReady(dataDir: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'apps/backend/src/server.ts')], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
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
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function benchStartup(log: (line: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-start-'));
  try {
    log('\n## npm start → /health/ready 200');
    const cold = await timeToReady(path.join(dir, 'data'));
    const warm = await timeToReady(path.join(dir, 'data'));
    log(`clean DATA_DIR (initdb, migrate, seed): ${(cold / 1000).toFixed(1)} s`);
    log(`DATA_DIR present:                       ${(warm / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
