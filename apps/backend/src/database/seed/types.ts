// The shapes every seed step shares (a file of their own, so steps and the runner do not import each other).
import type pg from 'pg';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';

export interface TableCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}
export type SeedReport = Record<string, TableCounts>;

export interface SeedContext {
  db: Db;
  tx: pg.PoolClient;
  config: Config;
  withSamples: boolean;
  log: (line: string) => void;
}

/** A step seeds one or more tables and reports its counts per table. */
export type SeedStep = (ctx: SeedContext) => Promise<SeedReport>;

/** A named step; an optional one runs in a savepoint and is skipped (with a line saying why) when it fails. */
export interface SeedStepSpec {
  name: string;
  run: SeedStep;
  optional?: boolean;
}
