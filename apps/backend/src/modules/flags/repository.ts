// SQL for feature_flags.
import type { Db, Executor } from '../../platform/db.js';
import type { FlagState } from './evaluate.js';

const COLUMNS = 'key, enabled, roles, user_ids::text[] AS user_ids, percentage, version, updated_at, updated_by';

export interface FlagChange {
  enabled: boolean;
  roles: string[];
  user_ids: string[];
  percentage: number;
}

export function createFlagsRepository(db: Db) {
  return {
    states: (ex?: Executor) =>
      db.many<FlagState>({ name: 'flags-states', text: `SELECT ${COLUMNS} FROM feature_flags ORDER BY key` }, ex),

    /** The flag's state, locked until the transaction ends (null: never set). */
    lock: (key: string, ex: Executor) =>
      db.maybeOne<FlagState>(
        { text: `SELECT ${COLUMNS} FROM feature_flags WHERE key = $1 FOR UPDATE`, values: [key] },
        ex,
      ),

    /** The names among `roles` that are not roles, and the ids among `userIds` that are not users. */
    unknownTargets: (roles: string[], userIds: string[], ex: Executor) =>
      db.one<{ roles: string[]; user_ids: string[] }>(
        {
          text: `SELECT ARRAY(SELECT r FROM unnest($1::text[]) AS r WHERE r NOT IN (SELECT name FROM roles)) AS roles,
                        ARRAY(SELECT u::text FROM unnest($2::bigint[]) AS u WHERE u NOT IN (SELECT id FROM users)) AS user_ids`,
          values: [roles, userIds],
        },
        ex,
      ),

    upsert: (key: string, c: FlagChange, actorId: string, ex: Executor) =>
      db.one<FlagState>(
        {
          text: `INSERT INTO feature_flags (key, enabled, roles, user_ids, percentage, created_by, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (key) DO UPDATE SET enabled = EXCLUDED.enabled, roles = EXCLUDED.roles,
                   user_ids = EXCLUDED.user_ids, percentage = EXCLUDED.percentage, updated_by = EXCLUDED.updated_by,
                   version = feature_flags.version + 1
                 RETURNING ${COLUMNS}`,
          values: [key, c.enabled, c.roles, c.user_ids, c.percentage, actorId],
        },
        ex,
      ),
  };
}

export type FlagsRepository = ReturnType<typeof createFlagsRepository>;
