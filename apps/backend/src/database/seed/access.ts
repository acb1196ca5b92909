// Seeds the permission catalogue and the default roles. A role that exists is never rewritten (an admin
// may have edited it); permissions new to the catalogue are granted to admin only.
import { DEFAULT_ROLES, PERMISSIONS } from '../../modules/access/index.js';
import type { SeedContext, SeedReport } from './types.js';

export async function seedAccess({ db, tx }: SeedContext): Promise<SeedReport> {
  const names = Object.keys(PERMISSIONS);
  const perms = await db.many<{ name: string; inserted: boolean }>(
    {
      text: `INSERT INTO permissions (name, description) SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description
               WHERE permissions.description IS DISTINCT FROM EXCLUDED.description
             RETURNING name, (xmax = 0) AS inserted`,
      values: [names, Object.values(PERMISSIONS)],
    },
    tx,
  );
  const newPermissions = perms.filter((p) => p.inserted).map((p) => p.name);

  const roleNames = Object.keys(DEFAULT_ROLES);
  const newRoles = await db.many<{ name: string }>(
    {
      text: `INSERT INTO roles (name, description) SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT (name) DO NOTHING RETURNING name`,
      values: [roleNames, roleNames.map((r) => DEFAULT_ROLES[r]!.description)],
    },
    tx,
  );
  const grants: [string, string][] = [];
  for (const { name } of newRoles) for (const p of DEFAULT_ROLES[name]!.permissions) grants.push([name, p]);
  if (!newRoles.some((r) => r.name === 'admin')) for (const p of newPermissions) grants.push(['admin', p]);
  const granted = grants.length
    ? await db.execute(
        {
          text: `INSERT INTO role_permissions (role, permission) SELECT * FROM unnest($1::text[], $2::text[])
                 ON CONFLICT DO NOTHING`,
          values: [grants.map((g) => g[0]), grants.map((g) => g[1])],
        },
        tx,
      )
    : 0;
  const { count } = await db.one<{ count: number }>(
    { text: 'SELECT count(*)::int AS count FROM role_permissions' },
    tx,
  );
  const inserted = perms.filter((p) => p.inserted).length;
  return {
    permissions: { inserted, updated: perms.length - inserted, unchanged: names.length - perms.length },
    roles: { inserted: newRoles.length, updated: 0, unchanged: roleNames.length - newRoles.length },
    role_permissions: { inserted: granted, updated: 0, unchanged: count - granted },
  };
}
