// Sign-in rules: login, rotation of refresh tokens with reuse detection, logout, password changes and resets.
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';
import { AppError, conflict, notFound, unauthorized } from '../../platform/errors.js';
import type { Mailer } from '../../platform/mailer.js';
import type { RateCounters } from '../../platform/rate-limit.js';
import type { AuthRepository } from './repository.js';
import type { SessionStore } from './session-store.js';
import { createLoginThrottle } from './login-throttle.js';
import { assertPasswordPolicy } from '../../platform/password-policy.js';
import { hashPassword, verifyPassword } from '../../platform/passwords.js';
import { hashToken, newOpaqueToken } from '../../platform/tokens.js';
import { removeInBatches } from '../../platform/batches.js';

export interface ClientMeta {
  ip: string;
  userAgent: string | null;
}

export interface AuthServiceDeps {
  config: Config;
  db: Db;
  repo: AuthRepository;
  sessionStore: SessionStore;
  counters: RateCounters;
  mailer: Mailer;
  signAccessToken: (claims: { sub: string; sid: string; role: string }) => string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const INVALID_LOGIN = 'Invalid e-mail or password';

export function createAuthService(d: AuthServiceDeps) {
  const { config, db, repo } = d;
  const throttle = createLoginThrottle(d.counters, {
    maxPerEmail: config.LOGIN_MAX_ATTEMPTS,
    maxPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
  });

  const pair = (user: { id: string; role: string }, sessionId: string, refreshToken: string) => ({
    access_token: d.signAccessToken({ sub: user.id, sid: sessionId, role: user.role }),
    token_type: 'Bearer' as const,
    expires_in: config.ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
  });

  async function revoke(userId: string, o: { only?: string; except?: string }) {
    const ids = await repo.revokeSessions(userId, o);
    await d.sessionStore.revoked(userId, ids);
    return ids;
  }

  return {
    revokeAllSessions: (userId: string) => revoke(userId, {}),

    /** The hourly prune job: expired sessions and password reset tokens. */
    async pruneExpired() {
      return {
        sessions: await removeInBatches(repo.deleteExpiredSessions),
        password_resets: await removeInBatches(repo.deleteExpiredPasswordResets),
      };
    },

    async login(email: string, password: string, meta: ClientMeta) {
      await throttle.attempt(email, meta.ip);
      const user = await repo.userByEmail(email);
      // Unknown e-mails are verified against a dummy hash: same answer, about the same time.
      const ok = await verifyPassword(user?.password_hash ?? null, password);
      if (!ok || !user || !user.active) throw unauthorized(INVALID_LOGIN);
      await throttle.succeeded(email, meta.ip);
      const refreshToken = newOpaqueToken();
      const session = await db.transaction(async (tx) => {
        const s = await repo.insertSession(
          {
            userId: user.id,
            tokenHash: hashToken(refreshToken),
            ttlSeconds: config.SESSION_TTL_SECONDS,
            userAgent: meta.userAgent,
            ip: meta.ip,
          },
          tx,
        );
        await repo.touchLogin(user.id, tx);
        return s;
      });
      return pair(user, session.id, refreshToken);
    },

    async refresh(refreshToken: string) {
      const newToken = newOpaqueToken();
      const outcome = await db.transaction(async (tx) => {
        const s = await repo.sessionByRefreshHash(hashToken(refreshToken), tx);
        if (!s || s.revoked_at || s.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
        if (!s.current) {
          const age = (Date.now() - (s.rotated_at?.getTime() ?? 0)) / 1000;
          if (age <= config.REFRESH_REUSE_GRACE_SECONDS) return { kind: 'superseded' as const };
          // A rotated token presented again after the grace window: assume theft, end the whole session.
          await repo.revokeSessions(s.user_id, { only: s.id }, tx);
          return { kind: 'reused' as const, userId: s.user_id, sessionId: s.id };
        }
        const user = await repo.userById(s.user_id, tx);
        if (!user?.active) return { kind: 'invalid' as const };
        await repo.rotateSession(s.id, hashToken(newToken), tx);
        return { kind: 'ok' as const, user, sessionId: s.id };
      });
      switch (outcome.kind) {
        case 'ok':
          return pair(outcome.user, outcome.sessionId, newToken);
        case 'superseded':
          // Two tabs refreshing at once: the other tab already holds the new token; the session lives on.
          throw conflict('This refresh token has just been rotated; use the newest one', 'refresh_token_superseded');
        case 'reused':
          await d.sessionStore.revoked(outcome.userId, [outcome.sessionId]);
          d.log.warn(
            { user_id: outcome.userId, session_id: outcome.sessionId },
            'refresh token reuse detected: session revoked',
          );
          throw unauthorized('The session has ended; sign in again');
        default:
          throw unauthorized('Invalid or expired refresh token');
      }
    },

    logout: (userId: string, sessionId: string) => revoke(userId, { only: sessionId }).then(() => undefined),
    logoutAll: (userId: string) => revoke(userId, {}).then(() => undefined),

    async listSessions(userId: string, currentSessionId: string) {
      const rows = await repo.listActiveSessions(userId);
      return rows.map((r) => ({ ...r, current: r.id === currentSessionId }));
    },

    async deleteSession(userId: string, sessionId: string) {
      const ids = await revoke(userId, { only: sessionId });
      if (!ids.length) throw notFound('Session');
    },

    async me(userId: string) {
      const user = await repo.userById(userId);
      if (!user) throw notFound('User');
      return user;
    },

    async changePassword(userId: string, sessionId: string, current: string, next: string) {
      const user = await repo.userById(userId);
      if (!user || !(await verifyPassword(user.password_hash, current))) {
        throw new AppError(422, 'wrong_password', 'The current password is wrong', [
          { path: 'body.current_password', message: 'is wrong' },
        ]);
      }
      assertPasswordPolicy(next, user.email, 'new_password');
      await repo.setPassword(userId, await hashPassword(next));
      await revoke(userId, { except: sessionId });
    },

    /** Always succeeds from the caller's view: whether the e-mail exists is never revealed. */
    async requestPasswordReset(email: string) {
      const user = await repo.userByEmail(email);
      if (!user?.active) return;
      const token = newOpaqueToken();
      await repo.replacePasswordReset(user.id, hashToken(token), config.PASSWORD_RESET_TTL_SECONDS);
      const link = `${config.PUBLIC_URL.replace(/\/$/, '')}/reset-password?token=${token}`;
      await d.mailer.sendPasswordReset({ userId: user.id, email: user.email }, link).catch((err: Error) => {
        d.log.warn({ user_id: user.id, err: { message: err.message } }, 'password reset e-mail failed');
      });
    },

    async confirmPasswordReset(token: string, newPassword: string) {
      await db
        .transaction(async (tx) => {
          const row = await repo.consumePasswordReset(hashToken(token), tx);
          if (!row) throw new AppError(400, 'invalid_reset_token', 'The reset link is invalid, used or expired');
          const user = await repo.userById(row.user_id, tx);
          assertPasswordPolicy(newPassword, user?.email, 'new_password');
          await repo.setPassword(row.user_id, await hashPassword(newPassword), tx);
          const ids = await repo.revokeSessions(row.user_id, {}, tx);
          return { userId: row.user_id, ids };
        })
        .then(({ userId, ids }) => d.sessionStore.revoked(userId, ids));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
