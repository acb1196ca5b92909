/**
 * The migration engine: timestamped UP/DOWN SQL files tracked in
 * `public.schema_migrations`. Used by the CLI (scripts/migrate.ts), the server
 * (readiness, `npm start`) and the tests. Depends on `pg` only.
 *
 * This file is its public entry; the parts live in `migrator/`: parse (files →
 * statements), history (schema_migrations and status), plan (what a run takes),
 * connection (the advisory lock), runner (executing a plan), dump (schema.sql).
 *
 * Why not an off-the-shelf tool: docs/adr/0001-migration-engine.md.
 * How to write a migration: docs/database/migrations.md.
 */
export { DEFAULT_LOCK_TIMEOUT_MS, MIGRATION_LOCK_KEY } from './migrator/connection.js';
export { dumpSchema, writeSchemaDump } from './migrator/dump.js';
export { MigrationError } from './migrator/errors.js';
export {
  isUpToDate,
  readStatus,
  statusOf,
  type AppliedMigration,
  type MigrationStatus,
  type Queryable,
} from './migrator/history.js';
export { checksumOf, loadMigrations, parseMigration, splitStatements, type MigrationFile } from './migrator/parse.js';
export { MIGRATIONS_DIR, REPO_ROOT, SCHEMA_DUMP_PATH } from './migrator/paths.js';
export {
  migrateDown,
  migrateRedo,
  migrateUp,
  type DownOptions,
  type RunOptions,
  type RunResult,
  type StepReport,
  type UpOptions,
} from './migrator/runner.js';
