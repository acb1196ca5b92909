// /workshops/:id/attendance: attendance sheets per session date, and attendance rates.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParam, problems } from '../../platform/schemas.js';
import type { AttendanceService } from './service.js';
import * as S from './schemas.js';

const tags = ['attendance'];

export function attendanceRoutes(app: FastifyInstance, service: AttendanceService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.put(
    '/workshops/:id/attendance/:date',
    {
      config: { permission: 'attendance:write' },
      schema: {
        tags,
        description:
          'Replaces the whole sheet of one session (rows not listed are removed). The date must be a session of the workshop ' +
          '(inside its dates, on one of its ISO weekdays, 1 = Monday) and not after today in ORG_TIMEZONE. Idempotent.',
        params: S.SheetParams,
        body: S.SheetBody,
        response: { 200: S.SheetResponse, ...problems(400, 401, 403, 404, 422) },
      },
    },
    async (req) => service.putSheet(app.requirePrincipal(req), req.params.id, req.params.date, req.body),
  );
  r.get(
    '/workshops/:id/attendance/:date',
    {
      config: { permission: 'attendance:read' },
      schema: { tags, params: S.SheetParams, response: { 200: S.SheetResponse, ...problems(400, 401, 403, 404, 422) } },
    },
    async (req) => service.getSheet(req.params.id, req.params.date),
  );
  r.get(
    '/workshops/:id/attendance',
    {
      config: { permission: 'attendance:read' },
      schema: {
        tags,
        description: 'Attendance rate per participant: present / sheets she appears on',
        params: IdParam,
        response: { 200: S.RatesResponse, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.rates(req.params.id, await app.reader(req)),
  );
}
