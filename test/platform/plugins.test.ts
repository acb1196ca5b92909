// The assembly: platform plugins close what they opened, modules refuse to start without what they depend
// on, and the auth guard refuses to start without the lookups the auth and access modules plug into it.
import { once } from 'node:events';
import t from 'tap';
import Fastify from 'fastify';
import { loadConfig } from '../../apps/backend/src/config.js';
import authGuardPlugin from '../../apps/backend/src/platform/auth.js';
import usersModule from '../../apps/backend/src/modules/users/index.js';
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/app.js';

const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });

t.test('app.close() closes the pool and the Redis client', async (t) => {
  const ctx = await buildTestApp(t);
  const redis = ctx.redis!;
  t.equal(redis.status, 'ready');
  const ended = once(redis, 'end'); // QUIT answered, then the connection closes for good (no reconnection)
  await ctx.app.close();
  t.ok(ctx.db.pool.ended, 'pool ended');
  await ended;
  t.equal(redis.status, 'end', 'redis client ended');
});

t.test('a module registered before what it depends on refuses to start', async (t) => {
  const app = Fastify({ logger: false });
  app.decorate('config', config);
  await t.rejects(async () => {
    await app.register(usersModule);
    await app.ready();
  }, /The dependency 'db' of plugin 'users' is not registered/);
  await app.close();
});

t.test('the auth guard refuses to start without the session and permission lookups', async (t) => {
  const app = Fastify({ logger: false });
  app.decorate('config', config);
  await app.register(authGuardPlugin, { apiPrefix: '/api/v1', anonymous: async () => {} });
  app.provideAuthBackend({ permissionsOf: async () => new Set<string>() });
  t.throws(() => app.provideAuthBackend({ permissionsOf: async () => new Set<string>() }), /provided twice/);
  await t.rejects(async () => {
    await app.ready();
  }, /no module provided isSessionActive/);
  await app.close();
});
