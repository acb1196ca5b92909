import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../../platform/schemas.js';

export const SheetParams = Type.Object({
  id: Id,
  date: Type.String({ format: 'date', description: 'session date YYYY-MM-DD (organisation calendar)' }),
});

export const SheetBody = Type.Array(
  Type.Object(
    {
      beneficiary_id: Id,
      present: Type.Boolean(),
      note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  { maxItems: 10_000, description: 'the whole sheet: rows not listed are removed from it' },
);
export type Sheet = Static<typeof SheetBody>;

export const SheetResponse = Type.Object({
  workshop_id: Type.String(),
  session_date: Type.String(),
  entries: Type.Array(
    Type.Object({
      beneficiary_id: Type.String(),
      full_name: Type.String(),
      present: Type.Boolean(),
      note: Nullable(Type.String()),
      updated_at: Timestamp,
      updated_by: Nullable(Type.String()),
    }),
  ),
});

export const RatesResponse = Type.Object({
  workshop_id: Type.String(),
  sessions_recorded: Type.Integer({ description: 'distinct dates with a sheet' }),
  data: Type.Array(
    Type.Object({
      beneficiary_id: Type.String(),
      full_name: Type.String(),
      sessions: Type.Integer({ description: 'sheets she appears on' }),
      present: Type.Integer(),
      rate: Type.Union([Type.Number(), Type.Null()], { description: 'present / sessions, null when none' }),
    }),
  ),
});
