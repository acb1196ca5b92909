import { Type } from '@sinclair/typebox';
import { Email, Nullable, Timestamp } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';
import { PASSWORD_MAX } from '../../platform/password-policy.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const RoleName = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$', maxLength: 40 });

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  active: Type.Boolean(),
  last_login_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const UserPage = Page(User);
export const ListUsersQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the name or e-mail' })),
  },
  { additionalProperties: false },
);
export const CreateUserBody = Type.Object(
  { email: Email, name: Name, role: RoleName, password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX * 4 }) },
  { additionalProperties: false },
);
export const UpdateUserBody = Type.Object(
  { email: Type.Optional(Email), name: Type.Optional(Name), role: Type.Optional(RoleName) },
  { additionalProperties: false, minProperties: 1 },
);
