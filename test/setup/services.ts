// One embedded PostgreSQL and one redis-server for a whole `npm test` run. Started detached by
// before.ts (tap's before script must exit), stopped by after.ts with SIGTERM.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureDatabase,
  startEmbeddedPostgres,
  startEmbeddedRedis,
  type EmbeddedServer,
} from '../../apps/backend/src/platform/embedded.js';
import { migrateUp } from '../../apps/backend/src/database/migrator.js';
import { runInitialSeed } from '../../apps/backend/src/database/seed/initial-data.js';
import { loadConfig } from '../../apps/backend/src/config.js';
import { STATE_FILE, TEMPLATE_DB, TEST_ADMIN, type ServicesState } from './paths.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-test-'));
const started: EmbeddedServer[] = [];
const log = (line: string) => process.stderr.write(`[test services] ${line}\n`);

async function stop(code: number) {
  for (const s of started.reverse()) await s.stop().catch(() => {});
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}

function write(state: ServicesState) {
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  fs.writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state));
  fs.renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// Never outlive a crashed test run for long.
setTimeout(() => void stop(1), 85 * 60_000).unref();

try {
  const pg = await startEmbeddedPostgres({ dataDir, log, persistent: false, fast: true });
  started.push(pg);
  const redis = await startEmbeddedRedis(log);
  if (redis) started.push(redis);
  const templateUrl = await ensureDatabase(pg.url, TEMPLATE_DB);
  await migrateUp({ connectionString: templateUrl, log: () => {} });
  const config = loadConfig({
    NODE_ENV: 'test',
    SEED_ADMIN_EMAIL: TEST_ADMIN.email,
    SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
  });
  await runInitialSeed({ connectionString: templateUrl, config, log: () => {} });
  write({ pid: process.pid, pgUrl: pg.url, redisUrl: redis?.url ?? null });
  setInterval(() => {}, 60_000);
} catch (err) {
  write({ pid: process.pid, pgUrl: '', redisUrl: null, error: (err as Error).stack ?? String(err) });
  await stop(1);
}
