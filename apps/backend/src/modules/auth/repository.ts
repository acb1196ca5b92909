// SQL for sign-in: users by e-mail, sessions and password reset tokens.
import type { Db, Executor } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
}

export interface LoginUserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  password_hash: string;
}

const SESSION_COLUMNS = 'id, user_id, created_at, last_used_at, expires_at, user_agent, host(ip) AS ip';

export function createAuthRepository(db: Db) {
  return {
    userByEmail: (email: string, ex?: Executor) =>
      db.maybeOne<LoginUserRow>(
        {
          name: 'auth-user-by-email',
          text: 'SELECT id, email, name, role, active, password_hash FROM users WHERE email = $1',
          values: [email],
        },
        ex,
      ),

    userById: (id: string, ex?: Executor) =>
      db.maybeOne<LoginUserRow>(
        {
          name: 'auth-user-by-id',
          text: 'SELECT id, email, name, role, active, password_hash FROM users WHERE id = $1',
          values: [id],
        },
        ex,
      ),

    touchLogin: (userId: string, ex?: Executor) =>
      db.execute(
        { name: 'auth-touch-login', text: 'UPDATE users SET last_login_at = now() WHERE id = $1', values: [userId] },
        ex,
      ),

    setPassword: (userId: string, hash: string, ex?: Executor) =>
      db.execute(
        { text: 'UPDATE users SET password_hash = $2, updated_by = $1 WHERE id = $1', values: [userId, hash] },
        ex,
      ),

    insertSession: (
      s: { userId: string; tokenHash: Buffer; ttlSeconds: number; userAgent: string | null; ip: string | null },
      ex?: Executor,
    ) =>
      db.one<SessionRow>(
        {
          name: 'auth-insert-session',
          text: `INSERT INTO sessions (user_id, refresh_token_hash, expires_at, user_agent, ip)
                 VALUES ($1, $2, now() + make_interval(secs => $3), left($4, 512), $5::inet)
                 RETURNING ${SESSION_COLUMNS}`,
          values: [s.userId, s.tokenHash, s.ttlSeconds, s.userAgent, s.ip],
        },
        ex,
      ),

    /** The session a refresh token belongs to, as current or as previous (rotated) token; locked for rotation. */
    sessionByRefreshHash: (hash: Buffer, ex: Executor) =>
      db.maybeOne<{
        id: string;
        user_id: string;
        current: boolean;
        rotated_at: Date | null;
        expires_at: Date;
        revoked_at: Date | null;
      }>(
        {
          name: 'auth-session-by-refresh',
          text: `SELECT id, user_id, refresh_token_hash = $1 AS current, rotated_at, expires_at, revoked_at
                   FROM sessions WHERE refresh_token_hash = $1 OR previous_token_hash = $1
                  ORDER BY (refresh_token_hash = $1) DESC LIMIT 1 FOR UPDATE`,
          values: [hash],
        },
        ex,
      ),

    rotateSession: (id: string, newHash: Buffer, ex: Executor) =>
      db.execute(
        {
          name: 'auth-rotate-session',
          text: `UPDATE sessions SET previous_token_hash = refresh_token_hash, refresh_token_hash = $2,
                        rotated_at = now(), last_used_at = now() WHERE id = $1`,
          values: [id, newHash],
        },
        ex,
      ),

    activeSession: (userId: string, sessionId: string, ex?: Executor) =>
      db.maybeOne<{ expires_at: Date }>(
        {
          name: 'auth-active-session',
          text: `SELECT expires_at FROM sessions
                  WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
                    AND EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.active)`,
          values: [sessionId, userId],
        },
        ex,
      ),

    listActiveSessions: (userId: string, ex?: Executor) =>
      db.many<SessionRow>(
        {
          text: `SELECT ${SESSION_COLUMNS} FROM sessions
                  WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY last_used_at DESC, id`,
          values: [userId],
        },
        ex,
      ),

    /** Revokes sessions of a user: one (`only`), all, or all but one (`except`). Returns the revoked ids. */
    revokeSessions: async (userId: string, o: { only?: string; except?: string }, ex?: Executor) => {
      const q = new SqlBuilder();
      q.where(`user_id = ${q.param(userId)}`)
        .where('revoked_at IS NULL')
        .filter('only', o.only, (v) => `id = ${v}::uuid`)
        .filter('except', o.except, (v) => `id <> ${v}::uuid`);
      const rows = await db.many<{ id: string }>(
        q.statement(`UPDATE sessions SET revoked_at = now() ${q.whereClause()} RETURNING id`),
        ex,
      );
      return rows.map((r) => r.id);
    },

    /** The user's one reset token (password_resets_user_id_key): a new request replaces the earlier one. */
    replacePasswordReset: (userId: string, tokenHash: Buffer, ttlSeconds: number, ex?: Executor) =>
      db.execute(
        {
          text: `INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
                 ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at,
                        expires_at = EXCLUDED.expires_at, used_at = NULL`,
          values: [userId, tokenHash, ttlSeconds],
        },
        ex,
      ),

    /** Marks a valid reset token used (single use) and returns its user, or null. */
    consumePasswordReset: (tokenHash: Buffer, ex: Executor) =>
      db.maybeOne<{ user_id: string }>(
        {
          text: `UPDATE password_resets SET used_at = now()
                  WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
                    AND EXISTS (SELECT 1 FROM users u WHERE u.id = password_resets.user_id AND u.active)
                RETURNING user_id`,
          values: [tokenHash],
        },
        ex,
      ),

    /** Up to `batch` sessions past their expiry (nothing can use them any more); returns how many went. */
    deleteExpiredSessions: (batch: number, ex?: Executor) =>
      db.execute(
        {
          name: 'auth-prune-sessions',
          text: `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < now() LIMIT $1)`,
          values: [batch],
        },
        ex,
      ),

    /** Up to `batch` reset tokens past their expiry, used or not. */
    deleteExpiredPasswordResets: (batch: number, ex?: Executor) =>
      db.execute(
        {
          name: 'auth-prune-password-resets',
          text: `DELETE FROM password_resets WHERE id IN (SELECT id FROM password_resets WHERE expires_at < now() LIMIT $1)`,
          values: [batch],
        },
        ex,
      ),
  };
}

export type AuthRepository = ReturnType<typeof createAuthRepository>;
