import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';

export const EnrollmentStatus = Type.Union(
  ['pending', 'approved', 'rejected', 'withdrawn', 'completed'].map((s) => Type.Literal(s)),
);

export const Enrollment = Type.Object({
  id: Type.String(),
  beneficiary_id: Type.String(),
  beneficiary_code: Type.String(),
  beneficiary_name: Type.String(),
  project_id: Type.String(),
  project_name: Type.String(),
  status: Type.String(),
  notes: Nullable(Type.String()),
  decided_by: Nullable(Type.String()),
  decided_at: Nullable(Timestamp),
  decision_note: Nullable(Type.String()),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});
export const EnrollmentPage = Page(Enrollment);

export const CreateEnrollmentBody = Type.Object(
  { beneficiary_id: Id, project_id: Id, notes: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
);
export type CreateEnrollment = Static<typeof CreateEnrollmentBody>;

export const DecisionBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 5000 })), version: Type.Optional(Version) },
  { additionalProperties: false },
);
export const DecisionParams = Type.Object({
  id: Id,
  action: Type.Union([
    Type.Literal('approve'),
    Type.Literal('reject'),
    Type.Literal('withdraw'),
    Type.Literal('complete'),
  ]),
});

export const ListEnrollmentsQuery = Type.Object(
  {
    ...PageQuery,
    beneficiary_id: Type.Optional(Id),
    project_id: Type.Optional(Id),
    status: Type.Optional(EnrollmentStatus),
  },
  { additionalProperties: false },
);
export type ListEnrollments = Static<typeof ListEnrollmentsQuery>;
