// /reports: definitions, each report (JSON with as_of), its export (CSV or XLSX, streamed), the refresh log and
// the refresh on demand. One route per report, so the OpenAPI document states each one's exact rows.
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problems } from '../../platform/schemas.js';
import { REPORT_NAMES, REPORTS } from './catalogue.js';
import { CSV_TYPE, XLSX_TYPE, csvStream, xlsxStream } from './export.js';
import { MAX_EXPORT_MONTHS, MAX_MONTHS, type ReportsService } from './service.js';
import * as S from './schemas.js';

const tags = ['reports'];
/** A file streamed as the body (never serialized: the stream is sent as it is). */
const File = Type.Unsafe<Readable>({ type: 'string' });
const read = { permission: 'reports:read' as const };

export function reportsRoutes(app: FastifyInstance, service: ReportsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/reports',
    {
      config: read,
      schema: {
        tags,
        description: 'The reports, what each field means, and the as_of of the views (the newest refresh)',
        response: { 200: S.ReportList, ...problems(401, 403) },
      },
    },
    async () => service.list(),
  );

  r.get(
    '/reports/refreshes',
    {
      config: read,
      schema: {
        tags,
        description: 'The refresh log, newest first: who or which schedule, when, how long, rows per view',
        querystring: S.RefreshesQuery,
        response: { 200: S.RefreshPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.refreshes(req.query),
  );

  r.post(
    '/reports/refresh',
    {
      config: { permission: 'reports:refresh' },
      schema: {
        tags,
        description:
          'Refreshes every report view now (CONCURRENTLY: reports stay readable) and answers the log entry. ' +
          '409 refresh_running while another refresh runs.',
        response: { 200: S.Refresh, ...problems(401, 403, 409) },
      },
    },
    async (req) => service.refreshAll({ userId: app.requirePrincipal(req).userId }),
  );

  for (const name of REPORT_NAMES) {
    const def = REPORTS[name];
    r.get(
      `/reports/${name}`,
      {
        config: read,
        schema: {
          tags,
          summary: def.title,
          description: `${def.description} At most ${MAX_MONTHS} months per request.`,
          querystring: S.PeriodQuery,
          response: { 200: S.ReportAnswer(name), ...problems(400, 401, 403, 404) },
        },
      },
      async (req) => service.get(name, req.query, 'view', await app.reader(req)),
    );

    r.get(
      `/reports/${name}/export`,
      {
        config: read,
        schema: {
          tags,
          summary: `${def.title}: export`,
          description:
            `The report as a file, streamed (suppressed cells are empty). csv: UTF-8 with a BOM, text that a ` +
            `spreadsheet would run as a formula is prefixed with an apostrophe. xlsx: at most REPORT_XLSX_MAX_ROWS ` +
            `rows (422 above). At most ${MAX_EXPORT_MONTHS} months. X-Report-As-Of: the refresh the rows are at ` +
            `least as fresh as.`,
          querystring: S.ExportQuery,
          response: {
            200: {
              description: 'the file',
              content: {
                'text/csv': { schema: File },
                [XLSX_TYPE]: { schema: { ...File, format: 'binary' } },
              },
            },
            ...problems(400, 401, 403, 404, 422),
          },
        },
      },
      async (req, reply) => {
        const { format, ...period } = req.query;
        const e = await service.export(name, period, format, await app.reader(req));
        const body =
          format === 'csv'
            ? csvStream(e.definition.fields, e.rows)
            : xlsxStream(e.definition.name, e.definition.fields, e.rows, e.maxRows);
        body.on('error', (err) => req.log.error({ err: { message: err.message } }, 'report export failed midway'));
        return reply
          .header('content-type', format === 'csv' ? CSV_TYPE : XLSX_TYPE)
          .header('content-disposition', `attachment; filename="${e.filename}"`)
          .header('x-report-as-of', e.asOf ? e.asOf.toISOString() : 'never')
          .header('cache-control', 'no-store')
          .send(body);
      },
    );
  }
}
