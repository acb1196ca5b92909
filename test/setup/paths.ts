// Where the per-run test services describe themselves to the test files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// One file per tap run (keyed by the runner's pid: before/after scripts and test files are all its
// children), so that two runs on one machine never share or stop each other's services.
export const TAP_RUN = process.env.ACOLHE_TAP_RUN ?? String(process.ppid);
export const STATE_FILE = path.join(REPO, '.tap', `acolhe-services-${TAP_RUN}.json`);
export const TEMPLATE_DB = 'acolhe_template';
export const TEST_ADMIN = { email: 'admin@acolhe.test', password: 'Test-admin-password-2026!' };

export interface ServicesState {
  pid: number;
  pgUrl: string;
  redisUrl: string | null;
  error?: string;
}
