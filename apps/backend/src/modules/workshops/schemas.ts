import { Type, type Static } from '@sinclair/typebox';
import { DateString, Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';

const Time = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  maxLength: 5,
  description: 'HH:MM, organisation time',
});
export const WorkshopStatus = Type.Union(['planned', 'active', 'completed', 'cancelled'].map((s) => Type.Literal(s)));
const Weekdays = Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
  minItems: 1,
  maxItems: 7,
  uniqueItems: true,
  description: 'ISO weekdays: 1 = Monday ... 7 = Sunday',
});

export const Workshop = Type.Object({
  id: Type.String(),
  project_id: Type.String(),
  project_name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  facilitator_id: Type.String(),
  facilitator_name: Type.String(),
  location: Type.String(),
  start_date: Type.String(),
  end_date: Type.String(),
  weekdays: Type.Array(Type.Integer()),
  start_time: Type.String(),
  end_time: Type.String(),
  capacity: Type.Integer(),
  participant_count: Type.Integer(),
  status: Type.String(),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});
export const WorkshopPage = Page(Workshop);

export const CreateWorkshopBody = Type.Object(
  {
    project_id: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    facilitator_id: Id,
    location: Type.Optional(Type.String({ maxLength: 200 })),
    start_date: DateString,
    end_date: DateString,
    weekdays: Weekdays,
    start_time: Time,
    end_time: Time,
    capacity: Type.Integer({ minimum: 1, maximum: 10_000 }),
    status: Type.Optional(WorkshopStatus),
  },
  { additionalProperties: false },
);
export type CreateWorkshop = Static<typeof CreateWorkshopBody>;

export const UpdateWorkshopBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    facilitator_id: Type.Optional(Id),
    location: Type.Optional(Type.String({ maxLength: 200 })),
    start_date: Type.Optional(DateString),
    end_date: Type.Optional(DateString),
    weekdays: Type.Optional(Weekdays),
    start_time: Type.Optional(Time),
    end_time: Type.Optional(Time),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    status: Type.Optional(WorkshopStatus),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWorkshop = Static<typeof UpdateWorkshopBody>;

export const ListWorkshopsQuery = Type.Object(
  {
    ...PageQuery,
    project_id: Type.Optional(Id),
    facilitator_id: Type.Optional(Id),
    status: Type.Optional(WorkshopStatus),
  },
  { additionalProperties: false },
);
export type ListWorkshops = Static<typeof ListWorkshopsQuery>;

export const Participant = Type.Object({
  workshop_id: Type.String(),
  beneficiary_id: Type.String(),
  code: Type.String(),
  full_name: Type.String(),
  social_name: Nullable(Type.String()),
  enrollment_id: Type.String(),
  created_at: Timestamp,
});
export const ParticipantPage = Page(Participant);
export const AddParticipantBody = Type.Object({ beneficiary_id: Id }, { additionalProperties: false });
export const ParticipantParams = Type.Object({ id: Id, beneficiaryId: Id });
export const ListParticipantsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
