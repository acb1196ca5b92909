import { Type, type Static } from '@sinclair/typebox';
import { Email, Nullable, Timestamp } from '../../platform/schemas.js';
import { PASSWORD_MAX } from '../../platform/password-policy.js';

const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX * 4 });
const NewPassword = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX * 4,
  description: '10 to 256 characters, not a common password, not the e-mail',
});

export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const TokenPair = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.String(),
});
export const Session = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created_at: Timestamp,
  last_used_at: Timestamp,
  expires_at: Timestamp,
  user_agent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  current: Type.Boolean(),
});
export const SessionParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  permissions: Type.Array(Type.String()),
  session_id: Type.String(),
});
export const ChangePasswordBody = Type.Object(
  { current_password: Password, new_password: NewPassword },
  { additionalProperties: false },
);
export const ResetRequestBody = Type.Object({ email: Email }, { additionalProperties: false });
export const ResetConfirmBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }), new_password: NewPassword },
  { additionalProperties: false },
);

export type LoginBody = Static<typeof LoginBody>;
export type ResetRequestBody = Static<typeof ResetRequestBody>;
export type TokenPair = Static<typeof TokenPair>;
