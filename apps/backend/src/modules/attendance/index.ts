// The attendance module: sheets per workshop session, and attendance rates.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createAttendanceRepository } from './repository.js';
import { createAttendanceService, type AttendanceService } from './service.js';
import { attendanceRoutes } from './routes.js';

export type { AttendanceService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'attendance' in their dependencies. */
    attendance: AttendanceService;
  }
}

export default fp(
  async function attendanceModule(app: FastifyInstance) {
    const service = createAttendanceService({
      db: app.db,
      repo: createAttendanceRepository(app.db),
      timezone: app.config.ORG_TIMEZONE,
    });
    app.decorate('attendance', service);
    attendanceRoutes(app, service);
  },
  { name: 'attendance', dependencies: ['db', 'auth-guard'] },
);
