import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const MIGRATIONS_DIR: string = path.resolve(here, '../migrations');
export const REPO_ROOT: string = path.resolve(here, '../../../../..');
export const SCHEMA_DUMP_PATH: string = path.join(REPO_ROOT, 'docs/database/schema.sql');
