// Schema primitives every module uses: one definition each, so the API says the same thing everywhere.
import { Type, type TSchema } from '@sinclair/typebox';
import { PROBLEM_MEDIA_TYPE, problemTitle } from './errors.js';

/** A bigint id as the API writes it: a decimal string (a JSON number would lose digits above 2^53). */
export const ID_PATTERN = '^[1-9][0-9]{0,17}$';
export const Id = Type.String({ pattern: ID_PATTERN, maxLength: 18, description: 'numeric id' });
export const IdParam = Type.Object({ id: Id });
/** The row version a client read, for optimistic concurrency (or If-Match). */
export const Version = Type.Integer({
  minimum: 1,
  maximum: 2_000_000_000,
  description: 'row version read (optimistic concurrency; or If-Match)',
});
/** A calendar day, as `date` columns travel. */
export const DateString = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
export const Email = Type.String({
  pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  maxLength: 254,
  description: 'e-mail address',
});
// pg returns Date objects; the serializer writes them as ISO 8601 strings.
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
/** The schema, or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A response without a body (204, or the 202 of a password reset): documented without content, sent empty. */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'No body' });

/** One problem response: `application/problem+json` with the Problem schema (serializer and OpenAPI alike). */
export const problemResponse = (status: number) => ({
  description: problemTitle(status),
  content: { [PROBLEM_MEDIA_TYPE]: { schema: Type.Ref('Problem') } },
});

/** Problem responses a route may return besides those the platform documents for it (platform/openapi.ts). */
export const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, problemResponse(c)]));
