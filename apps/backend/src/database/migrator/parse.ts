/**
 * Parsing: migration files → statements. Pure apart from reading the directory;
 * knows nothing of the database.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationError } from './errors.js';
import { MIGRATIONS_DIR } from './paths.js';

export const FILE_NAME_PATTERN = /^(\d{12})__([a-z0-9][a-z0-9_]*)\.sql$/;

export interface Statement {
  /** The statement text without its terminating semicolon. */
  sql: string;
  /** Offset of the statement's first character in the (LF-normalised) file. */
  offset: number;
  /** 1-based line in the file where the statement starts. */
  line: number;
}

export interface MigrationSection {
  direction: 'up' | 'down';
  /** false when the marker says `transaction:false`. */
  transaction: boolean;
  /** 1-based line of the section's marker; the section runs to the next marker or the end of file. */
  line: number;
  statements: Statement[];
}

export interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  path: string;
  /** SHA-256 (hex) of the file with CRLF normalised to LF. */
  checksum: string;
  /** The LF-normalised text. */
  text: string;
  up: MigrationSection;
  down: MigrationSection;
}

export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(normaliseLineEndings(text), 'utf8').digest('hex');
}

/** Line number (1-based) of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);

/**
 * Splits SQL into statements the way PostgreSQL reads them: semicolons inside
 * quotes ('', E'', ""), dollar quotes ($$, $tag$), comments (--, nested block
 * comments) and SQL-standard bodies (BEGIN ATOMIC ... END) do not end a
 * statement. Leading comments and blanks are not part of a statement.
 */
export function splitStatements(sql: string, baseOffset = 0, fullText?: string): Statement[] {
  const out: Statement[] = [];
  let start = -1; // offset of the first significant character of the current statement
  let atomicDepth = 0;
  let prevWord = '';
  const n = sql.length;
  let i = 0;
  const push = (end: number): void => {
    if (start >= 0) {
      const text = sql.slice(start, end).trimEnd();
      const offset = baseOffset + start;
      out.push({ sql: text, offset, line: lineAt(fullText ?? sql, fullText ? offset : start) });
    }
    start = -1;
    prevWord = '';
    atomicDepth = 0;
  };
  const mark = (): void => {
    if (start < 0) start = i;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    mark();
    if (c === ';' && atomicDepth === 0) {
      push(i);
      i++;
      continue;
    }
    if (c === "'") {
      // E'...' honours backslash escapes; plain strings only '' (standard_conforming_strings).
      const prev = sql[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && !isIdentChar(sql[i - 2]);
      i++;
      while (i < n) {
        const d = sql[i];
        if (escapes && d === '\\') i += 2;
        else if (d === "'" && sql[i + 1] === "'") i += 2;
        else if (d === "'") break;
        else i++;
      }
      i++;
      prevWord = '';
      continue;
    }
    if (c === '"') {
      i++;
      while (i < n && !(sql[i] === '"' && sql[i + 1] !== '"')) i += sql[i] === '"' ? 2 : 1;
      i++;
      prevWord = '';
      continue;
    }
    if (c === '$' && !isIdentChar(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        prevWord = '';
        continue;
      }
    }
    if (isIdentStart(c) && !isIdentChar(sql[i - 1])) {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j])) j++;
      const word = sql.slice(i, j).toLowerCase();
      if (word === 'atomic' && prevWord === 'begin') atomicDepth++;
      else if (atomicDepth > 0 && word === 'case') atomicDepth++;
      else if (atomicDepth > 0 && word === 'end') atomicDepth--;
      prevWord = word;
      i = j;
      continue;
    }
    prevWord = '';
    i++;
  }
  push(n);
  return out;
}

const MARKER = /^--\s*migrate:(up|down)\b(.*)$/;

interface Marker {
  direction: 'up' | 'down';
  transaction: boolean;
  bodyStart: number; // offset just after the marker line
  lineStart: number; // offset of the marker line
  line: number;
}

function readMarkers(fileName: string, text: string): Marker[] {
  const markers: Marker[] = [];
  let offset = 0;
  let line = 1;
  for (const raw of text.split('\n')) {
    const m = MARKER.exec(raw.trimEnd());
    if (m) {
      let transaction = true;
      for (const opt of m[2]!.trim().split(/\s+/).filter(Boolean)) {
        if (opt === 'transaction:false') transaction = false;
        else if (opt === 'transaction:true') transaction = true;
        else
          throw new MigrationError(
            `${fileName}: line ${line}: unknown option "${opt}" on the migrate:${m[1]} marker ` +
              '(only transaction:false is known)',
            { file: fileName, line },
          );
      }
      markers.push({
        direction: m[1] as 'up' | 'down',
        transaction,
        bodyStart: offset + raw.length + 1,
        lineStart: offset,
        line,
      });
    }
    offset += raw.length + 1;
    line++;
  }
  return markers;
}

