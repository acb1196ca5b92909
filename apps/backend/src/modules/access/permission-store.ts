// Permissions of a role, through the shared cache (platform/cache) in a strict region: no in-process copy, so
// a role edit made on any instance holds on the next request on every instance. Entries are tagged with the
// role and with `roles` (every role at once: the seed, admin:recover); a write invalidates them on commit.
import type { Cache } from '../../platform/cache/index.js';
import type { Executor } from '../../platform/db.js';
import type { AccessRepository } from './repository.js';

export const ALL_ROLES_TAG = 'roles';
export const roleTag = (role: string) => `role:${role}`;

export function createPermissionStore(repo: AccessRepository, cache: Cache) {
  const region = cache.region<ReadonlySet<string>>('permissions', {
    local: false,
    encode: (set) => [...set],
    decode: (stored) => new Set(stored as string[]),
  });
  return {
    permissionsOf: (role: string): Promise<ReadonlySet<string>> =>
      region.get(role, [roleTag(role), ALL_ROLES_TAG], async () => new Set(await repo.permissionsOfRole(role))),

    /** Inside the transaction that changes the role: its cached permissions go when it commits. */
    changed: (role: string, tx: Executor) => cache.invalidateOnCommit(tx, [roleTag(role)]),
  };
}

export type PermissionStore = ReturnType<typeof createPermissionStore>;
