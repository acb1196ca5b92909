// tap `after`: stop the shared services started by before.ts.
import fs from 'node:fs';
import { STATE_FILE, type ServicesState } from './paths.js';
import { waitFor } from '../helpers/wait.js';

if (fs.existsSync(STATE_FILE)) {
  const { pid } = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ServicesState;
  const gone = () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  if (!gone()) {
    process.kill(pid, 'SIGTERM');
    // Stopped within 20 s, or left to its own watchdog (services.ts): the run's result does not depend on it.
    await waitFor(gone, { timeout: 20_000, interval: 100, what: 'the test services stopping' }).catch(() => {});
  }
  fs.rmSync(STATE_FILE, { force: true });
}
