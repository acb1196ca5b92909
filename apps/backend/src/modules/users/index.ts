// The users module: staff accounts.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
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

export default fp(
  async function usersModule(app: FastifyInstance) {
    const service = createUsersService({
      db: app.db,
      repo: createUsersRepository(app.db),
      access: app.access,
      auth: app.auth,
    });
    app.decorate('users', service);
    usersRoutes(app, service);
  },
  { name: 'users', dependencies: ['db', 'auth-guard', 'access', 'auth'] },
);
