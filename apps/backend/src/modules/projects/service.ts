// Project rules: unique name ignoring case, end ≥ start, coordinator a user, workshops inside the dates
// (all enforced by the database; errors name the field). Optimistic concurrency on updates.
import type { Db, Executor } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { ProjectsRepository } from './repository.js';
import type { CreateProject, ListProjects, UpdateProject } from './schemas.js';

export function createProjectsService(d: { db: Db; repo: ProjectsRepository }) {
  const { db, repo } = d;
  const checkDates = (start?: string, end?: string) => {
    if (start && end && end < start)
      throw unprocessable('end_date is before start_date', [
        { path: 'body.end_date', message: 'must not be before start_date' },
      ]);
  };
  const service = {
    async get(id: string) {
      const p = await repo.get(id);
      if (!p) throw notFound('Project');
      return p;
    },
    /** `reader`: where the list runs (a replica with the caller's last write; platform/read-your-writes.ts). */
    async list(q: ListProjects, reader?: Executor) {
      const after = decodeCursor(q.cursor, ['id']);
      const rows = await repo.list({ status: q.status, q: q.q, afterId: after?.[0] ?? null, limit: q.limit }, reader);
      return toPage(rows, q.limit, (r) => [r.id]);
    },
    async create(actor: Principal, body: CreateProject) {
      checkDates(body.start_date, body.end_date);
      const { id } = await db.transaction((tx) => repo.insert(body, actor.userId, tx), { userId: actor.userId });
      return service.get(id);
    },
    async update(actor: Principal, id: string, body: UpdateProject, version: number | null) {
      const { version: _v, ...patch } = body;
      await db.transaction(
        async (tx) => {
          const row = await repo.lockVersion(id, tx);
          if (!row) throw notFound('Project');
          if (version !== null && row.version !== version)
            throw preconditionFailed(
              `The project was changed by someone else (version ${row.version}); reload and retry`,
            );
          const current = await repo.get(id, tx);
          checkDates(patch.start_date ?? current!.start_date, patch.end_date ?? current!.end_date);
          await repo.update(id, patch, actor.userId, tx);
        },
        { userId: actor.userId },
      );
      return service.get(id);
    },
  };
  return service;
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
