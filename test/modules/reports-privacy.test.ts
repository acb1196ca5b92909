// No report lets anyone single a woman out: no shown count from 1 to REPORT_MIN_CELL - 1, no rate from a hidden
// count, and no suppressed cell recoverable from the cells shown. The attacker here knows what each report's
// totals add up to and solves the whole system of sums of a block at once (Gaussian elimination: subtraction,
// chained through as many totals as it takes), on the real reports and on thousands of random blocks.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { createReportFixture } from './report-fixtures.js';
import { REPORT_NAMES, REPORTS } from '../../apps/backend/src/modules/reports/index.js';
import {
  attendanceBlock,
  capacityBlock,
  enrollmentBlock,
  servedBlock,
  vulnerabilityBlock,
} from '../../apps/backend/src/modules/reports/builders.js';
import { countCell, protect } from '../../apps/backend/src/modules/reports/suppression.js';

type Cell = { value: number | null; suppressed: boolean };
type Row = Record<string, unknown>;
const MIN = 5;
const cell = (r: Row, f: string) => r[f] as Cell;

/** total = Σ parts, over cells of the answer. */
interface Equation {
  total: Cell;
  parts: Cell[];
}

/** The suppressed cells that the equations determine (a unit vector in their row space after elimination). */
function recoverable(equations: Equation[]): Cell[] {
  const unknowns: Cell[] = [];
  const index = (c: Cell) => {
    let i = unknowns.indexOf(c);
    if (i < 0) i = unknowns.push(c) - 1;
    return i;
  };
  const rows: number[][] = [];
  for (const e of equations) {
    const coef = new Map<number, number>();
    const add = (c: Cell, k: number) => {
      if (c.suppressed) coef.set(index(c), (coef.get(index(c)) ?? 0) + k);
    };
    add(e.total, 1);
    for (const p of e.parts) add(p, -1);
    rows.push([...coef.entries()].flatMap(([i, k]) => [i, k]));
  }
  const m = rows.map((pairs) => {
    const r = new Array<number>(unknowns.length).fill(0);
    for (let j = 0; j < pairs.length; j += 2) r[pairs[j]!] = pairs[j + 1]!;
    return r;
  });
  // Reduced row echelon form.
  let lead = 0;
  for (let col = 0; col < unknowns.length && lead < m.length; col++) {
    const pivot = m.findIndex((r, i) => i >= lead && Math.abs(r[col]!) > 1e-9);
    if (pivot < 0) continue;
    [m[lead], m[pivot]] = [m[pivot]!, m[lead]!];
    const p = m[lead]![col]!;
    m[lead] = m[lead]!.map((v) => v / p);
    for (let i = 0; i < m.length; i++)
      if (i !== lead && Math.abs(m[i]![col]!) > 1e-9) {
        const f = m[i]![col]!;
        m[i] = m[i]!.map((v, j) => v - f * m[lead]![j]!);
      }
    lead++;
  }
  return m
    .filter((r) => r.filter((v) => Math.abs(v) > 1e-9).length === 1)
    .map((r) => unknowns[r.findIndex((v) => Math.abs(v) > 1e-9)]!);
}

const group = <T>(rows: T[], key: (r: T) => string) => {
  const m = new Map<string, T[]>();
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return [...m.values()];
};

