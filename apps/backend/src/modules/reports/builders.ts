// From the rows a report's view holds to the rows the API answers: one block at a time (a month, and a project
// or the whole organisation), each block its own tree of totals and parts, protected on its own. A block's
// suppression depends on nothing outside it, so the period and project filters only choose blocks: two requests
// with different filters never show the same block differently (no differencing between answers).
import {
  countCell,
  isSmall,
  out,
  plainCell,
  protect,
  rate,
  type Cell,
  type CellOut,
  type Relation,
} from './suppression.js';

export interface AttendanceViewRow {
  month: string;
  project_id: string;
  project_name: string;
  workshop_id: string | null;
  workshop_title: string | null;
  sessions_held: number;
  participants: number;
  marks: number;
  present: number;
}
export interface EnrollmentViewRow {
  month: string;
  project_id: string;
  project_name: string;
  requested: number;
  pending: number;
  rejected: number;
  approved: number;
  active: number;
  withdrawn: number;
  completed: number;
}
export interface ServedViewRow {
  month: string;
  project_id: string | null;
  state: string;
  city_key: string;
  city: string | null;
  neighbourhood_key: string;
  neighbourhood: string | null;
  age_band: string;
  people: number;
}
export interface VulnerabilityViewRow {
  month: string;
  project_id: string | null;
  /** null: the row carrying the block's number of people served. */
  vulnerability_code: string | null;
  vulnerability_name: string | null;
  people: number;
}
export interface CapacityViewRow {
  month: string;
  project_id: string;
  project_name: string;
  workshop_id: string;
  workshop_title: string;
  capacity: number;
  seats: number;
}

export type Row = Record<string, string | number | null | CellOut>;

const relate = (total: Cell, parts: Cell[]): Relation => ({ total, parts });

/** Attendance: the project's row (workshop_id null) is the total of its workshops' rows, measure by measure. */
export function attendanceBlock(rows: AttendanceViewRow[], minCell: number): Row[] {
  const nodes = rows.map((r) => {
    // Marks and present marks say how often the women of the row came: they are shown only when at least
    // minCell women stand behind the row, and never as a small count themselves.
    const few = isSmall(r.participants, minCell);
    return {
      r,
      participants: countCell(r.participants, few),
      marks: countCell(r.marks, few || isSmall(r.marks, minCell)),
      present: countCell(r.present, few || isSmall(r.present, minCell)),
    };
  });
  const total = nodes.find((n) => n.r.workshop_id === null);
  const parts = nodes.filter((n) => n.r.workshop_id !== null);
  if (total)
    protect(
      (['participants', 'marks', 'present'] as const).map((m) =>
        relate(
          total[m],
          parts.map((p) => p[m]),
        ),
      ),
    );
  return nodes.map(({ r, participants, marks, present }) => ({
    month: r.month,
    project_id: r.project_id,
    project_name: r.project_name,
    workshop_id: r.workshop_id,
    workshop_title: r.workshop_title,
    sessions_held: r.sessions_held,
    participants: out(participants),
    marks: out(marks),
    present: out(present),
    attendance_rate: rate(present, marks),
  }));
}

const FUNNEL = ['requested', 'pending', 'rejected', 'approved', 'active', 'withdrawn', 'completed'] as const;

/** Enrolment funnel: requested = pending + rejected + approved; approved = active + withdrawn + completed. */
export function enrollmentBlock(rows: EnrollmentViewRow[], minCell: number): Row[] {
  return rows.map((r) => {
    const c = Object.fromEntries(FUNNEL.map((m) => [m, countCell(r[m], isSmall(r[m], minCell))])) as Record<
      (typeof FUNNEL)[number],
      Cell
    >;
    protect([
      relate(c.requested, [c.pending, c.rejected, c.approved]),
      relate(c.approved, [c.active, c.withdrawn, c.completed]),
    ]);
    return {
      month: r.month,
      project_id: r.project_id,
      project_name: r.project_name,
      ...Object.fromEntries(FUNNEL.map((m) => [m, out(c[m])])),
    };
  });
}

interface PlaceNode {
  level: 'total' | 'city' | 'neighbourhood' | 'age_band';
  state: string | null;
  city: string | null;
  neighbourhood: string | null;
  age_band: string | null;
  value: number;
  children: Map<string, PlaceNode>;
  cell?: Cell;
}

const AGE_BANDS = ['0-17', '18-29', '30-44', '45-59', '60+', 'unknown'];
const place = (o: Omit<PlaceNode, 'children' | 'value'>): PlaceNode => ({ ...o, value: 0, children: new Map() });
const NOT_INFORMED = null;

/**
 * People served: total → city (with its state) → neighbourhood → age band; each level the sum of the next.
 * Places are grouped ignoring case and accents; the label shown is one of the spellings found.
 */
