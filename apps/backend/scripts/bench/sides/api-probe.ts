// The compiled API (dist/, built by npm run build) assembled by buildApp exactly as the server does, with the
// production configuration it is given, plus bench-only routes outside /api/v1 that do an API route's work
// minus authentication: /bench/me-without-auth (GET /auth/me's handler for a fixed user), /bench/select-1, and
// /bench/reports/:name/:source (a report from its view, or computed live from the base tables).
// Only the bench starts it; the production server never has these routes.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { announce, env } from './common.js';

const dist = async <T>(file: string): Promise<T> =>
  (await import(pathToFileURL(path.join(import.meta.dirname, '../../../dist', file)).href)) as T;
const { loadConfig } = await dist<typeof import('../../../src/config.js')>('config.js');
const { buildApp } = await dist<typeof import('../../../src/app.js')>('app.js');
const { logDestination } = await dist<typeof import('../../../src/platform/logger.js')>('platform/logger.js');
const { Me } = await dist<typeof import('../../../src/modules/auth/schemas.js')>('modules/auth/schemas.js');

type Services = Pick<FastifyInstance, 'auth' | 'access' | 'reports'>;
let services: Services | undefined;
// The services live in the /api/v1 scope; the bench route sits outside it, like /health, so no API hook runs.
const app = await buildApp(loadConfig(), {
  logStream: logDestination(),
  extendApi: (api) => void (services = { auth: api.auth, access: api.access, reports: api.reports }),
});
const userId = env('BENCH_ACTOR_ID');
// GET /auth/me's handler and response schema; the user and the session id are fixed instead of authenticated.
app.get('/bench/me-without-auth', { schema: { response: { 200: Me } } }, async () => {
  const user = await services!.auth.me(userId);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    permissions: [...(await services!.access.permissionsOf(user.role))].sort(),
    session_id: '0',
  };
});
// A report as GET /reports/:name answers it, from its view or computed from the base tables (same code after the
// rows are read): the two sides of `npm run bench -- reports`.
app.get<{ Params: { name: string; source: 'view' | 'live' }; Querystring: Record<string, string> }>(
  '/bench/reports/:name/:source',
  async (req) => services!.reports.get(req.params.name, req.query, req.params.source === 'live' ? 'live' : 'view'),
);
app.get('/bench/select-1', async () => app.db.one({ name: 'bench-select-1', text: 'SELECT 1 AS one' }));
await app.listen({ host: '127.0.0.1', port: app.config.PORT });
announce((app.server.address() as { port: number }).port);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
