// The auth module: sign-in, sessions, passwords. The service is built in app.ts (other modules use it).
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { authRoutes } from './routes.js';

export default async function authModule(app: FastifyInstance, d: ModuleDeps) {
  authRoutes(app, d.auth, d.config);
}