export function servedBlock(rows: ServedViewRow[], minCell: number): Row[] {
  if (!rows.length) return [];
  const { month, project_id } = rows[0]!;
  const root = place({ level: 'total', state: null, city: null, neighbourhood: null, age_band: null });
  for (const r of rows) {
    const state = r.state || NOT_INFORMED;
    const cityKey = `${r.state}/${r.city_key}`;
    const city =
      root.children.get(cityKey) ??
      place({ level: 'city', state, city: r.city || NOT_INFORMED, neighbourhood: null, age_band: null });
    root.children.set(cityKey, city);
    const hood =
      city.children.get(r.neighbourhood_key) ??
      place({
        level: 'neighbourhood',
        state,
        city: city.city,
        neighbourhood: r.neighbourhood || NOT_INFORMED,
        age_band: null,
      });
    city.children.set(r.neighbourhood_key, hood);
    hood.children.set(r.age_band, {
      ...place({ level: 'age_band', state, city: city.city, neighbourhood: hood.neighbourhood, age_band: r.age_band }),
      value: r.people,
    });
  }
  const relations: Relation[] = [];
  const order: PlaceNode[] = [];
  // Sums bottom-up, cells, relations; rows in reading order (total, then each city, its neighbourhoods, their bands).
  const walk = (node: PlaceNode): Cell => {
    order.push(node);
    const children = [...node.children.values()].sort(byLabel);
    if (children.length) {
      const parts = children.map(walk);
      node.value = children.reduce((n, c) => n + c.value, 0);
      node.cell = countCell(node.value, isSmall(node.value, minCell));
      relations.push(relate(node.cell, parts));
    } else node.cell = countCell(node.value, isSmall(node.value, minCell));
    return node.cell;
  };
  walk(root);
  protect(relations);
  return order.map((n) => ({
    month,
    project_id,
    level: n.level,
    state: n.state,
    city: n.city,
    neighbourhood: n.neighbourhood,
    age_band: n.age_band,
    people: out(n.cell!),
  }));
}

const collator = new Intl.Collator('pt-BR');

function byLabel(a: PlaceNode, b: PlaceNode): number {
  if (a.level === 'age_band') return AGE_BANDS.indexOf(a.age_band!) - AGE_BANDS.indexOf(b.age_band!);
  const label = (n: PlaceNode) =>
    n.level === 'city' ? `${n.city ?? '\uffff'}/${n.state ?? ''}` : (n.neighbourhood ?? '\uffff');
  return collator.compare(label(a), label(b));
}

/**
 * Vulnerability prevalence: for each vulnerability, served = with + without. "Without" is never shown but is
 * served − with: when it is a small count, "with" is suppressed so it cannot be recomputed.
 */
export function vulnerabilityBlock(rows: VulnerabilityViewRow[], minCell: number): Row[] {
  const totalRow = rows.find((r) => r.vulnerability_code === null);
  if (!totalRow) return [];
  const served = countCell(totalRow.people, isSmall(totalRow.people, minCell));
  const withs = rows
    .filter((r) => r.vulnerability_code !== null)
    .map((r) => {
      const without = totalRow.people - r.people;
      return {
        r,
        cell: countCell(r.people, isSmall(r.people, minCell)),
        without: countCell(without, isSmall(without, minCell), true),
      };
    });
  protect(withs.map((w) => relate(served, [w.cell, w.without])));
  const row = (r: VulnerabilityViewRow, people: Cell, prevalence: CellOut) => ({
    month: r.month,
    project_id: r.project_id,
    vulnerability_code: r.vulnerability_code,
    vulnerability_name: r.vulnerability_name,
    people: out(people),
    prevalence,
  });
  return [
    row(totalRow, served, { value: null, suppressed: false }),
    ...withs.map((w) => row(w.r, w.cell, rate(w.cell, served))),
  ];
}

/** Capacity use: the project's seats and capacity are the sums of its workshops'. */
export function capacityBlock(rows: CapacityViewRow[], minCell: number): Row[] {
  if (!rows.length) return [];
  const first = rows[0]!;
  const parts = rows.map((r) => ({
    r,
    seats: countCell(r.seats, isSmall(r.seats, minCell)),
    capacity: plainCell(r.capacity),
  }));
  const seats = parts.reduce((n, p) => n + p.r.seats, 0);
  const capacity = parts.reduce((n, p) => n + p.r.capacity, 0);
  const total = { seats: countCell(seats, isSmall(seats, minCell)), capacity: plainCell(capacity) };
  protect([
    relate(
      total.seats,
      parts.map((p) => p.seats),
    ),
  ]);
  const row = (workshop: CapacityViewRow | null, s: Cell, c: Cell) => ({
    month: first.month,
    project_id: first.project_id,
    project_name: first.project_name,
    workshop_id: workshop?.workshop_id ?? null,
    workshop_title: workshop?.workshop_title ?? null,
    capacity: c.value,
    seats: out(s),
    use_rate: rate(s, c),
  });
  return [row(null, total.seats, total.capacity), ...parts.map((p) => row(p.r, p.seats, p.capacity))];
}
