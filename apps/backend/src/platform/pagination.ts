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

/** What one position of a cursor holds: a bigint id, any text, a number, or an ISO timestamp. */
export type CursorPart = 'id' | 'text' | 'number' | 'timestamp';
type Decoded<S extends readonly CursorPart[]> = { -readonly [K in keyof S]: S[K] extends 'number' ? number : string };

const ID = /^[0-9]{1,18}$/;
const fits: Record<CursorPart, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && ID.test(v),
  text: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  timestamp: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
};

/** The one answer to a cursor this API did not make (or that does not fit the list): a 400, never a 500. */
export const badCursor = () =>
  badRequest('The cursor is malformed', [
    { path: 'querystring.cursor', message: 'is not a cursor returned by this API' },
  ]);

/**
 * Decodes a cursor made by encodeCursor whose values have the given shape (`['id']`, `['text', 'id']`, ...):
 * typed values, or null when the client sent none; anything else is badCursor().
 */
export function decodeCursor<const S extends readonly CursorPart[]>(
  cursor: string | undefined,
  shape: S,
): Decoded<S> | null {
  if (cursor === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(v) || v.length !== shape.length || !shape.every((part, i) => fits[part](v[i]))) throw badCursor();
  return v as Decoded<S>;
}

/** Fetch limit + 1 rows; this trims the extra one and builds next_cursor from the last row kept. */
export function toPage<R>(rows: R[], limit: number, keyOf: (row: R) => Cursor) {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
