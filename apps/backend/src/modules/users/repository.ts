// SQL for staff accounts.
import type { Db, Executor } from '../../platform/db.js';
import { likePattern, SqlBuilder } from '../../platform/sql.js';

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
    list: (o: { q?: string; afterId: string | null; limit: number }, ex?: Executor) => {
      const q = new SqlBuilder()
        .filter(
          'q',
          o.q ? likePattern(o.q) : null,
          (v) =>
            `(immutable_unaccent(name) ILIKE immutable_unaccent(${v}) ESCAPE '\\' OR email::text ILIKE ${v} ESCAPE '\\')`,
        )
        .filter('after', o.afterId, (v) => `id > ${v}::bigint`);
      return db.many<UserRow>(
        q.statement(
          `SELECT ${COLUMNS} FROM users ${q.whereClause()} ORDER BY id LIMIT ${q.param(o.limit + 1)}`,
          'users-list',
        ),
        ex,
      );
    },

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
