// The users module: staff accounts.
import { defineModule } from '../../platform/module.js';
import { createUsersRepository } from './repository.js';
import { createUsersService, type UsersService } from './service.js';
import { usersRoutes } from './routes.js';

export type { UsersService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'users' in their dependencies. */
    users: UsersService;
  }
}

export default defineModule({
  name: 'users',
  dependencies: ['db', 'auth-guard', 'read-your-writes', 'access', 'auth'],
  service: (app) =>
    createUsersService({ db: app.db, repo: createUsersRepository(app.db), access: app.access, auth: app.auth }),
  routes: usersRoutes,
});
