// The access module: roles, the permission catalogue, and the permissions of a role for the auth guard.
import { defineModule } from '../../platform/module.js';
import { createAccessRepository } from './repository.js';
import { createPermissionStore } from './permission-store.js';
import { createAccessService, type AccessService } from './service.js';
import { accessRoutes } from './routes.js';

export { DEFAULT_ROLES, PERMISSIONS, type Permission } from './catalogue.js';
export { ALL_ROLES_TAG, roleTag } from './permission-store.js';
export type { AccessService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'access' in their dependencies. */
    access: AccessService;
  }
}

export default defineModule({
  name: 'access',
  dependencies: ['db', 'cache', 'auth-guard'],
  service: (app) => {
    const repo = createAccessRepository(app.db);
    const store = createPermissionStore(repo, app.cache);
    app.provideAuthBackend({ permissionsOf: store.permissionsOf });
    return createAccessService({ db: app.db, repo, store });
  },
  routes: accessRoutes,
});
