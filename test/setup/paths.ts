// Where the per-run test services describe themselves to the test files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STATE_FILE = path.join(REPO, '.tap', 'acolhe-services.json');
export const TEMPLATE_DB = 'acolhe_template';
export const TEST_ADMIN = { email: 'admin@acolhe.test', password: 'Test-admin-password-2026!' };

export interface ServicesState {
  pid: number;
  pgUrl: string;
  redisUrl: string | null;
  error?: string;
}
