// SQL for roles, permissions and role_permissions.
import type { Db, Executor } from '../../platform/db.js';

export interface RoleRow {
  name: string;
  description: string;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
}

const ROLE_COLUMNS = `r.name, r.description, r.created_at, r.updated_at,
  COALESCE(array_agg(rp.permission ORDER BY rp.permission) FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions`;

export function createAccessRepository(db: Db) {
  return {
    permissionsOfRole: async (role: string, ex?: Executor) =>
      (
        await db.many<{ permission: string }>(
          {
            name: 'access-permissions-of-role',
            text: 'SELECT permission FROM role_permissions WHERE role = $1',
            values: [role],
          },
          ex,
        )
      ).map((r) => r.permission),

    listRoles: (ex?: Executor) =>
      db.many<RoleRow>(
        {
          text: `SELECT ${ROLE_COLUMNS} FROM roles r LEFT JOIN role_permissions rp ON rp.role = r.name GROUP BY r.name ORDER BY r.name`,
        },
        ex,
      ),

    getRole: (name: string, ex?: Executor) =>
      db.maybeOne<RoleRow>(
        {
          text: `SELECT ${ROLE_COLUMNS} FROM roles r LEFT JOIN role_permissions rp ON rp.role = r.name WHERE r.name = $1 GROUP BY r.name`,
          values: [name],
        },
        ex,
      ),

    /** Locks the role row so concurrent edits of one role's permission set serialise. */
    lockRole: (name: string, ex: Executor) =>
      db.maybeOne<{ name: string }>({ text: 'SELECT name FROM roles WHERE name = $1 FOR UPDATE', values: [name] }, ex),

    /**
     * Permissions of the named roles, read with the roles locked FOR SHARE: an edit of their permission sets
     * (which locks the role FOR UPDATE) waits until the caller's transaction ends. Unknown roles are absent.
     */
    lockedRolePermissions: async (names: string[], ex: Executor) => {
      const found = await db.many<{ name: string }>(
        { text: 'SELECT name FROM roles WHERE name = ANY($1::text[]) FOR SHARE', values: [names] },
        ex,
      );
      const rows = await db.many<{ role: string; permission: string }>(
        { text: 'SELECT role, permission FROM role_permissions WHERE role = ANY($1::text[])', values: [names] },
        ex,
      );
      return new Map(found.map((r) => [r.name, rows.filter((p) => p.role === r.name).map((p) => p.permission)]));
    },

    insertRole: (name: string, description: string, ex?: Executor) =>
      db.execute({ text: 'INSERT INTO roles (name, description) VALUES ($1, $2)', values: [name, description] }, ex),

    replaceRolePermissions: async (role: string, permissions: string[], ex: Executor) => {
      await db.execute(
        {
          text: 'DELETE FROM role_permissions WHERE role = $1 AND permission <> ALL($2::text[])',
          values: [role, permissions],
        },
        ex,
      );
      await db.execute(
        {
          text: `INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
          values: [role, permissions],
        },
        ex,
      );
      await db.execute({ text: 'UPDATE roles SET updated_at = now() WHERE name = $1', values: [role] }, ex);
    },

    listPermissions: (ex?: Executor) =>
      db.many<{ name: string; description: string }>(
        { text: 'SELECT name, description FROM permissions ORDER BY name' },
        ex,
      ),

    unknownPermissions: async (names: string[], ex?: Executor) =>
      (
        await db.many<{ name: string }>(
          {
            text: 'SELECT n AS name FROM unnest($1::text[]) AS n WHERE n NOT IN (SELECT name FROM permissions)',
            values: [names],
          },
          ex,
        )
      ).map((r) => r.name),
  };
}

export type AccessRepository = ReturnType<typeof createAccessRepository>;
