// The shared part of the staging data: staff accounts, projects and workshops. A pure function of
// (seed, number of beneficiaries, as-of day), so two runs plan exactly the same rows.
import { Rng } from './random.js';
import { isoWeekday, mondayOf } from './dates.js';
import { CITIES, LOCATIONS, PROJECT_THEMES, STAFF_FIRST, SURNAMES } from './names.js';

export const STAFF_DOMAIN = 'staging.acolhe.invalid';

export interface StaffPlan {
  email: string;
  name: string;
  role: 'coordinator' | 'social_worker' | 'educator';
  passwordHash: string;
}

export interface ProjectPlan {
  index: number;
  name: string;
  description: string;
  status: 'planning' | 'active' | 'completed' | 'cancelled';
  start: number;
  end: number;
  coordinator: number; // index into staff
}

export interface WorkshopPlan {
  index: number;
  project: number;
  title: string;
  description: string;
  facilitator: number; // index into staff
  location: string;
  start: number;
  end: number;
  weekdays: number[];
  startTime: string;
  endTime: string;
  capacity: number;
  status: 'planned' | 'active' | 'completed' | 'cancelled';
  /** Every scheduled session day (start..end on the weekdays). */
  sessions: number[];
  /** Seats left while beneficiaries are assigned in sequence order. */
  seatsLeft: number;
}

export interface Plan {
  seed: number;
  asOf: number;
  staff: StaffPlan[];
  coordinators: number[];
  socialWorkers: number[];
  projects: ProjectPlan[];
  workshops: WorkshopPlan[];
  workshopsByProject: number[][];
}

const SLOTS = [
  ['08:00', '10:00', 'manhã'],
  ['10:00', '12:00', 'manhã'],
  ['13:30', '15:30', 'tarde'],
  ['15:30', '17:30', 'tarde'],
  ['18:30', '20:30', 'noite'],
] as const;
// Disjoint weekday patterns: a facilitator's "lane" is (slot, pattern), so lanes never share a weekday hour.
const PATTERNS = [[1, 3], [2, 4], [5], [6]] as const;

/**
 * A syntactically valid argon2id hash of no known password: staging staff cannot sign in until an admin
 * resets them.
 */
function unusableHash(rng: Rng): string {
  const b64 = (n: number) =>
    Buffer.from(Array.from({ length: n }, () => rng.int(0, 255)))
      .toString('base64')
      .replace(/=+$/, '');
  return `$argon2id$v=19$m=65536,t=3,p=4$${b64(16)}$${b64(32)}`;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export function buildPlan(seed: number, beneficiaries: number, asOf: number): Plan {
  const rng = new Rng(seed, 'plan');
  const staff: StaffPlan[] = [];
  const addStaff = (role: StaffPlan['role'], prefix: string, n: number) => {
    const name = `${rng.pick(STAFF_FIRST)} ${rng.pick(SURNAMES)}`;
    staff.push({
      email: `${prefix}${String(n).padStart(3, '0')}@${STAFF_DOMAIN}`,
      name,
      role,
      passwordHash: unusableHash(rng),
    });
    return staff.length - 1;
  };
  const nCoord = clamp(Math.ceil(beneficiaries / 20_000), 2, 20);
  const coordinators = Array.from({ length: nCoord }, (_, i) => addStaff('coordinator', 'coordenacao', i + 1));
  const socialWorkers = Array.from({ length: nCoord * 2 }, (_, i) => addStaff('social_worker', 'assistente', i + 1));

  // Projects: a quarter finished, half running, a quarter yet to start; a few cancelled.
  const nProjects = clamp(Math.round(beneficiaries / 2_500), 4, 120);
  const projects: ProjectPlan[] = [];
  const names = new Set<string>();
  for (let p = 0; p < nProjects; p++) {
    const [theme, description] = PROJECT_THEMES[p % PROJECT_THEMES.length]!;
    const city = CITIES[p % CITIES.length]!;
    const phase = p % 4;
    const length = rng.int(150, 330);
    const start = mondayOf(
      phase === 0
        ? asOf - length - rng.int(20, 200)
        : phase === 3
          ? asOf + rng.int(14, 90)
          : asOf - rng.int(20, length - 30),
    );
    const end = start + length;
    let name = `${theme} · ${rng.pick(city.neighbourhoods)}, ${city.name}`;
    for (let k = 2; names.has(name.toLowerCase()); k++) name = `${theme} · ${city.name} ${k}`;
    names.add(name.toLowerCase());
    const cancelled = p % 11 === 10;
    const status = cancelled ? 'cancelled' : end < asOf ? 'completed' : start > asOf ? 'planning' : 'active';
    projects.push({ index: p, name, description, status, start, end, coordinator: coordinators[p % nCoord]! });
  }

  // Workshops: about one per 80 beneficiaries, spread over the projects; each gets a facilitator lane
  // free for its dates, so the facilitator no-overlap constraint (workshop_schedule) always holds.
  const nWorkshops = Math.max(nProjects * 2, Math.round(beneficiaries / 80));
  const lanes = new Map<string, [number, number][]>(); // `${facilitator}/${slot}/${pattern}` → booked [start, end]
  const facilitators: number[] = [];
  const workshops: WorkshopPlan[] = [];
  const workshopsByProject: number[][] = projects.map(() => []);
  for (let w = 0; w < nWorkshops; w++) {
    const project = projects[w % nProjects]!;
    const span = project.end - project.start;
    const start = project.start + rng.int(0, Math.min(45, Math.floor(span / 3)));
    const end = Math.min(project.end, start + rng.int(35, 150));
    const slot = rng.int(0, SLOTS.length - 1);
    const pattern = rng.int(0, PATTERNS.length - 1);
    let facilitator = -1;
    const first = facilitators.length ? rng.int(0, facilitators.length - 1) : 0;
    for (let k = 0; k < facilitators.length && facilitator < 0; k++) {
      const f = facilitators[(first + k) % facilitators.length]!;
      const booked = lanes.get(`${f}/${slot}/${pattern}`) ?? [];
      if (booked.every(([s, e]) => end < s || start > e)) facilitator = f;
    }
    if (facilitator < 0) facilitators.push((facilitator = addStaff('educator', 'educadora', facilitators.length + 1)));
    const key = `${facilitator}/${slot}/${pattern}`;
    lanes.set(key, [...(lanes.get(key) ?? []), [start, end]]);
    const weekdays: number[] = [...PATTERNS[pattern]!];
    const sessions: number[] = [];
    for (let d = start; d <= end; d++) if (weekdays.includes(isoWeekday(d))) sessions.push(d);
    const [startTime, endTime, period] = SLOTS[slot]!;
    const number = workshopsByProject[project.index]!.length + 1;
    const cancelled = project.status === 'cancelled' || rng.chance(0.04);
    const capacity = rng.int(12, 35);
    workshops.push({
      index: w,
      project: project.index,
      title: `Turma ${number} (${period})`,
      description: `${project.description} Encontros de ${startTime} às ${endTime}.`,
      facilitator,
      location: rng.pick(LOCATIONS),
      start,
      end,
      weekdays,
      startTime,
      endTime,
      capacity,
      status: cancelled ? 'cancelled' : end < asOf ? 'completed' : start > asOf ? 'planned' : 'active',
      sessions,
      seatsLeft: cancelled ? 0 : capacity,
    });
    workshopsByProject[project.index]!.push(w);
  }
  return { seed, asOf, staff, coordinators, socialWorkers, projects, workshops, workshopsByProject };
}
