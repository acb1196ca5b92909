import { Type, type TSchema } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';
import { REPORTS, type Field, type ReportName } from './catalogue.js';

const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'a month, YYYY-MM' });

const countCell = Type.Object(
  { value: Nullable(Type.Integer({ minimum: 0 })), suppressed: Type.Boolean() },
  { description: 'a count; value null and suppressed true when it could single someone out (docs/reports.md)' },
);
const rateCell = Type.Object(
  { value: Nullable(Type.Number({ minimum: 0 })), suppressed: Type.Boolean() },
  { description: 'a ratio of two counts; suppressed with either of them (null unsuppressed: nothing to divide by)' },
);

const fieldSchema = (f: Field): TSchema => {
  const description = f.description;
  switch (f.kind) {
    case 'dimension':
      return f.name === 'month' ? { ...Month, description } : Nullable(Type.String({ description }));
    case 'number':
      return Type.Integer({ minimum: 0, description });
    case 'count':
      return { ...countCell, description };
    case 'rate':
      return { ...rateCell, description };
  }
};

export const ReportRow = (name: ReportName) =>
  Type.Object(Object.fromEntries(REPORTS[name].fields.map((f) => [f.name, fieldSchema(f)])), {
    additionalProperties: false,
  });

export const ReportAnswer = (name: ReportName) =>
  Type.Object({
    report: Type.Literal(name),
    title: Type.String(),
    as_of: Nullable(Timestamp),
    refresh_id: Nullable(Type.String({ description: 'the refresh the rows come from (GET /reports/refreshes)' })),
    from: Month,
    to: Month,
    project_id: Nullable(Type.String()),
    min_cell: Type.Integer({ description: 'REPORT_MIN_CELL: counts from 1 to min_cell - 1 are never shown' }),
    rows: Type.Array(ReportRow(name)),
  });

export const PeriodQuery = Type.Object(
  {
    from: Type.Optional({ ...Month, description: 'first month (default: 11 months before to)' }),
    to: Type.Optional({ ...Month, description: 'last month, included (default: this month in ORG_TIMEZONE)' }),
    project_id: Type.Optional({ ...Id, description: 'only this project (organisation-wide reports: its figures)' }),
  },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  {
    ...PeriodQuery.properties,
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' }),
  },
  { additionalProperties: false },
);

const FieldSchema = Type.Object({
  name: Type.String(),
  kind: Type.Union(['dimension', 'number', 'count', 'rate'].map((k) => Type.Literal(k))),
  description: Type.String(),
});

export const ReportList = Type.Object({
  data: Type.Array(
    Type.Object({
      name: Type.String(),
      title: Type.String(),
      description: Type.String(),
      scope: Type.Union([Type.Literal('projects'), Type.Literal('organisation')]),
      views: Type.Array(Type.String()),
      fields: Type.Array(FieldSchema),
    }),
  ),
  as_of: Nullable(Timestamp),
  refresh_id: Nullable(Type.String()),
  min_cell: Type.Integer(),
});

export const Refresh = Type.Object({
  id: Type.String(),
  trigger: Type.Union([Type.Literal('user'), Type.Literal('schedule'), Type.Literal('system')]),
  requested_by: Nullable(Type.String({ description: 'the user who asked (trigger user)' })),
  source: Nullable(Type.String({ description: 'the schedule or system step (trigger schedule or system)' })),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  error_code: Nullable(Type.String({ description: 'SQLSTATE of a failure (57014: statement timeout)' })),
  timezone: Type.String(),
  started_at: Timestamp,
  finished_at: Timestamp,
  duration_ms: Type.Integer(),
  views: Type.Record(Type.String(), Type.Object({ rows: Type.Integer(), duration_ms: Type.Integer() })),
});
export const RefreshPage = Page(Refresh);
export const RefreshesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
