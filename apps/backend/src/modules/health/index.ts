// Liveness and readiness probes (outside /api/v1: load balancers call them without tokens).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { redisHealthy } from '../../platform/redis.js';
import { AppError, sendProblem } from '../../platform/errors.js';
import { problems } from '../../platform/schemas.js';
import { readStatus } from '../../database/migrator.js';

const Check = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('disabled')]),
  detail: Type.Optional(Type.String()),
});
const Ready = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  checks: Type.Object({ database: Check, migrations: Check, redis: Check }),
});

async function healthModule(app: FastifyInstance) {
  const o = { db: app.db, redis: app.redis };
  app.get(
    '/health/live',
    { schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({
      status: 'ok' as const,
    }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        description:
          'Database reachable and migrated; Redis reported (its loss degrades, never fails, the service). ' +
          'Not ready: 503 problem (code not_ready) whose errors name the failing checks.',
        response: { 200: Ready, ...problems(503) },
      },
    },
    async (_req, reply) => {
      const checks = {
        database: { status: 'ok' },
        migrations: { status: 'ok' },
        redis: { status: 'disabled' },
      } as Record<'database' | 'migrations' | 'redis', { status: 'ok' | 'down' | 'disabled'; detail?: string }>;
      try {
        await o.db.ping(1_000);
        const status = await readStatus({
          query: async (text, values) => ({ rows: await o.db.many({ text, values }) }),
        });
        const waiting = status.pending.length + status.drifted.length;
        if (waiting)
          checks.migrations = {
            status: 'down',
            detail: `${status.pending.length} pending, ${status.drifted.length} drifted`,
          };
      } catch {
        checks.database = { status: 'down', detail: 'unreachable' };
        checks.migrations = { status: 'down', detail: 'unknown' };
      }
      const failing = (['database', 'migrations'] as const).filter((name) => checks[name].status !== 'ok');
      if (failing.length) {
        const errors = failing.map((name) => ({ path: `checks.${name}`, message: checks[name].detail ?? 'down' }));
        return sendProblem(reply, new AppError(503, 'not_ready', `Not ready: ${failing.join(', ')} down`, errors));
      }
      if (o.redis)
        checks.redis = (await redisHealthy(o.redis))
          ? { status: 'ok' }
          : { status: 'down', detail: 'unreachable; running on PostgreSQL alone' };
      return { status: checks.redis.status === 'down' ? ('degraded' as const) : ('ok' as const), checks };
    },
  );
}

export default fp(healthModule, { name: 'health', dependencies: ['db', 'redis'] });
