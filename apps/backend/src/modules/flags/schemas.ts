import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { REASONS } from './evaluate.js';
import { FLAG_KEYS } from './registry.js';

const RoleName = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$', maxLength: 40 });

export const Evaluation = Type.Object({
  value: Type.Boolean(),
  reason: Type.Union(
    [...REASONS, 'error'].map((r) => Type.Literal(r)),
    {
      description:
        'default: no rule applied; role / user / percentage: that rule turned it on; off: switched off for ' +
        'everyone; error: the flag could not be evaluated (the default answered)',
    },
  ),
});

export const CallerFlags = Type.Object({
  flags: Type.Object(Object.fromEntries(FLAG_KEYS.map((k) => [k, Evaluation])), {
    description: "the caller's value of every flag",
  }),
});
export type CallerFlags = Static<typeof CallerFlags>;

export const FlagParams = Type.Object({ key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', maxLength: 63 }) });

export const PutFlagBody = Type.Object(
  {
    enabled: Type.Boolean({ description: 'false: off for everyone; true: the rules below, else the default' }),
    roles: Type.Array(RoleName, { maxItems: 100, default: [], description: 'on for users of these roles' }),
    user_ids: Type.Array(Id, { maxItems: 1000, default: [], description: 'on for these users' }),
    percentage: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: 'on for this share of users (a stable hash of flag and user)',
    }),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);
export type PutFlagBody = Static<typeof PutFlagBody>;

export const AdminFlag = Type.Object({
  key: Type.String(),
  description: Type.String(),
  owner: Type.String(),
  expires: Type.String({ format: 'date' }),
  default: Type.Boolean(),
  state: Type.Union(
    [
      Type.Object({
        enabled: Type.Boolean(),
        roles: Type.Array(Type.String()),
        user_ids: Type.Array(Id),
        percentage: Type.Integer(),
        version: Type.Integer(),
        updated_at: Timestamp,
        updated_by: Nullable(Id),
      }),
      Type.Null(),
    ],
    { description: 'null: never set, every user gets the default' },
  ),
});
export type AdminFlag = Static<typeof AdminFlag>;

export const AdminFlagVersioned = Type.Composite([AdminFlag, Type.Object({ version: Type.Integer() })]);
export const AdminFlagList = Type.Object({ data: Type.Array(AdminFlag) });
