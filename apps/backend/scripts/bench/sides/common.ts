// What every benchmark side process shares: its settings come from the environment the bench sets, the same
// statements as the API (imported from the repository), the same pool size, and one "ready" message to the
// bench over IPC (stdout is the side's log).
import pg from 'pg';
import { beneficiaryStatements } from '../../../src/modules/beneficiaries/repository.js';
import { Classification, CLASSIFICATION_QUERY } from '../../../src/platform/sensitive-data.js';
import { decodeCursor } from '../../../src/platform/pagination.js';
// The API's pg type parsers (bigint ids and dates as strings), so every side decodes rows the same way.
import type { Statement } from '../../../src/platform/db.js';
import '../../../src/platform/db.js';

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (side processes are started by npm run bench)`);
  return v;
};

/** The API's pool size (DB_POOL_MAX, default 10). */
export const createPool = () =>
  new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.DB_POOL_MAX ?? 10) });

export const ID = /^[1-9][0-9]{0,17}$/;
export const PAGE_SIZE = 20;
export const LIST_FILTER = { timezone: 'America/Sao_Paulo' };

/** The three statements every side runs, exactly as the API's repository builds them (from the classification). */
export async function statements(actorId: string, pool: pg.Pool) {
  const st = beneficiaryStatements(new Classification((await pool.query(CLASSIFICATION_QUERY)).rows));
  return {
    point: (id: string) => ({ ...st.getPublic, values: [id] }),
    sensitive: (id: string) => ({ ...st.getSensitive, values: [id, actorId, st.sensitiveFields] }),
    page: (after: [string, string] | null) => asQuery(st.list(LIST_FILTER, 'name', after, PAGE_SIZE)),
  };
}

/** A repository statement as pg's query config (its values array as is, as the API's db.run passes it). */
const asQuery = (s: Statement) => ({ text: s.text, values: s.values as unknown[], name: s.name });

/** A `?cursor=` made by the API (base64url JSON of [full_name, id]) → the keyset position. */
export function cursorOf(cursor: string | undefined): [string, string] | null {
  return decodeCursor(cursor, ['text', 'id']);
}

/** Tells the bench (over the IPC channel it opened) that this side listens on `port`. */
export function announce(port: number): void {
  process.send!({ ready: port });
}
