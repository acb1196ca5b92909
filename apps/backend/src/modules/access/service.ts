// Roles and their permission sets. Nobody grants a permission they do not hold.
import type { Db } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { forbidden, notFound, unprocessable } from '../../platform/errors.js';
import type { AccessRepository } from './repository.js';
import type { PermissionStore } from './permission-store.js';

export function createAccessService(d: { db: Db; repo: AccessRepository; store: PermissionStore }) {
  const { db, repo, store } = d;

  async function assertGrantable(actor: Principal, permissions: string[]) {
    const unknown = await repo.unknownPermissions(permissions);
    if (unknown.length)
      throw unprocessable(`Unknown permissions: ${unknown.join(', ')}`, [
        { path: 'body.permissions', message: `unknown: ${unknown.join(', ')}` },
      ]);
    const missing = permissions.filter((p) => !actor.permissions.has(p));
    if (missing.length) throw forbidden(`You cannot grant permissions you do not hold (${missing.join(', ')})`);
  }

  return {
    permissionsOf: store.permissionsOf,
    roleExists: async (name: string) => (await repo.getRole(name)) !== null,
    listRoles: () => repo.listRoles(),
    listPermissions: () => repo.listPermissions(),

    async getRole(name: string) {
      const role = await repo.getRole(name);
      if (!role) throw notFound('Role');
      return role;
    },

    async createRole(actor: Principal, body: { name: string; description: string; permissions: string[] }) {
      const permissions = [...new Set(body.permissions)];
      await assertGrantable(actor, permissions);
      await db.transaction(
        async (tx) => {
          await repo.insertRole(body.name, body.description, tx);
          await repo.replaceRolePermissions(body.name, permissions, tx);
        },
        { userId: actor.userId },
      );
      return this.getRole(body.name);
    },

    /** Replaces a role's whole permission set in one transaction; caches drop after the commit. */
    async replacePermissions(actor: Principal, name: string, requested: string[]) {
      const permissions = [...new Set(requested)];
      await assertGrantable(actor, permissions);
      await db.transaction(
        async (tx) => {
          if (!(await repo.lockRole(name, tx))) throw notFound('Role');
          await repo.replaceRolePermissions(name, permissions, tx);
        },
        { userId: actor.userId },
      );
      await store.forget(name);
      return this.getRole(name);
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
