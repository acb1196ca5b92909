// npm run smoke:reports: passes on consistent data, and fails naming the report whose figures stop matching the
// base tables, or that answers over its time budget.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { runScript } from '../helpers/scripts.js';
import { createReportFixture } from '../modules/report-fixtures.js';

t.test('smoke:reports checks every report and names the ones that fail', async (t) => {
  const ctx = await buildTestApp(t);
  await createReportFixture(ctx);
  const env = { DATABASE_URL: ctx.database.url };

  const ok = await runScript('smoke-reports.ts', [], env);
  t.equal(ok.code, 0, ok.out);
  for (const name of ['attendance', 'enrollment_funnel', 'people_served', 'vulnerability_prevalence', 'capacity_use'])
    t.match(ok.out, new RegExp(`^ok +${name} `, 'm'), name);
  t.match(ok.out, /report_attendance +\d+ rows/);
  const { n } = await ctx.db.one<{ n: number }>({
    text: "SELECT count(*)::int AS n FROM report_refreshes WHERE source = 'smoke' AND status = 'succeeded'",
  });
  t.equal(n, 1, 'its refresh is logged');

  // A definition gone wrong (seats counted twice): the view still equals its function, the base tables do not.
  await ctx.db.execute({
    text: `CREATE OR REPLACE FUNCTION report_capacity_rows(from_day date, to_day date)
             RETURNS TABLE (month date, project_id bigint, workshop_id bigint, capacity integer, seats integer)
             LANGUAGE sql STABLE AS $$
               SELECT date_trunc('month', now())::date, w.project_id, w.id, w.capacity, 2 * w.participant_count
                 FROM workshops w WHERE w.participant_count > 0 $$`,
  });
  const broken = await runScript('smoke-reports.ts', [], env);
  t.equal(broken.code, 1);
  t.match(broken.out, /^FAIL capacity_use/m);
  t.match(broken.out, /seats this month = each workshop’s participant_count \(kept by trigger\): \d+ differ/);
  t.match(broken.out, /smoke:reports failed: capacity_use$/m);
  t.match(broken.out, /^ok +attendance/m, 'the others still pass');

  const slow = await runScript('smoke-reports.ts', ['--budget-ms', '0'], env);
  t.equal(slow.code, 1);
  t.match(slow.out, /answered in \d+ ms \(budget 0 ms\)/);
  const failedLine = /smoke:reports failed: (.*)$/m.exec(slow.out)?.[1] ?? '';
  t.same(failedLine.split(', ').sort(), [
    'attendance',
    'capacity_use',
    'enrollment_funnel',
    'people_served',
    'vulnerability_prevalence',
  ]);

  const bad = await runScript('smoke-reports.ts', ['--budget-ms', 'soon'], env);
  t.equal(bad.code, 1);
  t.match(bad.out, /usage: npm run smoke:reports/);
});
