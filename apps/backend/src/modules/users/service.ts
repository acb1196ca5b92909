// Staff account rules: no self role change, no acting on a user whose role (before or after the change) holds
// a permission you do not hold, deactivation ends sessions. The last administrator is guarded by PostgreSQL
// (migration 202612011000): a change that would leave none fails with 409 last_administrator.
import type { Db, Executor } from '../../platform/db.js';
import { forbidden, notFound, conflict } from '../../platform/errors.js';
import type { Principal } from '../../platform/auth.js';
import type { AccessService } from '../access/index.js';
import type { AuthService } from '../auth/index.js';
import { assertPasswordPolicy } from '../../platform/password-policy.js';
import { hashPassword } from '../../platform/passwords.js';
import { toPage, decodeCursor } from '../../platform/pagination.js';
import type { UsersRepository } from './repository.js';

export function createUsersService(d: { db: Db; repo: UsersRepository; access: AccessService; auth: AuthService }) {
  const { db, repo } = d;

  /** The user locked for this transaction, after checking the actor may manage them (and grant `nextRole`). */
  async function lockManageable(actor: Principal, id: string, tx: Executor, nextRole?: string) {
    const user = await repo.lock(id, tx);
    if (!user) throw notFound('User');
    const roleChange = nextRole !== undefined && nextRole !== user.role;
    if (roleChange && id === actor.userId) throw forbidden('You cannot change your own role');
    await d.access.assertMayManageUser(actor, { current: user.role, next: roleChange ? nextRole : undefined }, tx);
    return { user, roleChange };
  }

  return {
    /** `reader`: where the list runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async list(q: { q?: string; limit: number; cursor?: string }, reader?: Executor) {
      const after = decodeCursor(q.cursor, ['id']);
      const rows = await repo.list({ q: q.q, afterId: after?.[0] ?? null, limit: q.limit }, reader);
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    async get(id: string) {
      const user = await repo.get(id);
      if (!user) throw notFound('User');
      return user;
    },

    async create(actor: Principal, body: { email: string; name: string; role: string; password: string }) {
      assertPasswordPolicy(body.password, body.email);
      const passwordHash = await hashPassword(body.password);
      return db.transaction(
        async (tx) => {
          await d.access.assertMayManageUser(actor, { next: body.role }, tx);
          return repo.insert({ ...body, passwordHash, actorId: actor.userId }, tx);
        },
        { userId: actor.userId },
      );
    },

    async update(actor: Principal, id: string, patch: { email?: string; name?: string; role?: string }) {
      const { user, roleChange } = await db.transaction(
        async (tx) => {
          const { roleChange } = await lockManageable(actor, id, tx, patch.role);
          return { user: (await repo.update(id, patch, actor.userId, tx))!, roleChange };
        },
        { userId: actor.userId },
      );
      // The role travels in access tokens: end the sessions so the new role applies at once.
      if (roleChange) await d.auth.revokeAllSessions(id);
      return user;
    },

    async setActive(actor: Principal, id: string, active: boolean) {
      if (id === actor.userId && !active) throw conflict('You cannot deactivate your own account', 'self_deactivation');
      const user = await db.transaction(
        async (tx) => {
          await lockManageable(actor, id, tx);
          return (await repo.update(id, { active }, actor.userId, tx))!;
        },
        { userId: actor.userId },
      );
      if (!active) await d.auth.revokeAllSessions(id);
      return user;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
