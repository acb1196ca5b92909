// Report exports: CSV (UTF-8 with a BOM, so spreadsheet programs read accents; text that a spreadsheet would take
// for a formula is escaped) and XLSX (exceljs' streaming writer: rows go out as they come, text cells stay text).
// Both pull rows one at a time from the source, so memory holds one block, never the export.
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Row } from './builders.js';
import type { CellOut } from './suppression.js';
import type { Field } from './catalogue.js';

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BOM = '\uFEFF';

/** A cell's value in an export: a suppressed cell is empty (every other cell has a value, 0 included). */
function value(v: Row[string]): string | number | null {
  if (v !== null && typeof v === 'object') return (v as CellOut).value;
  return v;
}

/**
 * Text a spreadsheet would read as a formula (or as a command, through DDE) starts with =, +, -, @, a tab or a
 * carriage return: a leading apostrophe makes it plain text (OWASP "CSV injection").
 */
export const defuse = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

function csvField(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const text = defuse(v);
  return /[",\r\n]/.test(text) || text !== v ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (values: (string | number | null)[]) => `${values.map(csvField).join(',')}\r\n`;

/** The CSV of `rows`, produced as the reader pulls it. */
export function csvStream(fields: readonly Field[], rows: AsyncIterable<Row>, maxRows = Infinity): Readable {
  return Readable.from(
    (async function* () {
      yield BOM + csvLine(fields.map((f) => f.name));
      let n = 0;
      let chunk = '';
      for await (const row of rows) {
        if (++n > maxRows) throw new Error(`more than ${maxRows} rows`);
        chunk += csvLine(fields.map((f) => value(row[f.name] ?? null)));
        // A few rows per chunk: fewer writes, and still a small, bounded buffer.
        if (chunk.length >= 16_384) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    })(),
    { objectMode: false },
  );
}

/** The XLSX of `rows` (one sheet, a header row, numbers as numbers, text as text: never a formula). */
export function xlsxStream(
  sheetName: string,
  fields: readonly Field[],
  rows: AsyncIterable<Row>,
  maxRows: number,
): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31));
  void (async () => {
    sheet.addRow(fields.map((f) => f.name)).commit();
    let n = 0;
    for await (const row of rows) {
      if (out.destroyed) return; // the client went away: leaving the loop closes the rows' cursor
      if (++n > maxRows) throw new Error(`more than ${maxRows} rows`);
      // A string cell is stored as text: a spreadsheet shows "=1+1", it never evaluates it.
      sheet.addRow(fields.map((f) => value(row[f.name] ?? null))).commit();
      // Let the archive drain before adding more (the writer itself does not wait for its reader).
      if (out.writableNeedDrain)
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done).off('close', done);
            resolve();
          };
          out.on('drain', done).on('close', done);
        });
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err: Error) => out.destroy(err));
  return out;
}
