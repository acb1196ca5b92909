// tap `after`: stop the shared services started by before.ts.
import fs from 'node:fs';
import { STATE_FILE, type ServicesState } from './paths.js';

if (fs.existsSync(STATE_FILE)) {
  const { pid } = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ServicesState;
  try {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch {
    // gone: stopped
  }
  fs.rmSync(STATE_FILE, { force: true });
}
