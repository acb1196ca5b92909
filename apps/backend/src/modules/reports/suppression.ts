// Small-cell suppression (docs/reports.md "Privacy"). A report is a set of count cells and of additive relations
// between them (a total and its parts). A sensitive cell (a count of 1 to REPORT_MIN_CELL - 1 people, or records
// about that few people) is suppressed; then, as long as some relation has exactly one unknown cell, that cell
// could be recomputed from the others, so a complementary cell of the relation is suppressed too. Every report's
// relations form a tree (each cell is a part of at most one relation), and in a tree "no relation with exactly one
// unknown cell" is enough: no unknown cell can be recomputed by any combination of sums and differences
// (docs/reports.md gives the argument; test/modules/reports-privacy.test.ts attacks every report to check it).
export interface Cell {
  value: number;
  /** Must be neither shown nor recomputable (decided by the report: a small count, or few people behind it). */
  sensitive: boolean;
  /** Never published (e.g. served women without a vulnerability), yet recomputable from published cells. */
  hidden: boolean;
  suppressed: boolean;
}

export interface Relation {
  total: Cell;
  parts: Cell[];
}

/** What the API writes for a cell: the value, or null when suppressed. */
export interface CellOut {
  value: number | null;
  suppressed: boolean;
}

/** 1 .. minCell - 1: a count that could single someone out. Zero is shown: it says nobody. */
export const isSmall = (value: number, minCell: number) => value >= 1 && value < minCell;

export function countCell(value: number, sensitive: boolean, hidden = false): Cell {
  return { value, sensitive, hidden, suppressed: sensitive && !hidden };
}

/** A cell that is not a count of people (capacity): shown as it is, never suppressed. */
export const plainCell = (value: number): Cell => countCell(value, false);

const unknown = (c: Cell) => c.suppressed || c.hidden;
const open = (c: Cell) => !c.suppressed && !c.hidden;

/** The complement to suppress: the smallest non-zero open part (least information lost), else the total. */
function complement(r: Relation): Cell | null {
  let best: Cell | null = null;
  for (const c of r.parts) if (open(c) && c.value > 0 && (!best || c.value < best.value)) best = c;
  if (best) return best;
  if (open(r.total)) return r.total;
  return r.parts.find(open) ?? null;
}

/** Suppresses complementary cells until no relation lets a protected cell be recomputed. Mutates the cells. */
export function protect(relations: readonly Relation[]): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const r of relations) {
      const unknowns = [r.total, ...r.parts].filter(unknown);
      if (unknowns.length !== 1) continue;
      const only = unknowns[0]!;
      // A hidden count that is not sensitive may be recomputed: it says nothing about few people.
      if (only.hidden && !only.sensitive) continue;
      const c = complement(r);
      if (!c) continue;
      c.suppressed = true;
      changed = true;
    }
  }
}

export const out = (c: Cell): CellOut => ({ value: c.suppressed ? null : c.value, suppressed: c.suppressed });

/** numerator ÷ denominator (4 decimals), suppressed when either is, null when the denominator is 0. */
export function rate(numerator: Cell, denominator: Cell): CellOut {
  if (numerator.suppressed || denominator.suppressed) return { value: null, suppressed: true };
  if (denominator.value === 0) return { value: null, suppressed: false };
  return { value: Math.round((numerator.value / denominator.value) * 10_000) / 10_000, suppressed: false };
}
