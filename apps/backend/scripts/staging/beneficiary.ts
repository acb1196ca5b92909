// One beneficiary and everything that hangs from her: a pure function of (seed, sequence number) and the
// plan; only the workshop seats depend on the beneficiaries before her (first come, first served).
import { Rng } from './random.js';
import { cpfFor } from './cpf.js';
import { BENEFICIARY_WRITABLE_COLUMNS } from '../../src/modules/beneficiaries/index.js';
import { stamp, isoDay } from './dates.js';
import {
  ATTENDANCE_NOTES,
  CITIES,
  COMPLEMENTS,
  DECISION_NOTES,
  FEMALE_FIRST,
  MIDDLE,
  SOCIAL_FIRST,
  STATUS_REASONS,
  STREET_NAMES,
  STREET_TYPES,
  SURNAMES,
} from './names.js';
import type { Plan } from './plan.js';

/**
 * Staging codes start at B-90000001: far above the API's own sequence (B-000001, ...), so generated and
 * real records never compete for a code, and the code is the natural key that makes re-runs skip.
 */
export const CODE_BASE = 90_000_000;
export const codeOf = (n: number) => `B-${CODE_BASE + n}`;

export type EnrollmentStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'completed';

export interface GeneratedBeneficiary {
  row: (string | number | null)[]; // in BENEFICIARY_COLUMNS order
  code: string;
  /** Status steps: [0] is the insert (active); later ones are UPDATEs the history trigger records. */
  statuses: { status: string; reason: string | null; at: string; by: number }[];
  vulnerabilities: { id: string; at: string }[];
  enrollments: {
    project: number;
    created: string;
    notes: string | null;
    status: EnrollmentStatus;
    first?: { at: string; by: number; note: string };
    second?: { at: string; by: number; note: string };
    by: number;
  }[];
  seats: { workshop: number; project: number; at: string; by: number }[];
  attendance: { workshop: number; day: string; present: boolean; note: string | null; at: string; by: number }[];
}

/** COPY column order: the API's writable columns (one list, in the beneficiaries module), framed by ours. */
export const BENEFICIARY_COLUMNS = [
  'seq',
  'code',
  ...BENEFICIARY_WRITABLE_COLUMNS,
  'created_at',
  'created_by',
] as const;

const slug = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
const DAY_MIN = 8 * 60;
const minuteOfDay = (rng: Rng) => DAY_MIN + rng.int(0, 10 * 60 - 1);
/**
 * A minute on `day` that comes after (prevDay, prevMinute): any working minute on a later day, a little later
 * on the same day.
 */
const minuteAfter = (rng: Rng, day: number, prevDay: number, prevMinute: number) =>
  day > prevDay ? minuteOfDay(rng) : Math.min(23 * 60 + 59, prevMinute + rng.int(1, 90));

