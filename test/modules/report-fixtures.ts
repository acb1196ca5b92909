// A small organisation for the report tests (not a test file itself): the rows are built here in JavaScript and
// written with plain SQL (every trigger and constraint applies), so the tests can compute what each report must
// say from this model, independently of the views' SQL.
import type { TestContext } from '../helpers/app.js';

export interface Woman {
  id?: string;
  n: number;
  city: string | null;
  state: string | null;
  neighbourhood: string | null;
  birth: string | null;
}
export interface Enrolment {
  woman: number;
  project: 0 | 1;
  /** The month it was requested (its created_at, mid-month at noon in São Paulo). */
  month: string;
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'completed';
}
export interface Mark {
  woman: number;
  workshop: number;
  day: string;
  present: boolean;
}
export interface WorkshopSpec {
  project: 0 | 1;
  title: string;
  weekday: number;
  capacity: number;
}

export interface ReportFixture {
  projects: string[];
  workshops: string[];
  women: Woman[];
  enrolments: Enrolment[];
  seats: { woman: number; workshop: number; joined: string }[];
  marks: Mark[];
  specs: WorkshopSpec[];
}

// Spellings differ on purpose: the reports group "São Paulo", "SAO PAULO " and "são paulo" as one city.
const CITIES: [string | null, string | null, string[]][] = [
  ['São Paulo', 'SP', ['Grajaú', 'Capão Redondo', 'Brasilândia']],
  ['SAO PAULO ', 'SP', ['grajau', 'Sé']],
  ['Recife', 'PE', ['Boa Viagem', 'Ibura']],
  [null, null, [null as unknown as string]],
];

/** Mondays, Wednesdays and Fridays of a month (YYYY-MM), as YYYY-MM-DD. */
function days(month: string, weekday: number): string[] {
  const out: string[] = [];
  for (let d = 1; d <= 31; d++) {
    const date = new Date(`${month}-${String(d).padStart(2, '0')}T12:00:00Z`);
    if (date.toISOString().slice(0, 7) !== month) break;
    if (((date.getUTCDay() + 6) % 7) + 1 === weekday) out.push(date.toISOString().slice(0, 10));
  }
  return out;
}

/**
 * Two projects, three workshops (project 0: a big one on Mondays and a small one on Wednesdays; project 1: one on
 * Fridays), `size` women, their enrolments (requested in 2026-02 and 2026-03), seats and attendance in March and
 * April 2026. The small workshop holds fewer than 5 women, so its figures must be suppressed.
 */
