// The attendance module: sheets per workshop session, and attendance rates.
import { defineModule } from '../../platform/module.js';
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

export default defineModule({
  name: 'attendance',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) =>
    createAttendanceService({
      db: app.db,
      repo: createAttendanceRepository(app.db),
      timezone: app.config.ORG_TIMEZONE,
    }),
  routes: attendanceRoutes,
});