/** What an attacker knows adds up, in each report's answer. */
const EQUATIONS: Record<string, (rows: Row[]) => Equation[]> = {
  attendance: (rows) =>
    group(rows, (r) => `${r.month}/${r.project_id}`).flatMap((block) => {
      const total = block.find((r) => r.workshop_id === null)!;
      const parts = block.filter((r) => r.workshop_id !== null);
      // Participants are distinct women; a woman in two workshops makes the sum larger, but an attacker may
      // assume she is in one: treated as a sum, which only makes the attack stronger.
      return ['participants', 'marks', 'present'].map((f) => ({
        total: cell(total, f),
        parts: parts.map((p) => cell(p, f)),
      }));
    }),
  enrollment_funnel: (rows) =>
    rows.flatMap((r) => [
      { total: cell(r, 'requested'), parts: ['pending', 'rejected', 'approved'].map((f) => cell(r, f)) },
      { total: cell(r, 'approved'), parts: ['active', 'withdrawn', 'completed'].map((f) => cell(r, f)) },
    ]),
  people_served: (rows) =>
    group(rows, (r) => `${r.month}/${r.project_id}`).flatMap((block) => {
      const eqs: Equation[] = [];
      const of = (level: string, match: (r: Row) => boolean) =>
        block.filter((r) => r.level === level && match(r)).map((r) => cell(r, 'people'));
      const total = block.find((r) => r.level === 'total')!;
      eqs.push({ total: cell(total, 'people'), parts: of('city', () => true) });
      for (const c of block.filter((r) => r.level === 'city'))
        eqs.push({
          total: cell(c, 'people'),
          parts: of('neighbourhood', (r) => r.city === c.city && r.state === c.state),
        });
      for (const n of block.filter((r) => r.level === 'neighbourhood'))
        eqs.push({
          total: cell(n, 'people'),
          parts: of('age_band', (r) => r.city === n.city && r.state === n.state && r.neighbourhood === n.neighbourhood),
        });
      return eqs;
    }),
  vulnerability_prevalence: () => [], // no sums between vulnerabilities; "without" is checked below
  capacity_use: (rows) =>
    group(rows, (r) => `${r.month}/${r.project_id}`).map((block) => ({
      total: cell(
        block.find((r) => r.workshop_id === null)!,
        'seats',
      ),
      parts: block.filter((r) => r.workshop_id !== null).map((r) => cell(r, 'seats')),
    })),
};

/** Every check the attacker makes on one answer; returns the failures. */
function attack(name: string, rows: Row[]): string[] {
  const failures: string[] = [];
  const fields = REPORTS[name as keyof typeof REPORTS].fields;
  for (const r of rows)
    for (const f of fields) {
      const c = r[f.name] as Cell;
      if (f.kind === 'count' && !c.suppressed && c.value! >= 1 && c.value! < MIN)
        failures.push(`${name} ${f.name} shows ${c.value}`);
      if (f.kind === 'count' && c.suppressed && c.value !== null)
        failures.push(`${name} ${f.name} suppressed with a value`);
    }
  // A rate is a count over another: shown only with both.
  const rates: Record<string, [string, string][]> = {
    attendance: [['attendance_rate', 'present']],
    capacity_use: [['use_rate', 'seats']],
    vulnerability_prevalence: [['prevalence', 'people']],
  };
  for (const [rate, count] of rates[name] ?? [])
    for (const r of rows)
      if (cell(r, count).suppressed && cell(r, rate).value !== null)
        failures.push(`${name} ${rate} of a suppressed count`);
  for (const c of recoverable(EQUATIONS[name]!(rows)))
    failures.push(`${name}: a suppressed cell is recoverable (${c.value})`);
  if (name === 'vulnerability_prevalence')
    for (const block of group(rows, (r) => `${r.month}/${r.project_id}`)) {
      const served = cell(block[0]!, 'people');
      for (const r of block.slice(1)) {
        const without = served.value! - cell(r, 'people').value!;
        if (!served.suppressed && !cell(r, 'people').suppressed && without >= 1 && without < MIN)
          failures.push(`${name}: ${without} served without ${r.vulnerability_code} is recoverable`);
      }
    }
  return failures;
}

t.test('the suppression rules on small cases', async (t) => {
  const line = (values: number[]) => {
    const parts = values.map((v) => countCell(v, v >= 1 && v < MIN));
    const total = countCell(
      values.reduce((a, b) => a + b, 0),
      false,
    );
    protect([{ total, parts }]);
    return parts.map((p) => p.suppressed);
  };
  t.same(line([10, 20, 30]), [false, false, false], 'nothing small, nothing hidden');
  t.same(line([3, 20, 30]), [true, true, false], 'one small count: the smallest other part goes with it');
  t.same(line([3, 2, 30]), [true, true, false], 'two small counts protect each other');
  t.same(line([3, 0, 30]), [true, false, true], 'a zero protects nothing: the next smallest is taken');
  const served = countCell(20, false);
  const withIt = countCell(18, false);
  const without = countCell(2, true, true);
  protect([{ total: served, parts: [withIt, without] }]);
  t.equal(withIt.suppressed, true, '18 of 20 would say 2 do not: suppressed');
  t.equal(without.suppressed, false, 'the hidden cell is never shown anyway');
});

