// The users module: staff accounts.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createUsersRepository } from './repository.js';
import { createUsersService } from './service.js';
import { usersRoutes } from './routes.js';

export default async function usersModule(app: FastifyInstance, d: ModuleDeps) {
  const service = createUsersService({
    db: d.db,
    repo: createUsersRepository(d.db),
    access: d.access,
    auth: d.auth,
  });
  usersRoutes(app, service);
}
