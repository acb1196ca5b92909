// SQL for projects.
import type { Db, Executor } from '../../platform/db.js';
import { likePattern, SqlBuilder } from '../../platform/sql.js';
import type { Static } from '@sinclair/typebox';
import type { CreateProject, Project } from './schemas.js';

export type ProjectRow = Static<typeof Project>;

const COLUMNS = `p.id, p.name::text AS name, p.description, p.status, p.start_date, p.end_date, p.coordinator_id, u.name AS coordinator_name,
  p.purpose_code, p.version, p.created_at, p.updated_at, p.created_by, p.updated_by`;
const FROM = 'projects p JOIN users u ON u.id = p.coordinator_id';

export function createProjectsRepository(db: Db) {
  return {
    get: (id: string, ex?: Executor) =>
      db.maybeOne<ProjectRow>(
        { name: 'projects-get', text: `SELECT ${COLUMNS} FROM ${FROM} WHERE p.id = $1`, values: [id] },
        ex,
      ),

    lockVersion: (id: string, ex: Executor) =>
      db.maybeOne<{ version: number }>(
        { name: 'projects-lock', text: 'SELECT version FROM projects WHERE id = $1 FOR UPDATE', values: [id] },
        ex,
      ),

    list: (o: { status?: string; q?: string; afterId: string | null; limit: number }, ex?: Executor) => {
      const q = new SqlBuilder()
        .filter('status', o.status, (v) => `p.status = ${v}`)
        .filter(
          'q',
          o.q ? likePattern(o.q) : null,
          (v) => `immutable_unaccent(p.name::text) ILIKE immutable_unaccent(${v}) ESCAPE '\\'`,
        )
        .filter('after', o.afterId, (v) => `p.id > ${v}::bigint`);
      return db.many<ProjectRow>(
        q.statement(
          `SELECT ${COLUMNS} FROM ${FROM} ${q.whereClause()} ORDER BY p.id LIMIT ${q.param(o.limit + 1)}`,
          'projects-list',
        ),
        ex,
      );
    },

    insert: (p: CreateProject, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'projects-insert',
          text: `INSERT INTO projects (name, description, status, start_date, end_date, coordinator_id, purpose_code, created_by, updated_by)
                 VALUES ($1, COALESCE($2, ''), COALESCE($3, 'planning'), $4, $5, $6, $8, $7, $7)
                 RETURNING id`,
          values: [
            p.name.trim(),
            p.description ?? null,
            p.status ?? null,
            p.start_date,
            p.end_date,
            p.coordinator_id,
            actorId,
            p.purpose_code ?? 'case_follow_up', // the body schema's default (the column's, for direct SQL)
          ],
        },
        ex,
      ),

    update: (id: string, p: Partial<CreateProject>, actorId: string, ex: Executor) =>
      db.one<{ id: string }>(
        {
          name: 'projects-update',
          text: `UPDATE projects SET name = COALESCE($2, name), description = COALESCE($3, description), status = COALESCE($4, status),
                        start_date = COALESCE($5, start_date), end_date = COALESCE($6, end_date),
                        coordinator_id = COALESCE($7, coordinator_id), purpose_code = COALESCE($9, purpose_code),
                        updated_by = $8, version = version + 1
                  WHERE id = $1 RETURNING id`,
          values: [
            id,
            p.name?.trim() ?? null,
            p.description ?? null,
            p.status ?? null,
            p.start_date ?? null,
            p.end_date ?? null,
            p.coordinator_id ?? null,
            actorId,
            p.purpose_code ?? null,
          ],
        },
        ex,
      ),
  };
}

export type ProjectsRepository = ReturnType<typeof createProjectsRepository>;
