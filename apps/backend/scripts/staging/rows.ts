// A generated beneficiary as the rows a batch COPYs, in their final state: what the API would have left after
// the same steps (registration, status changes, enrolment decisions, seats, attendance sheets). Encoded ahead,
// while the previous batch runs in PostgreSQL, except the ids, which exist only once the batch has taken them
// from the identity sequences: the id columns come first in every COPY, so each line is "ids + encoded tail".
import type { GeneratedBeneficiary } from './beneficiary.js';
import { BENEFICIARY_COLUMNS } from './beneficiary.js';
import { encodeRow } from './copy.js';

/** Database ids of the shared rows (by plan index). */
export interface SharedIds {
  staff: string[];
  projects: string[];
  workshops: string[];
}

/**
 * The tables a batch writes, in dependency order (foreign keys are checked row by row as they go in), and
 * their COPY column lists: the ids the batch assigns first, then the tail encoded ahead. Fixed names.
 */
export const BATCH_COLUMNS = {
  beneficiaries: [
    'id',
    ...BENEFICIARY_COLUMNS.slice(1),
    'status',
    'status_reason',
    'archived_at',
    'version',
    'updated_at',
    'updated_by',
  ],
  beneficiary_status_history: [
    'id',
    'beneficiary_id',
    'from_status',
    'to_status',
    'reason',
    'changed_at',
    'changed_by',
  ],
  beneficiary_vulnerabilities: ['beneficiary_id', 'vulnerability_id', 'created_at', 'created_by'],
  enrollments: [
    'id',
    'beneficiary_id',
    'project_id',
    'status',
    'notes',
    'decided_by',
    'decided_at',
    'decision_note',
    'version',
    'created_at',
    'updated_at',
    'created_by',
    'updated_by',
  ],
  workshop_participants: [
    'beneficiary_id',
    'enrollment_id',
    'workshop_id',
    'created_at',
    'updated_at',
    'created_by',
    'updated_by',
  ],
  attendance: [
    'beneficiary_id',
    'workshop_id',
    'session_date',
    'present',
    'note',
    'created_at',
    'updated_at',
    'created_by',
    'updated_by',
  ],
} as const;

export type BatchTable = keyof typeof BATCH_COLUMNS;
export const BATCH_TABLES = Object.keys(BATCH_COLUMNS) as BatchTable[];

export interface PreparedBeneficiary {
  code: string;
  cpf: string | null;
  /** Planned rows per table (for the report when she is skipped). */
  planned: Record<BatchTable, number>;
  /** Each row's encoded columns after its leading ids. */
  beneficiary: string;
  history: string[];
  vulnerabilities: string[];
  /** In id order: by request time, then project id. */
  enrollments: string[];
  /** enrolment: index into `enrollments` of the enrolment that gave her the seat. */
  seats: { enrolment: number; tail: string }[];
  attendance: string[];
}

const SEQ = BENEFICIARY_COLUMNS.indexOf('seq');
const CPF = BENEFICIARY_COLUMNS.indexOf('cpf');
const CREATED_BY = BENEFICIARY_COLUMNS.indexOf('created_by');

/**
 * Her rows without the ids. The beneficiary carries her last status (version counts the changes,
 * updated_at/by are the last change's); the history has one row per status step with the planned time and
 * author; enrolments are already decided (decision fields = the last decision, version = 1 + decisions).
 */