/** Parses one migration file; throws a MigrationError naming the file and the reason. */
export function parseMigration(fileName: string, rawText: string, filePath = fileName): MigrationFile {
  const named = FILE_NAME_PATTERN.exec(fileName);
  if (!named) {
    throw new MigrationError(
      `${fileName}: malformed file name; expected YYYYMMDDHHMM__description.sql ` +
        '(description in lower case letters, digits and _)',
      { file: fileName },
    );
  }
  const version = named[1]!;
  if (!isPlausibleTimestamp(version)) {
    throw new MigrationError(`${fileName}: "${version}" is not a valid UTC timestamp YYYYMMDDHHMM`, { file: fileName });
  }
  const text = normaliseLineEndings(rawText);
  const markers = readMarkers(fileName, text);
  const ups = markers.filter((m) => m.direction === 'up');
  const downs = markers.filter((m) => m.direction === 'down');
  if (ups.length !== 1 || downs.length !== 1) {
    const what =
      ups.length === 0
        ? 'no "-- migrate:up" section'
        : downs.length === 0
          ? 'no "-- migrate:down" section'
          : 'more than one up or down section';
    throw new MigrationError(
      `${fileName}: ${what}; a migration has exactly one "-- migrate:up" and one "-- migrate:down" section`,
      { file: fileName },
    );
  }
  const up = ups[0]!;
  const down = downs[0]!;
  if (down.lineStart < up.lineStart) {
    throw new MigrationError(
      `${fileName}: the "-- migrate:down" section (line ${down.line}) comes before ` +
        `"-- migrate:up" (line ${up.line}); write up first`,
      { file: fileName },
    );
  }
  const preamble = splitStatements(text.slice(0, up.lineStart), 0, text);
  if (preamble.length > 0) {
    throw new MigrationError(
      `${fileName}: line ${preamble[0]!.line}: SQL before "-- migrate:up" belongs to no section`,
      { file: fileName, line: preamble[0]!.line },
    );
  }
  return {
    version,
    name: named[2]!,
    fileName,
    path: filePath,
    checksum: checksumOf(text),
    text,
    up: section(fileName, text, up, text.slice(up.bodyStart, down.lineStart)),
    down: section(fileName, text, down, text.slice(down.bodyStart)),
  };
}

function section(fileName: string, text: string, marker: Marker, body: string): MigrationSection {
  const statements = splitStatements(body, marker.bodyStart, text);
  const where = `${fileName}: the ${marker.direction} section (line ${marker.line})`;
  if (statements.length === 0) {
    throw new MigrationError(
      `${where} is empty; write the SQL (for an irreversible change, a DO block that raises an error explaining why)`,
      { file: fileName, line: marker.line },
    );
  }
  if (!marker.transaction && statements.length !== 1) {
    throw new MigrationError(
      `${where} is marked transaction:false and must hold exactly one statement, but holds ${statements.length} ` +
        `(the 2nd starts at line ${statements[1]!.line}); put each non-transactional statement in its own file`,
      { file: fileName, line: statements[1]!.line },
    );
  }
  return { direction: marker.direction, transaction: marker.transaction, line: marker.line, statements };
}

function isPlausibleTimestamp(v: string): boolean {
  const month = Number(v.slice(4, 6));
  const day = Number(v.slice(6, 8));
  const hour = Number(v.slice(8, 10));
  const minute = Number(v.slice(10, 12));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59;
}

/**
 * Reads and parses every `*.sql` file of the directory, sorted by version.
 * Every problem is reported at once; other files (README, dotfiles) are ignored.
 */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.sql') && !f.startsWith('.')).sort();
  } catch (err) {
    throw new MigrationError(`cannot read the migrations directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const problems: string[] = [];
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const filePath = path.join(dir, fileName);
    try {
      files.push(parseMigration(fileName, await readFile(filePath, 'utf8'), filePath));
    } catch (err) {
      if (!(err instanceof MigrationError)) throw err;
      problems.push(err.message);
    }
  }
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.version);
    if (other)
      problems.push(`${f.fileName}: version ${f.version} is also used by ${other}; give one of them a later timestamp`);
    seen.set(f.version, f.fileName);
  }
  if (problems.length > 0) throw new MigrationError(problems.join('\n'));
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

export const compareVersions = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
