// Schema pieces shared by modules.
import { Type } from '@sinclair/typebox';

export const IdParam = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'numeric id' }) });
export const Email = Type.String({
  pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  maxLength: 254,
  description: 'e-mail address',
});
// pg returns Date objects; the serializer writes them as ISO 8601 strings.
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NoContent = Type.Null();

/** Problem responses a route may return, for the OpenAPI document. */
export const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref('Problem')]));
