// Reports: definitions, protected answers from the views (as_of from the refresh log), exports that stream, and
// the refresh of every view (one at a time, CONCURRENTLY, under a statement timeout, logged).
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Db, Executor } from '../../platform/db.js';
import { badRequest, conflict, notFound, unprocessable, type AppError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { DbError } from '../../platform/pg-errors.js';
import type { Row } from './builders.js';
import { REPORT_NAMES, REPORT_VIEWS, REPORTS, type ReportDefinition, type ReportName } from './catalogue.js';
import type { RefreshRow, ReportFilter, ReportsRepository, Source } from './repository.js';

export type ReportsConfig = Pick<
  Config,
  'ORG_TIMEZONE' | 'REPORT_MIN_CELL' | 'REPORT_REFRESH_TIMEOUT_MS' | 'REPORT_XLSX_MAX_ROWS'
>;

/** Who or what asked for a refresh: a user (POST /reports/refresh), a schedule, or a system step (seed, smoke). */
export type RefreshTrigger = { userId: string } | { schedule: string } | { system: string };

export interface PeriodQuery {
  from?: string;
  to?: string;
  project_id?: string;
}

/** Months one JSON answer may span; an export may span more. */
export const MAX_MONTHS = 24;
export const MAX_EXPORT_MONTHS = 120;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const monthOf = (i: number) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;

/** This month (YYYY-MM) in the organisation's time zone. */
function currentMonth(timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

type ViewRow = { month: string; project_id: string | null };

/** Groups a report's rows (in block order) into blocks and protects each block as it completes. */
function blockProtector(def: ReportDefinition, minCell: number) {
  let block: ViewRow[] = [];
  let key: string | null = null;
  const done = () => (block.length ? def.block(block as never[], minCell) : []);
  return {
    /** The answer rows of the block this row closes, if any. */
    push(row: ViewRow): Row[] {
      const k = def.blockKey(row);
      let closed: Row[] = [];
      if (key !== null && k !== key) {
        closed = done();
        block = [];
      }
      key = k;
      block.push(row);
      return closed;
    },
    flush: done,
  };
}

/** A report's rows in block order → its answer rows, each block protected on its own. */
export function protectBlocks(def: ReportDefinition, rows: Iterable<ViewRow>, minCell: number): Row[] {
  const p = blockProtector(def, minCell);
  const out: Row[] = [];
  for (const row of rows) for (const r of p.push(row)) out.push(r);
  for (const r of p.flush()) out.push(r);
  return out;
}

/** The same over a stream of rows (exports): one block in memory at a time. */
export async function* protectStream(def: ReportDefinition, rows: AsyncIterable<ViewRow>, minCell: number) {
  const p = blockProtector(def, minCell);
  for await (const row of rows) yield* p.push(row);
  yield* p.flush();
}

export function createReportsService(d: {
  db: Db;
  repo: ReportsRepository;
  config: ReportsConfig;
  log: FastifyBaseLogger;
}) {
  const { db, repo, config, log } = d;

  const definition = (name: string) => {
    if (!(REPORT_NAMES as readonly string[]).includes(name)) throw notFound('Report');
    return REPORTS[name as ReportName];
  };

  /** The query's months and project, checked: 400 naming the parameter, 404 for a project that does not exist. */
  async function filterOf(
    q: PeriodQuery,
    maxMonths: number,
    reader?: Executor,
  ): Promise<ReportFilter & { fromMonth: string; toMonth: string }> {
    const to = q.to ?? currentMonth(config.ORG_TIMEZONE);
    const from = q.from ?? monthOf(monthIndex(to) - 11);
    for (const [field, value] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (!MONTH.test(value))
        throw badRequest(`${field} must be a month YYYY-MM`, [
          { path: `querystring.${field}`, message: 'must be YYYY-MM' },
        ]);
    const span = monthIndex(to) - monthIndex(from) + 1;
    if (span < 1) throw badRequest('from is after to', [{ path: 'querystring.from', message: 'must not be after to' }]);
    if (span > maxMonths)
      throw badRequest(`the period spans ${span} months; at most ${maxMonths}`, [
        { path: 'querystring.from', message: `at most ${maxMonths} months before to` },
      ]);
    const projectId = q.project_id ?? null;
    if (projectId !== null && !(await repo.projectExists(projectId, reader))) throw notFound('Project');
    return { from: `${from}-01`, to: `${to}-01`, projectId, fromMonth: from, toMonth: to };
  }

  const service = {
    definitions() {
      return REPORT_NAMES.map((n) => {
        const { block: _b, blockKey: _k, ...meta } = REPORTS[n];
        return meta;
      });
    },

    async list() {
      const latest = await repo.latestRefresh();
      return {
        data: service.definitions(),
        as_of: latest?.started_at ?? null,
        refresh_id: latest?.id ?? null,
        min_cell: config.REPORT_MIN_CELL,
      };
    },

    /**
     * One report over a period: rows from its view (or, for benchmarks and the smoke check, computed live from the
     * base tables), protected block by block, with the as_of of the refresh they come from (read in the same
     * snapshot as the rows). `reader`: where it runs (a replica with the caller's last write; see
     * platform/read-your-writes.ts).
     */
    async get(name: string, q: PeriodQuery, source: Source = 'view', reader?: Executor) {
      const def = definition(name);
      const f = await filterOf(q, MAX_MONTHS, reader);
      const { latest, rows } = await db.transaction(
        async (tx) => ({
          latest: await repo.latestRefresh(tx),
          rows: await repo.rows<ViewRow>(def.name, f, source, tx),
        }),
        { isolation: 'repeatable read', readOnly: true, reader },
      );
      const answer = protectBlocks(def, rows, config.REPORT_MIN_CELL);
      return {
        report: def.name,
        title: def.title,
        as_of: source === 'view' ? (latest?.started_at ?? null) : new Date(),
        refresh_id: source === 'view' ? (latest?.id ?? null) : null,
        from: f.fromMonth,
        to: f.toMonth,
        project_id: f.projectId,
        min_cell: config.REPORT_MIN_CELL,
        rows: answer,
      };
    },

    /**
     * An export: the report's fields and its rows as a stream from PostgreSQL, protected block by block (a block
     * at a time in memory). xlsx exports refuse more rows than REPORT_XLSX_MAX_ROWS before anything is sent.
     * `reader`: where it runs, as for get().
     */
    async export(name: string, q: PeriodQuery, format: 'csv' | 'xlsx', reader?: Executor) {
      const def = definition(name);
      const f = await filterOf(q, MAX_EXPORT_MONTHS, reader);
      if (format === 'xlsx') {
        const n = await repo.count(def.name, f, reader);
        if (n > config.REPORT_XLSX_MAX_ROWS)
          throw unprocessable(
            `the export would have more than ${config.REPORT_XLSX_MAX_ROWS} rows (REPORT_XLSX_MAX_ROWS); export csv or choose a shorter period`,
            [{ path: 'querystring.format', message: 'too many rows for xlsx' }],
          );
      }
      // Read before the rows: they are at least as fresh as this (a refresh may commit in between).
      const latest = await repo.latestRefresh(reader);
      return {
        definition: def,
        asOf: latest?.started_at ?? null,
        filename: `${def.name}_${f.fromMonth}_${f.toMonth}${f.projectId ? `_project-${f.projectId}` : ''}.${format}`,
        rows: protectStream(def, repo.stream<ViewRow>(def.name, f, reader), config.REPORT_MIN_CELL),
        maxRows: format === 'xlsx' ? config.REPORT_XLSX_MAX_ROWS : Infinity,
      };
    },

    async refreshes(q: { limit: number; cursor?: string }) {
      const before = decodeCursor(q.cursor, ['id']);
      const rows = await repo.listRefreshes({ beforeId: before?.[0] ?? null, limit: q.limit });
      return toPage(rows, q.limit, (r) => [r.id]);
    },

    /**
     * Refreshes every report view in one REPEATABLE READ transaction, so all reports describe the same moment:
     * CONCURRENTLY (reads go on), each view under REPORT_REFRESH_TIMEOUT_MS, one refresh at a time (a
     * transaction-level advisory lock: nothing outlives the transaction on a pooled connection). The log row is
     * written in the same transaction, so a report's as_of and its data commit together; a failure is logged
     * after the rollback. Another refresh running: 409 refresh_running (a schedule simply skips its turn).
     */
    async refreshAll(trigger: RefreshTrigger): Promise<RefreshRow> {
      const who = {
        trigger: 'userId' in trigger ? 'user' : 'schedule' in trigger ? 'schedule' : 'system',
        requested_by: 'userId' in trigger ? trigger.userId : null,
        source: 'schedule' in trigger ? trigger.schedule : 'system' in trigger ? trigger.system : null,
        timezone: config.ORG_TIMEZONE,
      } as const;
      const startedAt = new Date();
      try {
        const row = await db.transaction(
          async (tx) => {
            if (!(await repo.tryRefreshLock(tx)))
              throw conflict(
                'Another refresh of the reports is running; retry when it has finished',
                'refresh_running',
              );
            await repo.prepareRefresh(
              { timeoutMs: config.REPORT_REFRESH_TIMEOUT_MS, timezone: config.ORG_TIMEZONE },
              tx,
            );
            const views: RefreshRow['views'] = {};
            for (const view of REPORT_VIEWS) {
              const t0 = performance.now();
              const rows = await repo.refreshView(view, tx);
              views[view] = { rows, duration_ms: Math.round(performance.now() - t0) };
            }
            return repo.logSucceeded({ ...who, views }, tx);
          },
          { isolation: 'repeatable read', maxAttempts: 1 },
        );
        log.info(
          { refresh_id: row.id, duration_ms: row.duration_ms, trigger: who.trigger, source: who.source },
          'reports refreshed',
        );
        return row;
      } catch (err) {
        if ((err as AppError).code === 'refresh_running') throw err;
        const code = err instanceof DbError ? err.pgCode : undefined;
        const failed = await repo.logFailed({
          ...who,
          error_code: code && /^[0-9A-Z]{5}$/.test(code) ? code : 'XX000',
          started_at: startedAt,
        });
        log.error({ refresh_id: failed.id, error_code: failed.error_code }, 'reports refresh failed');
        throw err;
      }
    },
  };
  return service;
}

export type ReportsService = ReturnType<typeof createReportsService>;
