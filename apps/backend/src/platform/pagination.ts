// One pagination style for every list (ARCHITECTURE §6): keyset, `?limit=&cursor=` → { data, next_cursor }.
// The cursor is opaque to clients: base64url JSON of the sort key of the last row returned.
import { Type, type TSchema } from '@sinclair/typebox';
import { badRequest } from './errors.js';

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'page size (1 to 100)' }),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'next_cursor of the previous page' })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

export type Cursor = (string | number | null)[];

export function encodeCursor(values: Cursor): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with `arity` values; anything else is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined, arity: number): Cursor | null {
  if (cursor === undefined) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === arity && v.every((x) => x === null || ['string', 'number'].includes(typeof x)))
      return v as Cursor;
  } catch {
    // fall through
  }
  throw badRequest('The cursor is malformed', [
    { path: 'querystring.cursor', message: 'is not a cursor returned by this API' },
  ]);
}

/** Fetch limit + 1 rows; this trims the extra one and builds next_cursor from the last row kept. */
export function toPage<R>(rows: R[], limit: number, keyOf: (row: R) => Cursor) {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