t.test('every report withstands the attack on real answers', async (t) => {
  const ctx = await buildTestApp(t);
  const fx = await createReportFixture(ctx, 61);
  const boss = await admin(ctx);
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: boss.headers })).statusCode,
    200,
  );
  let suppressed = 0;
  for (const name of REPORT_NAMES)
    for (const project of [null, ...fx.projects]) {
      const url = `/api/v1/reports/${name}?from=2026-01&to=2026-06${project ? `&project_id=${project}` : ''}`;
      const res = await ctx.app.inject({ method: 'GET', url, headers: boss.headers });
      t.equal(res.statusCode, 200, url);
      const rows = res.json().rows as Row[];
      t.ok(rows.length > 0, `${url}: rows`);
      suppressed += rows.filter((r) => Object.values(r).some((v) => (v as Cell | null)?.suppressed === true)).length;
      t.same(attack(name, rows), [], url);
    }
  t.ok(suppressed > 10, `the fixture has small cells to protect (${suppressed} rows with a suppressed cell)`);

  // The same women served in both reports: the same figure, suppressed alike.
  const served = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/reports/people_served?from=2026-03&to=2026-04',
    headers: boss.headers,
  });
  const vul = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/reports/vulnerability_prevalence?from=2026-03&to=2026-04',
    headers: boss.headers,
  });
  t.same(
    (served.json().rows as Row[]).filter((r) => r.level === 'total').map((r) => r.people),
    (vul.json().rows as Row[]).filter((r) => r.vulnerability_code === null).map((r) => r.people),
  );
});

t.test('random blocks: thousands of shapes, none leaks', async (t) => {
  // A deterministic generator (mulberry32), so a failure is reproducible.
  let seed = 20261202;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const small = () => (rnd() < 0.5 ? Math.floor(rnd() * 6) : Math.floor(rnd() * 40));
  const failures: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const month = '2026-03';
    const bands = ['0-17', '18-29', '30-44', '45-59', '60+', 'unknown'];
    const served = [];
    for (let c = 0; c < 1 + rnd() * 3; c++)
      for (let h = 0; h < 1 + rnd() * 3; h++)
        for (const b of bands) {
          const v = small();
          if (v > 0)
            served.push({
              month,
              project_id: null,
              state: 'SP',
              city_key: `c${c}`,
              city: `C${c}`,
              neighbourhood_key: `h${h}`,
              neighbourhood: `H${h}`,
              age_band: b,
              people: v,
            });
        }
    failures.push(...attack('people_served', servedBlock(served, MIN)));

    const workshops = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, w) => {
      const participants = small();
      const marks = participants * Math.floor(1 + rnd() * 4);
      return {
        month,
        project_id: '1',
        project_name: 'P',
        workshop_id: String(w + 1),
        workshop_title: 'W',
        sessions_held: 4,
        participants,
        marks,
        present: Math.floor(marks * rnd()),
      };
    });
    const sum = (f: 'participants' | 'marks' | 'present') => workshops.reduce((n, w) => n + w[f], 0);
    failures.push(
      ...attack(
        'attendance',
        attendanceBlock(
          [
            {
              ...workshops[0]!,
              workshop_id: null,
              workshop_title: null,
              participants: sum('participants'),
              marks: sum('marks'),
              present: sum('present'),
            },
            ...workshops,
          ],
          MIN,
        ),
      ),
    );
    failures.push(
      ...attack(
        'capacity_use',
        capacityBlock(
          workshops.map((w) => ({
            ...w,
            workshop_id: w.workshop_id,
            workshop_title: 'W',
            capacity: 40,
            seats: w.participants,
          })),
          MIN,
        ),
      ),
    );
    const [pending, rejected, active, withdrawn, completed] = [small(), small(), small(), small(), small()];
    failures.push(
      ...attack(
        'enrollment_funnel',
        enrollmentBlock(
          [
            {
              month,
              project_id: '1',
              project_name: 'P',
              requested: pending + rejected + active + withdrawn + completed,
              pending,
              rejected,
              approved: active + withdrawn + completed,
              active,
              withdrawn,
              completed,
            },
          ],
          MIN,
        ),
      ),
    );
    const total = small() + 3;
    failures.push(
      ...attack(
        'vulnerability_prevalence',
        vulnerabilityBlock(
          [
            { month, project_id: null, vulnerability_code: null, vulnerability_name: null, people: total },
            ...['a', 'b', 'c'].map((code) => ({
              month,
              project_id: null,
              vulnerability_code: code,
              vulnerability_name: code,
              people: Math.floor(rnd() * (total + 1)),
            })),
          ],
          MIN,
        ),
      ),
    );
  }
  t.same(failures.slice(0, 10), [], `${failures.length} failures`);
});
