// Staff account rules: no self role change, no granting more than you hold, deactivation ends sessions.
import type { Db } from '../../platform/db.js';
import { forbidden, notFound, unprocessable, conflict } from '../../platform/errors.js';
import type { Principal } from '../../platform/auth.js';
import type { AccessService } from '../access/index.js';
import type { AuthService } from '../auth/index.js';
import { assertPasswordPolicy } from '../../platform/password-policy.js';
import { hashPassword } from '../../platform/passwords.js';
import { toPage, decodeCursor } from '../../platform/pagination.js';
import type { UsersRepository } from './repository.js';

export function createUsersService(d: { db: Db; repo: UsersRepository; access: AccessService; auth: AuthService }) {
  const { db, repo } = d;

  /** A role may be given only by someone who holds every permission it carries. */
  async function assertCanGrant(actor: Principal, role: string) {
    if (!(await d.access.roleExists(role)))
      throw unprocessable(`Unknown role ${role}`, [{ path: 'body.role', message: 'is not a role' }]);
    const missing = [...(await d.access.permissionsOf(role))].filter((p) => !actor.permissions.has(p));
    if (missing.length)
      throw forbidden(`You cannot grant role ${role}: it holds permissions you do not have (${missing.join(', ')})`);
  }

  return {
    async list(q: { q?: string; limit: number; cursor?: string }) {
      const after = decodeCursor(q.cursor, ['id']);
      const rows = await repo.list({ q: q.q, afterId: after?.[0] ?? null, limit: q.limit });
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    async get(id: string) {
      const user = await repo.get(id);
      if (!user) throw notFound('User');
      return user;
    },

    async create(actor: Principal, body: { email: string; name: string; role: string; password: string }) {
      assertPasswordPolicy(body.password, body.email);
      await assertCanGrant(actor, body.role);
      const passwordHash = await hashPassword(body.password);
      return db.transaction((tx) => repo.insert({ ...body, passwordHash, actorId: actor.userId }, tx), {
        userId: actor.userId,
      });
    },

    async update(actor: Principal, id: string, patch: { email?: string; name?: string; role?: string }) {
      const before = await this.get(id);
      const roleChange = patch.role !== undefined && patch.role !== before.role;
      if (roleChange) {
        if (id === actor.userId) throw forbidden('You cannot change your own role');
        await assertCanGrant(actor, patch.role!);
      }
      const user = await db.transaction((tx) => repo.update(id, patch, actor.userId, tx), { userId: actor.userId });
      if (!user) throw notFound('User');
      // The role travels in access tokens: end the sessions so the new role applies at once.
      if (roleChange) await d.auth.revokeAllSessions(id);
      return user;
    },

    async setActive(actor: Principal, id: string, active: boolean) {
      if (id === actor.userId && !active) throw conflict('You cannot deactivate your own account', 'self_deactivation');
      const user = await db.transaction((tx) => repo.update(id, { active }, actor.userId, tx), {
        userId: actor.userId,
      });
      if (!user) throw notFound('User');
      if (!active) await d.auth.revokeAllSessions(id);
      return user;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
