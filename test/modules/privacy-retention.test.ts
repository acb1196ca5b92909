// Retention (issue 16): whoever was archived longer than the longest retention among the purposes her data served
// is anonymised, in batches, audited; an open data-subject request holds her; --dry-run only lists, with why.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, type TestUser } from '../helpers/auth.js';
import { runScript } from '../helpers/scripts.js';
import { TEST_ADMIN } from '../setup/paths.js';
import { newBeneficiary, setupProject } from './case-fixtures.js';
import { createPrivacyRepository, createPrivacyService } from '../../apps/backend/src/modules/privacy/index.js';

/** An archived woman, archived `years` ago, enrolled in the given projects (recording consent where needed). */
async function archived(ctx: TestContext, u: TestUser, name: string, years: number, projects: { id: string }[] = []) {
  const id = await newBeneficiary(ctx, u, name);
  for (const p of projects) {
    await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/beneficiaries/${id}/consents`,
      headers: u.headers,
      payload: { purpose_code: 'workshop_participation', granted: true, method: 'in_person_signed' },
    });
    const e = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/enrollments',
      headers: u.headers,
      payload: { beneficiary_id: id, project_id: p.id },
    });
    if (e.statusCode !== 201) throw new Error(e.body);
  }
  await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${id}/archive`,
    headers: u.headers,
    payload: { reason: 'Encerrou o acompanhamento' },
  });
  await ctx.db.execute({
    text: `UPDATE beneficiaries SET archived_at = now() - make_interval(years => $2) WHERE id = $1`,
    values: [id, years],
  });
  return id;
}

const service = (ctx: TestContext) =>
  createPrivacyService({
    db: ctx.db,
    repo: createPrivacyRepository(ctx.db, ctx.app.classification),
    classification: ctx.app.classification,
    timezone: ctx.config.ORG_TIMEZONE,
  });

const anonymisedIds = async (ctx: TestContext) =>
  (
    await ctx.db.many<{ id: string }>({
      text: 'SELECT id FROM beneficiaries WHERE anonymised_at IS NOT NULL ORDER BY id',
    })
  ).map((r) => r.id);

t.test('per-purpose retention: dry run lists who and why; the run anonymises them in batches, audited', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const workshops = await setupProject(ctx, u, { purpose_code: 'workshop_participation' }); // 24 months
  const funded = await setupProject(ctx, u, { purpose_code: 'funder_reports' }); // 60 months
  const registeredOnly = await archived(ctx, u, 'Arquivada Há Seis Anos', 6); // case follow-up: 60 months
  const workshopOnly = await archived(ctx, u, 'Oficinas Há Três Anos', 3, [workshops]); // 24 < 36 months
  const recent = await archived(ctx, u, 'Arquivada Há Três Anos', 3); // 60 > 36 months: kept
  const longest = await archived(ctx, u, 'Duas Finalidades', 3, [workshops, funded]); // 60 months rules: kept
  const held = await archived(ctx, u, 'Com Pedido Aberto', 7);
  await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/privacy/requests',
    headers: u.headers,
    payload: { beneficiary_id: held, type: 'access' },
  });
  const active = await newBeneficiary(ctx, u, 'Ativa');

  const lines: string[] = [];
  const dry = await service(ctx).runRetention({ dryRun: true, log: (l) => lines.push(l) });
  t.same(
    dry.anonymised.map((c) => c.id),
    [registeredOnly, workshopOnly],
    'due: archived longer than her longest purpose retention',
  );
  t.same(
    dry.held.map((c) => c.id),
    [held],
    'held by an open request',
  );
  t.match(dry.anonymised[1], {
    purposes: [{ code: 'workshop_participation', retention_months: 24 }],
    retention_months: 24,
  });
  t.match(dry.anonymised[0], { purposes: [{ code: 'case_follow_up', retention_months: 60 }] });
  t.match(lines.join('\n'), /would anonymise B-\d{6} \(id \d+\): archived \d{4}-\d\d-\d\d, retention 24 months/);
  t.match(lines.join('\n'), /held B-\d{6} \(id \d+\): .* open request\(s\) #\d+/);
  t.notMatch(lines.join('\n'), /Arquivada|Oficinas|Pedido/, 'the output names codes and ids, never a person');
  t.same(await anonymisedIds(ctx), [], 'a dry run changes nothing');

  const progress: string[] = [];
  const run = await service(ctx).runRetention({ dryRun: false, batchSize: 1, log: (l) => progress.push(l) });
  t.same(
    run.anonymised.map((c) => c.id),
    [registeredOnly, workshopOnly],
  );
  t.same(await anonymisedIds(ctx), [registeredOnly, workshopOnly]);
  t.ok(progress.filter((l) => /^batch \d+: anonymised \d+ of 1/.test(l)).length >= 2, 'progress per batch');
  t.match(progress.at(-1), /^anonymised 2; held by open requests 1$/);
  const audit = await ctx.db.many<{
    row_id: string;
    user_id: string | null;
    changes: { reason: string; rule: string };
  }>({
    text: "SELECT row_id, user_id, changes FROM audit_log WHERE action = 'anonymise' ORDER BY id",
  });
  t.match(
    audit,
    [
      { row_id: registeredOnly, user_id: null, changes: { reason: 'retention', rule: /case_follow_up 60 months/ } },
      {
        row_id: workshopOnly,
        user_id: null,
        changes: { reason: 'retention', rule: /workshop_participation 24 months/ },
      },
    ],
    'each anonymisation audited, by the system, with the rule that applied',
  );
  const names = await ctx.db.many<{ id: string; full_name: string }>({
    text: 'SELECT id, full_name FROM beneficiaries WHERE id = ANY($1::bigint[]) ORDER BY id',
    values: [[recent, longest, held, active]],
  });
  t.same(
    names.map((n) => n.full_name),
    ['Arquivada Há Três Anos', 'Duas Finalidades', 'Com Pedido Aberto', 'Ativa'],
    'the others are untouched',
  );
  const again = await service(ctx).runRetention({ dryRun: false });
  t.same(again.anonymised, [], 'a second run finds nobody new');
});

