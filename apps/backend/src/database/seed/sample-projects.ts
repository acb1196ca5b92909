// Sample projects and workshops (only with ctx.withSamples: development, staging on request; never production).
// Natural keys: projects.name (case-insensitive), workshops (project, title). Coordinated and facilitated by the
// first admin. A sample that exists is left alone, whatever a user changed in it since (its dates, say): the
// seed inserts missing samples only. A second run reports nothing inserted or updated.
import type { SeedContext, SeedReport, TableCounts } from './types.js';

const PROJECTS = [
  {
    name: 'Costura e Renda',
    description: 'Oficinas de costura para geração de renda',
    status: 'active',
    start_date: '2026-02-02',
    end_date: '2026-12-18',
  },
  {
    name: 'Mulheres em Rede',
    description: 'Grupos de apoio e fortalecimento de vínculos',
    status: 'active',
    start_date: '2026-03-02',
    end_date: '2026-12-11',
  },
];
const WORKSHOPS = [
  {
    project: 'Costura e Renda',
    title: 'Costura básica',
    location: 'Sala 1',
    start_date: '2026-02-02',
    end_date: '2026-06-26',
    weekdays: [1, 3],
    start_time: '09:00',
    end_time: '11:00',
    capacity: 15,
  },
  {
    project: 'Costura e Renda',
    title: 'Modelagem',
    location: 'Sala 1',
    start_date: '2026-08-03',
    end_date: '2026-12-18',
    weekdays: [2, 4],
    start_time: '14:00',
    end_time: '16:30',
    capacity: 12,
  },
  {
    project: 'Mulheres em Rede',
    title: 'Roda de conversa',
    location: 'Auditório',
    start_date: '2026-03-02',
    end_date: '2026-12-11',
    weekdays: [5],
    start_time: '18:00',
    end_time: '20:00',
    capacity: 30,
  },
];

const counts = (rows: { inserted: boolean }[], total: number): TableCounts => {
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted, unchanged: total - rows.length };
};

export async function seedSampleProjects({ db, tx, withSamples }: SeedContext): Promise<SeedReport> {
  if (!withSamples) return {};
  const owner = await db.maybeOne<{ id: string }>(
    { text: "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 1" },
    tx,
  );
  if (!owner) return {};
  const projects = await db.many<{ inserted: boolean }>(
    {
      text: `INSERT INTO projects (name, description, status, start_date, end_date, coordinator_id)
             SELECT n, d, s, sd, ed, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::date[]) AS x(n, d, s, sd, ed)
             ON CONFLICT (name) DO NOTHING
             RETURNING true AS inserted`,
      values: [
        PROJECTS.map((p) => p.name),
        PROJECTS.map((p) => p.description),
        PROJECTS.map((p) => p.status),
        PROJECTS.map((p) => p.start_date),
        PROJECTS.map((p) => p.end_date),
        owner.id,
      ],
    },
    tx,
  );
  const workshops = await db.many<{ inserted: boolean }>(
    {
      text: `INSERT INTO workshops (project_id, title, location, start_date, end_date, weekdays, start_time, end_time, capacity, facilitator_id, status)
             SELECT p.id, x.title, x.location, x.sd, x.ed, ARRAY(SELECT jsonb_array_elements_text(x.wd)::smallint), x.st, x.et, x.cap, $10, 'active'
               FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], $6::jsonb[], $7::time[], $8::time[], $9::int[])
                    AS x(project, title, location, sd, ed, wd, st, et, cap)
               JOIN projects p ON p.name = x.project::citext
             ON CONFLICT (project_id, title) DO NOTHING
             RETURNING true AS inserted`,
      values: [
        WORKSHOPS.map((w) => w.project),
        WORKSHOPS.map((w) => w.title),
        WORKSHOPS.map((w) => w.location),
        WORKSHOPS.map((w) => w.start_date),
        WORKSHOPS.map((w) => w.end_date),
        WORKSHOPS.map((w) => JSON.stringify(w.weekdays)),
        WORKSHOPS.map((w) => w.start_time),
        WORKSHOPS.map((w) => w.end_time),
        WORKSHOPS.map((w) => w.capacity),
        owner.id,
      ],
    },
    tx,
  );
  return { projects: counts(projects, PROJECTS.length), workshops: counts(workshops, WORKSHOPS.length) };
}
