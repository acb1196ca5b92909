// The access module: roles and the permission catalogue. The service is built in app.ts.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { accessRoutes } from './routes.js';

export default async function accessModule(app: FastifyInstance, d: ModuleDeps) {
  accessRoutes(app, d.access);
}
