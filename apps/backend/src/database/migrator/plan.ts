/**
 * Planning: which files an up or down run takes, given the files and the
 * history, and the SQL script a run executes (or a dry run prints). Pure.
 */
import { MigrationError } from './errors.js';
import { renderRecordStep, type MigrationStatus } from './history.js';
import { compareVersions, type MigrationFile, type MigrationSection } from './parse.js';

export interface UpPlanOptions {
  to?: string | undefined;
  allowOutOfOrder?: boolean | undefined;
  only?: string;
}

export interface DownPlanOptions {
  steps?: number | undefined;
  to?: string | undefined;
}

export function planUp(files: MigrationFile[], status: MigrationStatus, o: UpPlanOptions): MigrationFile[] {
  if (status.drifted.length > 0) {
    throw new MigrationError(
      `refusing to migrate: applied migration(s) changed since they were applied: ${status.drifted.join(', ')}. ` +
        'An applied file is immutable: restore it, and put the change in a new migration.',
    );
  }
  if (o.to !== undefined && !files.some((f) => f.version === o.to)) {
    throw new MigrationError(`--to ${o.to}: no migration file has this version`);
  }
  const pending = new Set(status.pending);
  const chosen = files.filter(
    (f) =>
      pending.has(f.version) &&
      (o.to === undefined || f.version <= o.to) &&
      (o.only === undefined || f.version === o.only),
  );
  const early = chosen.filter((f) => status.outOfOrder.includes(f.version));
  if (early.length > 0 && !o.allowOutOfOrder) {
    const newest = status.applied.reduce((m, a) => (a.version > m ? a.version : m), '');
    throw new MigrationError(
      `refusing to migrate: pending migration(s) older than the newest applied one (${newest}): ` +
        `${early.map((f) => f.fileName).join(', ')}. Rename the file with a newer timestamp, ` +
        'or run with --allow-out-of-order if applying it after newer ones is safe.',
    );
  }
  return chosen;
}

export function planDown(files: MigrationFile[], status: MigrationStatus, o: DownPlanOptions): MigrationFile[] {
  if (o.steps !== undefined && o.to !== undefined) throw new MigrationError('give either --steps or --to, not both');
  if (o.steps !== undefined && (!Number.isInteger(o.steps) || o.steps < 1))
    throw new MigrationError(`--steps must be a positive integer, got ${o.steps}`);
  if (o.to !== undefined && !/^(0|\d{12})$/.test(o.to))
    throw new MigrationError(`--to must be a version (YYYYMMDDHHMM) or 0, got "${o.to}"`);
  const newestFirst = [...status.applied].sort((a, b) => compareVersions(b.version, a.version));
  const targets =
    o.to !== undefined
      ? newestFirst.filter((a) => o.to === '0' || a.version > o.to!)
      : newestFirst.slice(0, o.steps ?? 1);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  return targets.map((a) => {
    const f = byVersion.get(a.version);
    if (!f)
      throw new MigrationError(
        `cannot roll back ${a.version} (${a.name}): its file is missing, so there is no down section to run`,
      );
    if (f.checksum !== a.checksum)
      throw new MigrationError(
        `refusing to roll back ${f.fileName}: the file changed since it was applied, ` +
          'so its down section may not match the schema',
      );
    return f;
  });
}

export function renderStep(file: MigrationFile, sec: MigrationSection, appliedBy: string): string {
  const body = sec.statements.map((s) => `${s.sql};`).join('\n');
  const history = renderRecordStep(file, sec.direction, appliedBy);
  const head = `-- ${file.fileName} (${sec.direction}${sec.transaction ? '' : ', transaction:false'})`;
  return sec.transaction ? `${head}\nBEGIN;\n${body}\n${history}\nCOMMIT;\n` : `${head}\n${body}\n${history}\n`;
}
