// The five reports: what each measures (GET /reports answers this), the view it is served from, how its rows are
// grouped into blocks and protected, and its columns in exports. docs/reports.md defines every measure at length.
import {
  attendanceBlock,
  capacityBlock,
  enrollmentBlock,
  servedBlock,
  vulnerabilityBlock,
  type Row,
} from './builders.js';

export const REPORT_NAMES = [
  'attendance',
  'enrollment_funnel',
  'people_served',
  'vulnerability_prevalence',
  'capacity_use',
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export interface Field {
  name: string;
  /** dimension: what a row is about; number: a plain figure (not about people); count: a protected count
   * (a cell `{ value, suppressed }`); rate: a ratio of counts (a cell, suppressed with either count). */
  kind: 'dimension' | 'number' | 'count' | 'rate';
  description: string;
}

export interface ReportDefinition {
  name: ReportName;
  title: string;
  description: string;
  /** projects: one block per project and month (project_id filters them); organisation: without project_id the
   * organisation's figures (each woman once), with it that project's. */
  scope: 'projects' | 'organisation';
  views: string[];
  fields: Field[];
  /** The rows of one block (the view's rows arrive ordered by block) → the rows answered, protected. */
  block: (rows: never[], minCell: number) => Row[];
  /** The block a view row belongs to. */
  blockKey: (row: { month: string; project_id: string | null }) => string;
}

const month: Field = { name: 'month', kind: 'dimension', description: 'calendar month (YYYY-MM) in ORG_TIMEZONE' };
const project: Field = { name: 'project_id', kind: 'dimension', description: 'the project' };
const projectName: Field = { name: 'project_name', kind: 'dimension', description: 'the project’s name now' };
const orgProject: Field = {
  name: 'project_id',
  kind: 'dimension',
  description: 'the project asked for, or null: the whole organisation (each woman counted once)',
};
const workshop: Field = {
  name: 'workshop_id',
  kind: 'dimension',
  description: 'the workshop; null on the project’s row (the total of its workshops)',
};
const workshopTitle: Field = { name: 'workshop_title', kind: 'dimension', description: 'the workshop’s title now' };
const count = (name: string, description: string): Field => ({ name, kind: 'count', description });
/** What a row per workshop (and per project, its total) starts with. */
const perWorkshop = [month, project, projectName, workshop, workshopTitle];
const byMonthAndProject = (r: { month: string; project_id: string | null }) => `${r.month}/${r.project_id ?? ''}`;

export const REPORTS: Record<ReportName, ReportDefinition> = {
  attendance: {
    name: 'attendance',
    title: 'Attendance per workshop and project per month',
    description:
      'Sessions held, women on the attendance sheets and how often they were present, per workshop and per project (the total of its workshops), per month of the session date.',
    scope: 'projects',
    views: ['report_attendance'],
    fields: [
      ...perWorkshop,
      {
        name: 'sessions_held',
        kind: 'number',
        description:
          'sessions with an attendance sheet (a workshop and a day with at least one row); on a project’s row, the sum over its workshops',
      },
      count('participants', 'distinct women listed on the month’s sheets, present or absent'),
      count('marks', 'rows on the month’s sheets: one per woman per session'),
      count('present', 'rows marked present'),
      { name: 'attendance_rate', kind: 'rate', description: 'present ÷ marks' },
    ],
    block: attendanceBlock as ReportDefinition['block'],
    blockKey: byMonthAndProject,
  },
  enrollment_funnel: {
    name: 'enrollment_funnel',
    title: 'Enrolment funnel per project per month',
    description:
      'Enrolments requested in the month (their creation, in ORG_TIMEZONE), by where each stands now: requested = pending + rejected + approved; approved = active + withdrawn + completed.',
    scope: 'projects',
    views: ['report_enrollments'],
    fields: [
      month,
      project,
      projectName,
      count('requested', 'enrolments requested in the month'),
      count('pending', 'of those, still waiting for a decision'),
      count('rejected', 'of those, rejected'),
      count('approved', 'of those, approved at some point (now active, withdrawn or completed)'),
      count('active', 'of the approved, still approved'),
      count('withdrawn', 'of the approved, withdrawn'),
      count('completed', 'of the approved, completed'),
    ],
    block: enrollmentBlock as ReportDefinition['block'],
    blockKey: byMonthAndProject,
  },
  people_served: {
    name: 'people_served',
    title: 'People served by city, neighbourhood and age band',
    description:
      'Women present at one session or more in the month, by the city and neighbourhood of their address now and their age band on the month’s last day. Rows: the total, each city, each neighbourhood of a city, each age band of a neighbourhood; each level adds up to the one above.',
    scope: 'organisation',
    views: ['report_served'],
    fields: [
      month,
      orgProject,
      { name: 'level', kind: 'dimension', description: 'total | city | neighbourhood | age_band' },
      { name: 'state', kind: 'dimension', description: 'UF of the city; null: not informed' },
      {
        name: 'city',
        kind: 'dimension',
        description: 'city (case and accents ignored when grouping); null: not informed',
      },
      { name: 'neighbourhood', kind: 'dimension', description: 'neighbourhood; null: not informed' },
      {
        name: 'age_band',
        kind: 'dimension',
        description: '0-17 | 18-29 | 30-44 | 45-59 | 60+ | unknown (whole years on the month’s last day)',
      },
      count('people', 'women served'),
    ],
    block: servedBlock as ReportDefinition['block'],
    blockKey: byMonthAndProject,
  },
  vulnerability_prevalence: {
    name: 'vulnerability_prevalence',
    title: 'Vulnerability prevalence among people served',
    description:
      'Of the women served in the month (present at one session or more), how many have each vulnerability of the catalogue (as recorded now). The first row of a month (vulnerability_code null) gives the number served.',
    scope: 'organisation',
    views: ['report_served', 'report_vulnerabilities'],
    fields: [
      month,
      orgProject,
      {
        name: 'vulnerability_code',
        kind: 'dimension',
        description: 'the vulnerability (catalogue code); null on the row of women served',
      },
      { name: 'vulnerability_name', kind: 'dimension', description: 'its name in the catalogue' },
      count('people', 'women served with the vulnerability (on the first row: women served)'),
      { name: 'prevalence', kind: 'rate', description: 'people ÷ women served (null on the row of women served)' },
    ],
    block: vulnerabilityBlock as ReportDefinition['block'],
    blockKey: byMonthAndProject,
  },
  capacity_use: {
    name: 'capacity_use',
    title: 'Capacity use per workshop over time',
    description:
      'For each month of a workshop’s run up to the current month, seats taken by the month’s last day against its capacity; the project’s row sums its workshops. Cancelled workshops are left out.',
    scope: 'projects',
    views: ['report_capacity'],
    fields: [
      ...perWorkshop,
      { name: 'capacity', kind: 'number', description: 'seats the workshop offers (now); on a project’s row, the sum' },
      count('seats', 'participants who had joined by the month’s last day and are still participants'),
      { name: 'use_rate', kind: 'rate', description: 'seats ÷ capacity' },
    ],
    block: capacityBlock as ReportDefinition['block'],
    blockKey: byMonthAndProject,
  },
};

/** Every view the reports read, in refresh order. */
export const REPORT_VIEWS = [
  'report_attendance',
  'report_enrollments',
  'report_served',
  'report_vulnerabilities',
  'report_capacity',
] as const;
export type ReportView = (typeof REPORT_VIEWS)[number];
