import { Type } from '@sinclair/typebox';
import { Timestamp } from '../../platform/schemas.js';

const PermissionName = Type.String({ pattern: '^[a-z][a-z_]*:[a-z][a-z_]*$', maxLength: 80 });
export const RoleName = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,39}$',
  maxLength: 40,
  description: 'lower-case letters, digits and _',
});

export const Role = Type.Object({
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const RoleParams = Type.Object({ name: RoleName });
export const CreateRoleBody = Type.Object(
  {
    name: RoleName,
    description: Type.String({ maxLength: 500, default: '' }),
    permissions: Type.Array(PermissionName, { maxItems: 200 }),
  },
  { additionalProperties: false },
);
export const ReplacePermissionsBody = Type.Object(
  { permissions: Type.Array(PermissionName, { maxItems: 200 }) },
  { additionalProperties: false },
);
export const PermissionList = Type.Object({
  data: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
});
