// tap `before`: start the shared services in a detached process and wait until they are ready.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, STATE_FILE, type ServicesState } from './paths.js';
import { childEnv } from '../helpers/child-env.js';
import { waitFor } from '../helpers/wait.js';

fs.rmSync(STATE_FILE, { force: true });
fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
const logFile = fs.openSync(STATE_FILE.replace(/\.json$/, '.log'), 'w');
const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/setup/services.ts')], {
  detached: true,
  stdio: ['ignore', logFile, logFile],
  cwd: REPO,
  // The detached services process is not a child of the runner: tell it the runner's pid.
  env: childEnv({ ACOLHE_TAP_RUN: String(process.ppid) }),
});
child.unref();

await waitFor(() => fs.existsSync(STATE_FILE), {
  timeout: 120_000,
  interval: 100,
  what: 'the test services starting (see .tap/acolhe-services.log)',
});
const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ServicesState;
if (state.error) {
  console.error(`test services failed to start:\n${state.error}`);
  process.exit(1);
}
console.log(
  `# test services ready: PostgreSQL ${new URL(state.pgUrl).port}, Redis ${state.redisUrl ? new URL(state.redisUrl).port : 'none'}`,
);
