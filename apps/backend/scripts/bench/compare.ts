// Side-by-side comparison: every side measured once per round, the order rotated each round so a neighbour's
// load hits all of them alike; each side's median and range, and the median and range of per-round ratios.
import { median, ROUNDS, SECONDS } from './knobs.js';
import type { Proc } from './processes.js';
import { wrk, type WrkRequest } from './wrk.js';

export interface Side {
  name: string;
  measure(seconds: number): Promise<{ rps: number; p99Ms: number }>;
}

export interface Comparison {
  title: string;
  sides: Side[];
  /** Ratios to report: [numerator side, denominator side, goal (≥) or null]. */
  ratios: [string, string, number | null][];
}

/** A line of the summary table: scenario, side or ratio, median (range), goal. */
export type Row = [string, string, string, string];

const WARMUP_SECONDS = 2;
export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

/** Requests sent to each process, to relate its log to its traffic. */
export const served = new Map<Proc, number>();

export const httpSide = (name: string, proc: Proc, requests: WrkRequest[]): Side => ({
  name,
  measure: async (seconds) => {
    const r = await wrk(proc.baseUrl, requests, { seconds });
    served.set(proc, (served.get(proc) ?? 0) + r.requests);
    return r;
  },
});

export async function compare(log: (line: string) => void, c: Comparison): Promise<Row[]> {
  log(`\n## ${c.title}`);
  for (const s of c.sides) await s.measure(WARMUP_SECONDS);
  const results = new Map<string, { rps: number; p99Ms: number }[]>(c.sides.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const line: string[] = [];
    for (let i = 0; i < c.sides.length; i++) {
      const s = c.sides[(i + round) % c.sides.length]!;
      const r = await s.measure(SECONDS);
      results.get(s.name)!.push(r);
      line.push(`${s.name} ${fmt(r.rps)}/s`);
    }
    log(`round ${round + 1}: ${line.join(', ')}`);
  }
  const rows: Row[] = [];
  for (const s of c.sides) {
    const rps = results.get(s.name)!.map((r) => r.rps);
    const p99 = median(results.get(s.name)!.map((r) => r.p99Ms));
    log(`${s.name}: median ${fmt(median(rps))}/s (${range(rps, fmt)}), p99 ${p99.toFixed(1)} ms`);
    rows.push([c.title, s.name, `${fmt(median(rps))}/s (${range(rps, fmt)})`, '']);
  }
  for (const [a, b, goal] of c.ratios) {
    const rb = results.get(b)!;
    const ratios = results.get(a)!.map((r, i) => r.rps / rb[i]!.rps);
    const m = median(ratios);
    const verdict = goal === null ? '' : m >= goal ? `≥ ${goal}: met` : `≥ ${goal}: NOT met`;
    log(
      `${a} ÷ ${b}: median ${m.toFixed(2)} (${range(ratios, (n) => n.toFixed(2))})${verdict ? ` — goal ${verdict}` : ''}`,
    );
    rows.push([c.title, `${a} ÷ ${b}`, `**${m.toFixed(2)}** (${range(ratios, (n) => n.toFixed(2))})`, verdict]);
  }
  return rows;
}

export function table(rows: Row[]): string[] {
  return [
    '| scenario | side or ratio | median (range) | goal |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}
