// The attendance module: sheets per workshop session.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createAttendanceRepository } from './repository.js';
import { createAttendanceService } from './service.js';
import { attendanceRoutes } from './routes.js';

export default async function attendanceModule(app: FastifyInstance, d: ModuleDeps) {
  attendanceRoutes(
    app,
    createAttendanceService({ db: d.db, repo: createAttendanceRepository(d.db), timezone: d.config.ORG_TIMEZONE }),
  );
}
