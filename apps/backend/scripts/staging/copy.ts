// COPY FROM STDIN in PostgreSQL's text format into a (temporary) table, through pg-copy-streams.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type Cell = string | number | boolean | null | undefined;

/** Text-format field: \N for NULL; backslash, tab, newline and carriage return escaped. */
function field(v: Cell): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : s;
}

/** One row in the text format, without its newline. */
export function encodeRow(row: readonly Cell[]): string {
  return row.map(field).join('\t');
}

export function encodeRows(rows: readonly (readonly Cell[])[]): string {
  let out = '';
  for (const row of rows) out += `${encodeRow(row)}\n`;
  return out;
}

/**
 * `COPY "table" ("column", ...) FROM STDIN`: the identifiers quoted here (pg.escapeIdentifier, the client-side
 * quote_ident), whatever the caller passes; the values travel as COPY data, never as SQL text.
 */
export function copyStatement(table: string, columns: readonly string[]): string {
  return `COPY ${pg.escapeIdentifier(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')}) FROM STDIN`;
}

/** Streams `rows` into `table (columns)`. */
export async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
): Promise<void> {
  if (rows.length === 0) return;
  await copyText(client, copyStatement(table, columns), encodeRows(rows));
}

export async function copyText(client: pg.ClientBase, statement: string, text: string): Promise<void> {
  const CHUNK = 1 << 20;
  const chunks = function* () {
    for (let i = 0; i < text.length; i += CHUNK) yield text.slice(i, i + CHUNK);
  };
  await pipeline(Readable.from(chunks()), client.query(copyFrom(statement)));
}