export function prepareBeneficiary(b: GeneratedBeneficiary, ids: SharedIds): PreparedBeneficiary {
  const user = (i: number) => ids.staff[i]!;
  const registrar = user(b.row[CREATED_BY] as number);
  const last = b.statuses.at(-1)!;
  const person = b.row.map((v, k) => (k === CREATED_BY ? registrar : v)).filter((_, k) => k !== SEQ);
  const beneficiary = encodeRow([
    ...person,
    last.status,
    last.reason,
    last.status === 'archived' ? last.at : null,
    b.statuses.length,
    last.at,
    user(last.by),
  ]);
  const history = b.statuses.map((s, step) =>
    encodeRow([step > 0 ? b.statuses[step - 1]!.status : null, s.status, s.reason, s.at, user(s.by)]),
  );
  const vulnerabilities = b.vulnerabilities.map((v) => encodeRow([v.id, v.at, registrar]));

  const ordered = b.enrollments
    .map((e) => ({ e, project: ids.projects[e.project]! }))
    .sort((p, q) =>
      p.e.created < q.e.created ? -1 : p.e.created > q.e.created ? 1 : Number(p.project) - Number(q.project),
    );
  const enrollments = ordered.map(({ e, project }) => {
    const decision = e.second ?? e.first;
    return encodeRow([
      project,
      e.status,
      e.notes,
      decision ? user(decision.by) : null,
      decision?.at,
      decision?.note,
      1 + (e.first ? 1 : 0) + (e.second ? 1 : 0),
      e.created,
      decision?.at ?? e.created,
      user(e.by),
      user(decision?.by ?? e.by),
    ]);
  });
  const seats = b.seats.map((s) => {
    const enrolment = ordered.findIndex((o) => o.e.project === s.project);
    if (enrolment < 0) throw new Error(`${b.code}: a seat without an enrolment in its project`);
    return { enrolment, tail: encodeRow([ids.workshops[s.workshop]!, s.at, s.at, user(s.by), user(s.by)]) };
  });
  const attendance = b.attendance.map((a) =>
    encodeRow([ids.workshops[a.workshop]!, a.day, a.present, a.note, a.at, a.at, user(a.by), user(a.by)]),
  );
  return {
    code: b.code,
    cpf: b.row[CPF] as string | null,
    planned: {
      beneficiaries: 1,
      beneficiary_status_history: history.length,
      beneficiary_vulnerabilities: vulnerabilities.length,
      enrollments: enrollments.length,
      workshop_participants: seats.length,
      attendance: attendance.length,
    },
    beneficiary,
    history,
    vulnerabilities,
    enrollments,
    seats,
    attendance,
  };
}

/** How many ids of each identity sequence these people need. */
export function idsNeeded(people: readonly PreparedBeneficiary[]): {
  beneficiaries: number;
  history: number;
  enrollments: number;
} {
  let history = 0;
  let enrollments = 0;
  for (const p of people) {
    history += p.history.length;
    enrollments += p.enrollments.length;
  }
  return { beneficiaries: people.length, history, enrollments };
}

/** The first id of each block the batch took from the identity sequences (blocks are contiguous: RESERVE_IDS). */
export interface FirstIds {
  beneficiaries: number;
  history: number;
  enrollments: number;
}

/**
 * One batch table's COPY text, ids assigned in plan order from the first id of each block. Built table by
 * table, so the next table's text is made while PostgreSQL works through the previous table's COPY.
 */
export function tableCopyText(
  table: BatchTable,
  people: readonly PreparedBeneficiary[],
  first: FirstIds,
): { text: string; rows: number } {
  const lines: string[] = [];
  let b = first.beneficiaries;
  let h = first.history;
  let e = first.enrollments;
  for (const p of people) {
    if (table === 'beneficiaries') lines.push(`${b}\t${p.beneficiary}\n`);
    else if (table === 'beneficiary_status_history') for (const t of p.history) lines.push(`${h++}\t${b}\t${t}\n`);
    else if (table === 'beneficiary_vulnerabilities') for (const t of p.vulnerabilities) lines.push(`${b}\t${t}\n`);
    else if (table === 'enrollments') for (const t of p.enrollments) lines.push(`${e++}\t${b}\t${t}\n`);
    else if (table === 'workshop_participants')
      for (const s of p.seats) lines.push(`${b}\t${e + s.enrolment}\t${s.tail}\n`);
    else for (const t of p.attendance) lines.push(`${b}\t${t}\n`);
    if (table === 'workshop_participants') e += p.enrollments.length;
    b++;
  }
  return { text: lines.join(''), rows: lines.length };
}
