// Roles and their permission sets. Nobody grants a permission they do not hold, and nobody edits a role (or,
// through the users module, a user) holding a permission they do not hold: no takeover by a lesser manager.
import type { Db, Executor } from '../../platform/db.js';
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

  /** 403 naming what is missing unless the actor holds every one of `permissions`. */
  function assertWithin(actor: Principal, permissions: Iterable<string>, what: string) {
    const missing = [...permissions].filter((p) => !actor.permissions.has(p)).sort();
    if (missing.length) throw forbidden(`${what}: it holds permissions you do not have (${missing.join(', ')})`);
  }

  return {
    permissionsOf: store.permissionsOf,

    /**
     * For the users module, inside its transaction: the actor may act on a user only when they hold every
     * permission of the user's role before the change and of the role after it. The roles are locked
     * against concurrent edits until the transaction ends. 422 for an unknown new role, 403 otherwise.
     */
    async assertMayManageUser(actor: Principal, roles: { current?: string; next?: string }, tx: Executor) {
      const names = [roles.current, roles.next].filter((r): r is string => r !== undefined);
      const found = await repo.lockedRolePermissions(names, tx);
      if (roles.current !== undefined) {
        assertWithin(actor, found.get(roles.current) ?? [], `You cannot manage this user (role ${roles.current})`);
      }
      if (roles.next !== undefined) {
        const next = found.get(roles.next);
        if (!next) throw unprocessable(`Unknown role ${roles.next}`, [{ path: 'body.role', message: 'is not a role' }]);
        assertWithin(actor, next, `You cannot grant role ${roles.next}`);
      }
    },
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
          store.changed(body.name, tx);
        },
        { userId: actor.userId },
      );
      return this.getRole(body.name);
    },

    /** Replaces a role's whole permission set in one transaction; its cached permissions go with the commit. */
    async replacePermissions(actor: Principal, name: string, requested: string[]) {
      const permissions = [...new Set(requested)];
      await assertGrantable(actor, permissions);
      await db.transaction(
        async (tx) => {
          if (!(await repo.lockRole(name, tx))) throw notFound('Role');
          assertWithin(actor, await repo.permissionsOfRole(name, tx), `You cannot edit role ${name}`);
          await repo.replaceRolePermissions(name, permissions, tx);
          store.changed(name, tx);
        },
        { userId: actor.userId },
      );
      return this.getRole(name);
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
