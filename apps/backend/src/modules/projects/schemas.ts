import { Type, type Static } from '@sinclair/typebox';
import { DateString, Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';

export const ProjectStatus = Type.Union(['planning', 'active', 'completed', 'cancelled'].map((s) => Type.Literal(s)));

export const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  status: Type.String(),
  start_date: Type.String(),
  end_date: Type.String(),
  coordinator_id: Type.String(),
  coordinator_name: Type.String(),
  purpose_code: Type.String({ description: 'the processing purpose it serves (GET /privacy/purposes)' }),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});
export const ProjectPage = Page(Project);

const purposeCode = (extra: { default?: string } = {}) =>
  Type.String({
    pattern: '^[a-z][a-z0-9_]{1,49}$',
    maxLength: 50,
    description:
      'the processing purpose it serves (GET /privacy/purposes); enrolling into a project whose purpose rests on consent needs her current consent to it',
    ...extra,
  });

export const CreateProjectBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    status: Type.Optional(ProjectStatus),
    start_date: DateString,
    end_date: DateString,
    coordinator_id: Id,
    purpose_code: Type.Optional(purposeCode({ default: 'case_follow_up' })),
  },
  { additionalProperties: false },
);
export type CreateProject = Static<typeof CreateProjectBody>;

export const UpdateProjectBody = Type.Object(
  {
    ...Type.Partial(CreateProjectBody).properties,
    purpose_code: Type.Optional(purposeCode()),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProject = Static<typeof UpdateProjectBody>;

export const ListProjectsQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(ProjectStatus),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the name (literal text)' })),
  },
  { additionalProperties: false },
);
export type ListProjects = Static<typeof ListProjectsQuery>;