export async function createReportFixture(ctx: TestContext, size = 48): Promise<ReportFixture> {
  const { id: adminId } = await ctx.db.one<{ id: string }>({
    text: "SELECT id FROM users WHERE role = 'admin' LIMIT 1",
  });
  const specs: WorkshopSpec[] = [
    { project: 0, title: '=SOMA(1;2) Costura', weekday: 1, capacity: 60 },
    { project: 0, title: 'Bordado, "avançado"', weekday: 3, capacity: 4 },
    { project: 1, title: 'Roda de conversa', weekday: 5, capacity: 60 },
  ];
  const women: Woman[] = [];
  for (let n = 1; n <= size; n++) {
    const [city, state, hoods] = CITIES[n % CITIES.length]!;
    women.push({
      n,
      city,
      state,
      neighbourhood: hoods[n % hoods.length] ?? null,
      birth: n % 11 === 0 ? null : `${1950 + ((n * 7) % 60)}-${String((n % 12) + 1).padStart(2, '0')}-15`,
    });
  }
  const enrolments: Enrolment[] = [];
  const seats: ReportFixture['seats'] = [];
  const marks: Mark[] = [];
  for (const w of women) {
    const project = (w.n % 3 === 0 ? 1 : 0) as 0 | 1;
    const month = w.n % 2 ? '2026-02' : '2026-03';
    const status = (['approved', 'approved', 'approved', 'rejected', 'pending', 'withdrawn', 'completed'] as const)[
      w.n % 7
    ]!;
    enrolments.push({ woman: w.n, project, month, status });
    if (status !== 'approved') continue;
    // Project 0: the small workshop takes four women, the others go to the big one.
    const workshop = project === 1 ? 2 : w.n % 8 === 1 && seats.filter((s) => s.workshop === 1).length < 4 ? 1 : 0;
    seats.push({ woman: w.n, workshop, joined: '2026-02-20' });
    for (const month of ['2026-03', '2026-04'])
      for (const day of days(month, specs[workshop]!.weekday))
        marks.push({ woman: w.n, workshop, day, present: (w.n + Number(day.slice(8))) % 4 !== 0 });
  }

  const { projects, workshops } = await ctx.db.transaction(
    async (tx) => {
      const run = (text: string, values: unknown[] = []) => ctx.db.many<{ id: string }>({ text, values }, tx);
      const projects = (
        await run(
          `INSERT INTO projects (name, status, start_date, end_date, coordinator_id)
           VALUES ('Costura e Renda', 'active', '2025-01-01', '2027-12-31', $1),
                  ('Mulheres em Rede', 'active', '2025-01-01', '2027-12-31', $1) RETURNING id`,
          [adminId],
        )
      ).map((r) => r.id);
      const workshops: string[] = [];
      for (const s of specs)
        workshops.push(
          (
            await run(
              `INSERT INTO workshops (project_id, title, facilitator_id, start_date, end_date, weekdays, start_time,
                                      end_time, capacity, status)
               VALUES ($1, $2, $3, '2026-02-01', '2026-06-30', ARRAY[$4::smallint], '09:00', '11:00', $5, 'active')
               RETURNING id`,
              [projects[s.project], s.title, adminId, s.weekday, s.capacity],
            )
          )[0]!.id,
        );
      const ids = await run(
        `INSERT INTO beneficiaries (full_name, address_city, address_state, address_neighbourhood, birth_date)
         SELECT 'Pessoa ' || n, c, s, h, b FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::date[])
           AS u(n, c, s, h, b) ORDER BY n RETURNING id`,
        [
          women.map((w) => w.n),
          women.map((w) => w.city),
          women.map((w) => w.state),
          women.map((w) => w.neighbourhood),
          women.map((w) => w.birth),
        ],
      );
      women.forEach((w, i) => (w.id = ids[i]!.id));
      const byN = new Map(women.map((w) => [w.n, w.id!]));
      // Requested mid-month at noon in São Paulo; decisions follow the status machine.
      const enrolmentIds = await run(
        `INSERT INTO enrollments (beneficiary_id, project_id, created_at)
         SELECT b, p, (m || '-15 12:00')::timestamp AT TIME ZONE 'America/Sao_Paulo'
           FROM unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(b, p, m, i) ORDER BY i RETURNING id`,
        [
          enrolments.map((e) => byN.get(e.woman)),
          enrolments.map((e) => projects[e.project]),
          enrolments.map((e) => e.month),
        ],
      );
      const decided = (s: Enrolment['status']) =>
        enrolmentIds.filter((_, i) => enrolments[i]!.status === s).map((r) => r.id);
      const decide = (ids: string[], status: string) =>
        run(`UPDATE enrollments SET status = $2, decided_at = now(), decided_by = $3 WHERE id = ANY($1::bigint[])`, [
          ids,
          status,
          adminId,
        ]);
      await decide([...decided('approved'), ...decided('withdrawn'), ...decided('completed')], 'approved');
      await decide(decided('rejected'), 'rejected');
      await decide(decided('withdrawn'), 'withdrawn');
      await decide(decided('completed'), 'completed');
      const enrolmentOf = new Map(enrolments.map((e, i) => [e.woman, enrolmentIds[i]!.id]));
      await run(
        `INSERT INTO workshop_participants (workshop_id, beneficiary_id, enrollment_id, created_at)
         SELECT w, b, e, (j || ' 10:00')::timestamp AT TIME ZONE 'America/Sao_Paulo'
           FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u(w, b, e, j)`,
        [
          seats.map((s) => workshops[s.workshop]),
          seats.map((s) => byN.get(s.woman)),
          seats.map((s) => enrolmentOf.get(s.woman)),
          seats.map((s) => s.joined),
        ],
      );
      // Vulnerabilities: the first of the catalogue for every other woman, the second for every fifth.
      await run(
        `INSERT INTO beneficiary_vulnerabilities (beneficiary_id, vulnerability_id)
         SELECT b.id, v.id FROM unnest($1::bigint[], $2::int[]) AS b(id, n)
           JOIN (SELECT id, row_number() OVER (ORDER BY code) AS k FROM vulnerabilities) v
             ON (v.k = 1 AND b.n % 2 = 0) OR (v.k = 2 AND b.n % 5 = 0)`,
        [women.map((w) => w.id), women.map((w) => w.n)],
      );
      await run(
        `INSERT INTO attendance (workshop_id, session_date, beneficiary_id, present)
         SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::boolean[])`,
        [
          marks.map((m) => workshops[m.workshop]),
          marks.map((m) => m.day),
          marks.map((m) => byN.get(m.woman)),
          marks.map((m) => m.present),
        ],
      );
      return { projects, workshops };
    },
    { userId: adminId },
  );
  return { projects, workshops, women, enrolments, seats, marks, specs };
}
