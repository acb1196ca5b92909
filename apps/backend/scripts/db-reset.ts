// `npm run db:reset`: wipes the embedded development database (DATA_DIR/postgres). The next `npm start`
// creates, migrates and seeds a fresh one. Refuses while a server is using it, and in production.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';
import { reachableDataDir } from '../src/platform/embedded.js';

try {
  const config = loadConfig();
  if (config.NODE_ENV === 'production') throw new ConfigError('db:reset never runs with NODE_ENV=production');
  const base = reachableDataDir(config.dataDir, () => {});
  const cluster = path.join(base, 'postgres');
  const pidFile = path.join(cluster, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // stale pid file: the server is gone
    }
    if (alive)
      throw new ConfigError(`the embedded PostgreSQL in ${cluster} is running (pid ${pid}): stop \`npm start\` first`);
  }
  for (const entry of ['postgres', 'postgres-password', 'admin-credentials.txt'])
    fs.rmSync(path.join(base, entry), { recursive: true, force: true });
  console.log(`wiped ${cluster}; the next \`npm start\` creates a fresh database (and a new admin password)`);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