export function generateBeneficiary(plan: Plan, n: number, vulnerabilityIds: readonly string[]): GeneratedBeneficiary {
  const rng = new Rng(plan.seed, 'beneficiary', n);
  const { asOf } = plan;
  const first = rng.pick(FEMALE_FIRST);
  const surnames = rng.chance(0.6) ? [rng.pick(SURNAMES), rng.pick(SURNAMES)] : [rng.pick(SURNAMES)];
  const fullName = [first, ...(rng.chance(0.45) ? [rng.pick(MIDDLE)] : []), ...surnames].join(' ');
  const socialName = rng.chance(0.03) ? `${rng.pick(SOCIAL_FIRST)} ${surnames.at(-1)}` : null;
  const city = rng.weighted(CITIES.map((c, i) => [c, i < 2 ? 3 : 1] as const));
  const age = rng.int(18, 74);
  const birth = asOf - age * 365 - rng.int(0, 364);
  const registered = asOf - rng.int(0, 3 * 365);
  const registrar = rng.pick(plan.socialWorkers);
  const createdMinute = minuteOfDay(rng);
  const created = stamp(registered, createdMinute);
  const number = rng.chance(0.06) ? 'S/N' : String(rng.int(1, 2_500));
  const income = rng.chance(0.18) ? 0 : Math.round(Math.exp(rng.next() * 3 + 5.5) * 100) / 100; // ~R$245 to ~R$4,900
  const row = [
    n,
    codeOf(n),
    fullName,
    socialName,
    rng.chance(0.96) ? cpfFor(plan.seed, n) : null,
    rng.chance(0.7) ? `1${rng.digits(10)}` : null,
    isoDay(birth),
    rng.chance(0.88) ? `${city.ddd}9${rng.int(6, 9)}${rng.digits(7)}` : null,
    rng.chance(0.4)
      ? `${slug(socialName?.split(' ')[0] ?? first)}.${slug(surnames.at(-1)!)}${n}@${rng.pick(['example.com', 'example.net', 'example.org'])}`
      : null,
    `${rng.pick(STREET_TYPES)} ${rng.pick(STREET_NAMES)}`,
    number,
    rng.chance(0.3) ? rng.pick(COMPLEMENTS) : null,
    rng.pick(city.neighbourhoods),
    city.name,
    city.state,
    `${rng.pick(city.cepPrefixes)}${rng.digits(3)}`,
    income.toFixed(2),
    rng.weighted([
      [0, 20],
      [1, 30],
      [2, 25],
      [3, 14],
      [4, 7],
      [5, 3],
      [6, 1],
    ]),
    rng.chance(0.08) ? 'Encaminhada pelo CRAS do território.' : null,
    created,
    registrar,
  ];

  // Status history: most stay active; some pause, come back, or are archived.
  const statuses: GeneratedBeneficiary['statuses'] = [{ status: 'active', reason: null, at: created, by: registrar }];
  const path = rng.weighted<string[]>([
    [[], 80],
    [['inactive'], 7],
    [['inactive', 'active'], 5],
    [['archived'], 5],
    [['inactive', 'archived'], 3],
  ]);
  let day = registered;
  let minute = createdMinute;
  for (const status of path) {
    const next = Math.min(asOf, day + rng.int(10, 200));
    minute = minuteAfter(rng, next, day, minute);
    day = next;
    const reasons =
      status === 'active' ? STATUS_REASONS.reactivated : STATUS_REASONS[status as 'inactive' | 'archived'];
    statuses.push({ status, reason: rng.pick(reasons), at: stamp(day, minute), by: rng.pick(plan.socialWorkers) });
  }

  const vulnerabilities = rng
    .sample(
      vulnerabilityIds,
      rng.weighted([
        [0, 15],
        [1, 40],
        [2, 30],
        [3, 15],
      ]),
    )
    .sort()
    .map((id) => ({ id, at: created }));

  // Enrolments in distinct projects; statuses follow the project's phase.
  const enrollments: GeneratedBeneficiary['enrollments'] = [];
  const seats: GeneratedBeneficiary['seats'] = [];
  const attendance: GeneratedBeneficiary['attendance'] = [];
  const archived = path.at(-1) === 'archived';
  // Only requests the database would have taken on their day (enrollments_check_parties): before her
  // archive, and not after a completed or cancelled project ended.
  const lastRequestDay = archived ? day - 1 : asOf;
  const takers = plan.projects.filter((p) => !isClosed(p.status) || p.end >= registered);
  const count =
    lastRequestDay < registered
      ? 0
      : archived
        ? rng.int(0, 1)
        : rng.weighted([
            [0, 25],
            [1, 45],
            [2, 22],
            [3, 8],
          ]);
  for (const p of rng.sample(takers, count)) {
    const requested = Math.min(
      lastRequestDay,
      isClosed(p.status) ? p.end : asOf,
      Math.max(registered, p.start - rng.int(0, 45)) + rng.int(0, 20),
    );
    const coord = p.coordinator;
    const status: EnrollmentStatus =
      p.status === 'cancelled'
        ? rng.pick(['rejected', 'withdrawn'] as const)
        : p.status === 'planning'
          ? rng.weighted([
              ['pending', 5],
              ['approved', 4],
              ['rejected', 1],
            ])
          : p.status === 'completed'
            ? rng.weighted([
                ['completed', 6],
                ['withdrawn', 2],
                ['rejected', 2],
              ])
            : rng.weighted([
                ['pending', 2],
                ['approved', 6],
                ['rejected', 1],
                ['withdrawn', 1],
              ]);
    const decided1 = Math.min(asOf, requested + rng.int(1, 15));
    const decided2 = Math.min(asOf, Math.max(decided1 + 1, Math.min(p.end, decided1 + rng.int(20, 200))));
    const requestedMinute = minuteAfter(rng, requested, registered, createdMinute);
    const decided1Minute = minuteAfter(rng, decided1, requested, requestedMinute);
    const decided2Minute = minuteAfter(rng, decided2, decided1, decided1Minute);
    const e: GeneratedBeneficiary['enrollments'][number] = {
      project: p.index,
      created: stamp(requested, requestedMinute),
      notes: rng.chance(0.2) ? 'Indicação de vizinha participante.' : null,
      status,
      by: rng.pick(plan.socialWorkers),
    };
    if (status !== 'pending') {
      const firstStatus = status === 'rejected' ? 'rejected' : 'approved';
      e.first = { at: stamp(decided1, decided1Minute), by: coord, note: rng.pick(DECISION_NOTES[firstStatus]) };
    }
    if (status === 'withdrawn' || status === 'completed')
      e.second = { at: stamp(decided2, decided2Minute), by: coord, note: rng.pick(DECISION_NOTES[status]) };
    enrollments.push(e);

    // A seat in one workshop of the project for enrolments still approved, while seats last.
    if (status !== 'approved') continue;
    for (const w of rng.sample(plan.workshopsByProject[p.index]!, 2)) {
      const ws = plan.workshops[w]!;
      // A closed workshop took no one after it ended (workshop_participants_check_workshop).
      if (ws.seatsLeft <= 0 || (isClosed(ws.status) && decided1 > ws.end)) continue;
      ws.seatsLeft--;
      const joined = Math.min(asOf, Math.max(decided1, ws.start - rng.int(0, 10)));
      const by = ws.facilitator;
      seats.push({
        workshop: w,
        project: p.index,
        at: stamp(joined, minuteAfter(rng, joined, decided1, decided1Minute)),
        by,
      });
      // Attendance on the sessions held since she joined, never today or later.
      const rate = 0.6 + rng.next() * 0.35;
      for (const s of ws.sessions) {
        if (s < joined || s >= asOf) continue;
        const present = rng.chance(rate);
        attendance.push({
          workshop: w,
          day: isoDay(s),
          present,
          note: !present && rng.chance(0.15) ? rng.pick(ATTENDANCE_NOTES) : null,
          at: stamp(s, 20 * 60 + rng.int(0, 120)),
          by,
        });
      }
      break;
    }
  }
  return { row, code: codeOf(n), statuses, vulnerabilities, enrollments, seats, attendance };
}

const isClosed = (status: string): boolean => status === 'completed' || status === 'cancelled';
