// Schema pieces shared by modules.
import { Type } from '@sinclair/typebox';
import { PROBLEM_MEDIA_TYPE, problemTitle } from './errors.js';

/** A bigint id as the API writes it: a decimal string (a JSON number would lose digits above 2^53). */
export const Id = Type.String({ pattern: '^[1-9][0-9]{0,17}$', maxLength: 18, description: 'numeric id' });
export const IdParam = Type.Object({ id: Id });
export const Email = Type.String({
  pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  maxLength: 254,
  description: 'e-mail address',
});
// pg returns Date objects; the serializer writes them as ISO 8601 strings.
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
/** A response without a body (204, or the 202 of a password reset): documented without content, sent empty. */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'No body' });

/** One problem response: `application/problem+json` with the Problem schema (serializer and OpenAPI alike). */
export const problemResponse = (status: number) => ({
  description: problemTitle(status),
  content: { [PROBLEM_MEDIA_TYPE]: { schema: Type.Ref('Problem') } },
});

/** Problem responses a route may return besides those the platform documents for it (platform/openapi.ts). */
export const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, problemResponse(c)]));
