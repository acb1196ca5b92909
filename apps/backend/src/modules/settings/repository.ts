// SQL for settings and the organisation's logo.
import type { Db, Executor } from '../../platform/db.js';

export interface SettingRow {
  key: string;
  value: unknown;
  version: number;
  updated_at: Date;
  updated_by: string | null;
}

export interface LogoInfo {
  content_type: 'image/png' | 'image/jpeg';
  byte_size: number;
  sha256: string;
  version: number;
  updated_at: Date;
  updated_by: string | null;
}

const LOGO_INFO = 'content_type, octet_length(content) AS byte_size, sha256, version, updated_at, updated_by';

export function createSettingsRepository(db: Db) {
  return {
    rows: (ex?: Executor) =>
      db.many<SettingRow>(
        {
          name: 'settings-rows',
          text: 'SELECT key, value, version, updated_at, updated_by FROM settings ORDER BY key',
        },
        ex,
      ),

    /**
     * Serialises writers of settings until the transaction ends (readers are not blocked) and answers the
     * current revision: the highest version written, 1 when nothing was ever set.
     */
    lockRevision: async (ex: Executor) => {
      await db.execute({ text: 'LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE' }, ex);
      return (
        await db.one<{ revision: number }>({ text: 'SELECT coalesce(max(version), 1) AS revision FROM settings' }, ex)
      ).revision;
    },

    /** Writes the values that differ from the stored ones, at `version`; answers the keys it changed. */
    upsert: async (values: [string, unknown][], version: number, actorId: string, ex: Executor) =>
      (
        await db.many<{ key: string }>(
          {
            text: `INSERT INTO settings (key, value, version, created_by, updated_by)
                   SELECT k, v, $3, $4, $4 FROM unnest($1::text[], $2::jsonb[]) AS s (k, v)
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
                                                   updated_by = EXCLUDED.updated_by
                    WHERE settings.value IS DISTINCT FROM EXCLUDED.value
                   RETURNING key`,
            values: [values.map(([k]) => k), values.map(([, v]) => JSON.stringify(v)), version, actorId],
          },
          ex,
        )
      ).map((r) => r.key),

    logoInfo: (ex?: Executor) =>
      db.maybeOne<LogoInfo>({ name: 'settings-logo-info', text: `SELECT ${LOGO_INFO} FROM organisation_logo` }, ex),

    /** The bytes of the logo whose hash is `sha256` (null once it was replaced). */
    logoContent: (sha256: string, ex?: Executor) =>
      db.maybeOne<{ content: Buffer; content_type: LogoInfo['content_type'] }>(
        {
          name: 'settings-logo-content',
          text: 'SELECT content, content_type FROM organisation_logo WHERE sha256 = $1',
          values: [sha256],
        },
        ex,
      ),

    putLogo: (logo: { content: Buffer; contentType: string; sha256: string }, actorId: string, ex: Executor) =>
      db.one<LogoInfo>(
        {
          text: `INSERT INTO organisation_logo (id, content, content_type, sha256, created_by, updated_by)
                 VALUES (1, $1, $2, $3, $4, $4)
                 ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, content_type = EXCLUDED.content_type,
                   sha256 = EXCLUDED.sha256, updated_by = EXCLUDED.updated_by, version = organisation_logo.version + 1
                 RETURNING ${LOGO_INFO}`,
          values: [logo.content, logo.contentType, logo.sha256, actorId],
        },
        ex,
      ),

    deleteLogo: (ex: Executor) => db.execute({ text: 'DELETE FROM organisation_logo' }, ex),
  };
}

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
