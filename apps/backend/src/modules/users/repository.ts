// SQL for staff accounts.
import type { Db, Executor } from '../../platform/db.js';
import { likePattern } from '../../platform/sql.js';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, email, name, role, active, last_login_at, created_at, updated_at';

export function createUsersRepository(db: Db) {
  return {
    list: (o: { q?: string; afterId: string | null; limit: number }, ex?: Executor) =>
      db.many<UserRow>(
        {
          name: 'users-list',
          text: `SELECT ${COLUMNS} FROM users
                  WHERE ($1::text IS NULL OR immutable_unaccent(name) ILIKE immutable_unaccent($1) ESCAPE '\\' OR email::text ILIKE $1 ESCAPE '\\')
                    AND ($2::bigint IS NULL OR id > $2)
                  ORDER BY id LIMIT $3`,
          values: [o.q ? likePattern(o.q) : null, o.afterId, o.limit + 1],
        },
        ex,
      ),

    get: (id: string, ex?: Executor) =>
      db.maybeOne<UserRow>({ name: 'users-get', text: `SELECT ${COLUMNS} FROM users WHERE id = $1`, values: [id] }, ex),

    /** The user, row-locked until the transaction ends (the rules are checked against this state). */
    lock: (id: string, ex: Executor) =>
      db.maybeOne<UserRow>({ text: `SELECT ${COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, values: [id] }, ex),

    insert: (u: { email: string; name: string; role: string; passwordHash: string; actorId: string }, ex?: Executor) =>
      db.one<UserRow>(
        {
          text: `INSERT INTO users (email, name, role, password_hash, created_by, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${COLUMNS}`,
          values: [u.email, u.name, u.role, u.passwordHash, u.actorId],
        },
        ex,
      ),

    update: (
      id: string,
      p: { email?: string; name?: string; role?: string; active?: boolean },
      actorId: string,
      ex?: Executor,
    ) =>
      db.maybeOne<UserRow>(
        {
          text: `UPDATE users SET email = COALESCE($2, email), name = COALESCE($3, name), role = COALESCE($4, role),
                        active = COALESCE($5, active), updated_by = $6
                  WHERE id = $1 RETURNING ${COLUMNS}`,
          values: [id, p.email ?? null, p.name ?? null, p.role ?? null, p.active ?? null, actorId],
        },
        ex,
      ),
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