t.test('npm run privacy:retention -- --dry-run, then for real', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const due = await archived(ctx, u, 'Prazo Vencido', 6);
  const env = { DATABASE_URL: ctx.database.url };
  const bad = await runScript('privacy-retention.ts', ['--batch-size', '0'], env);
  t.equal(bad.code, 1);
  t.match(bad.out, /--batch-size must be an integer/);
  const dry = await runScript('privacy-retention.ts', ['--dry-run'], env);
  t.equal(dry.code, 0, dry.out);
  t.match(dry.out, /dry run: nothing is changed/);
  t.match(dry.out, new RegExp(`would anonymise B-\\d{6} \\(id ${due}\\): archived`));
  t.match(dry.out, /would anonymise 1; held by open requests 0/);
  t.same(await anonymisedIds(ctx), []);
  const real = await runScript('privacy-retention.ts', ['--batch-size', '50'], env);
  t.equal(real.code, 0, real.out);
  t.match(real.out, /batch 1: anonymised 1 of 1 \(1 so far\)/);
  t.same(await anonymisedIds(ctx), [due]);
});

t.test('the sample data (npm start in development) gives the privacy features someone to work on', async (t) => {
  const ctx = await buildTestApp(t);
  const { runInitialSeed } = await import('../../apps/backend/src/database/seed/initial-data.js');
  const report = await runInitialSeed({
    connectionString: ctx.database.url,
    config: { ...ctx.config, SEED_ADMIN_EMAIL: TEST_ADMIN.email, SEED_ADMIN_PASSWORD: TEST_ADMIN.password },
    log: () => {},
    withSamples: true,
  });
  t.match(report, { beneficiaries: { inserted: 3 }, consents: { inserted: 1 }, enrollments: { inserted: 2 } });
  const dry = await service(ctx).runRetention({ dryRun: true });
  t.same(
    dry.anonymised.map((c) => c.code),
    ['B-000003'],
    'the sample archived six years ago is due',
  );
  const again = await runInitialSeed({
    connectionString: ctx.database.url,
    config: { ...ctx.config, SEED_ADMIN_EMAIL: TEST_ADMIN.email, SEED_ADMIN_PASSWORD: TEST_ADMIN.password },
    log: () => {},
    withSamples: true,
  });
  t.match(again, { beneficiaries: { inserted: 0, unchanged: 3 } }, 'a second seed leaves them alone');
});
