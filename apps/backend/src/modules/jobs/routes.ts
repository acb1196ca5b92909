// /admin/jobs: the schedules, queues and latest runs (ops:read); one run now (ops:manage).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems } from '../../platform/schemas.js';
import type { JobsService } from './service.js';
import * as S from './schemas.js';

const tags = ['ops'];

export function jobsRoutes(app: FastifyInstance, service: JobsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/admin/jobs',
    {
      config: { permission: 'ops:read' },
      schema: {
        tags,
        description: 'Every job: its schedule and next run, what waits in its queue, its latest runs and failures',
        response: { 200: S.JobsOverview, ...problems(401, 403) },
      },
    },
    async () => service.overview(),
  );
  r.post(
    '/admin/jobs/:name/run',
    {
      config: { permission: 'ops:manage' },
      schema: {
        tags,
        description: 'Enqueues one run of the job now (recorded as manual, with who asked)',
        params: S.JobNameParam,
        response: { 201: S.RunRequested, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.runNow(req.params.name, app.requirePrincipal(req).userId)),
  );
}
