// Feature flags (issue 17): the registry with owners and expiry dates, states in PostgreSQL (audited, optimistic
// concurrency), evaluation with its reason, read through OpenFeature.
import t from 'tap';
import { OpenFeature } from '@openfeature/server-sdk';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { FLAGS } from '../../apps/backend/src/modules/flags/index.js';
import { bucket, evaluate } from '../../apps/backend/src/modules/flags/evaluate.js';

const today = new Date().toISOString().slice(0, 10);

t.test('the registry: every flag has an owner, a description and an expiry date not yet past', async (t) => {
  for (const [key, spec] of Object.entries(FLAGS)) {
    t.match(key, /^[a-z][a-z0-9_]{0,62}$/, `${key}: a valid key`);
    t.ok(spec.owner.trim(), `${key}: has an owner`);
    t.ok(spec.description.trim(), `${key}: says what it gates`);
    t.match(spec.expires, /^\d{4}-\d{2}-\d{2}$/, `${key}: expires on a date`);
    t.ok(
      spec.expires >= today,
      `${key} expired on ${spec.expires}: remove the flag and the code path it gated, or move the date (owner: ${spec.owner})`,
    );
  }
});

t.test('evaluation: the reason for every value; a stable, spread percentage', async (t) => {
  const spec = { default: false, description: 'd', owner: 'o', expires: '2999-01-01' };
  const who = { userId: '42', role: 'viewer' };
  const state = {
    key: 'f',
    enabled: true,
    roles: [],
    user_ids: [],
    percentage: 0,
    version: 1,
    updated_at: '',
    updated_by: null,
  };
  t.same(evaluate('f', spec, undefined, who), { value: false, reason: 'default' });
  t.same(evaluate('f', { ...spec, default: true }, undefined, who), { value: true, reason: 'default' });
  t.same(evaluate('f', spec, { ...state, enabled: false, user_ids: ['42'] }, who), { value: false, reason: 'off' });
  t.same(evaluate('f', spec, { ...state, user_ids: ['42'] }, who), { value: true, reason: 'user' });
  t.same(evaluate('f', spec, { ...state, roles: ['viewer'] }, who), { value: true, reason: 'role' });
  t.same(evaluate('f', spec, { ...state, percentage: 100 }, who), { value: true, reason: 'percentage' });
  t.same(evaluate('f', spec, state, who), { value: false, reason: 'default' }, 'on, but no rule for this user');

  t.equal(bucket('f', '42'), bucket('f', '42'), 'stable');
  const users = Array.from({ length: 2000 }, (_, i) => String(i + 1));
  const on = users.filter((u) => evaluate('f', spec, { ...state, percentage: 30 }, { userId: u, role: 'x' }).value);
  t.ok(on.length > 500 && on.length < 700, `30 % of 2000 users: ${on.length}`);
  const wider = users.filter((u) => evaluate('f', spec, { ...state, percentage: 60 }, { userId: u, role: 'x' }).value);
  t.ok(
    on.every((u) => wider.includes(u)),
    'raising the percentage keeps everyone who had it (a gradual release only grows)',
  );
  const other = users.filter((u) => bucket('g', u) < 30);
  t.ok(other.filter((u) => on.includes(u)).length < on.length * 0.5, 'another flag picks other users');
});

const put = (ctx: TestContext, u: TestUser, key: string, payload: object, headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'PUT', url: `/api/v1/admin/flags/${key}`, headers: { ...u.headers, ...headers }, payload });
const flagsOf = async (ctx: TestContext, u: TestUser) =>
  (await ctx.app.inject({ method: 'GET', url: '/api/v1/flags', headers: u.headers })).json().flags as Record<
    string,
    { value: boolean; reason: string }
  >;

t.test('the API: states set by settings:manage, audited, evaluated for the caller through OpenFeature', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const viewer = await userWith(ctx, { role: 'viewer' });
  const educator = await userWith(ctx, { role: 'educator' });
  const key = 'web_new_attendance_sheet';

  const evaluations: string[] = [];
  OpenFeature.addHooks({ after: (hookContext) => void evaluations.push(hookContext.flagKey) });
  t.teardown(() => OpenFeature.clearHooks());

  t.same((await flagsOf(ctx, viewer))[key], { value: false, reason: 'default' });
  t.same(Object.keys(await flagsOf(ctx, viewer)).sort(), Object.keys(FLAGS).sort(), 'every flag');
  t.ok(evaluations.includes(key), 'evaluated through the OpenFeature client (a provider can be swapped in)');
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/flags' })).statusCode, 401);

  t.equal((await put(ctx, viewer, key, { enabled: true })).statusCode, 403);
  const byRole = await put(ctx, boss, key, { enabled: true, roles: ['viewer'] });
  t.equal(byRole.statusCode, 200, byRole.body);
  t.equal(byRole.headers.etag, '"1"');
  t.match(byRole.json(), { key, version: 1, state: { enabled: true, roles: ['viewer'], percentage: 0 } });
  t.same((await flagsOf(ctx, viewer))[key], { value: true, reason: 'role' }, 'seen at once');
  t.same((await flagsOf(ctx, educator))[key], { value: false, reason: 'default' });

  t.equal(
    (await put(ctx, boss, key, { enabled: true, user_ids: [educator.id] }, { 'if-match': '"3"' })).statusCode,
    412,
  );
  const byUser = await put(ctx, boss, key, { enabled: true, user_ids: [educator.id], version: 1 });
  t.equal(byUser.statusCode, 200);
  t.same((await flagsOf(ctx, educator))[key], { value: true, reason: 'user' });
  t.same((await flagsOf(ctx, viewer))[key], { value: false, reason: 'default' }, 'the role rule was replaced');

  t.equal((await put(ctx, boss, key, { enabled: true, percentage: 100 })).statusCode, 200);
  t.same((await flagsOf(ctx, viewer))[key], { value: true, reason: 'percentage' });
  t.equal((await put(ctx, boss, key, { enabled: false, roles: ['viewer'], percentage: 100 })).statusCode, 200);
  t.same((await flagsOf(ctx, viewer))[key], { value: false, reason: 'off' }, 'off beats every rule');

  t.equal((await put(ctx, boss, 'no_such_flag', { enabled: true })).statusCode, 404);
  const unknown = await put(ctx, boss, key, { enabled: true, roles: ['nobody'], user_ids: ['999999'] });
  t.equal(unknown.statusCode, 422);
  t.same(
    (unknown.json().errors as { path: string }[]).map((e) => e.path),
    ['body.roles', 'body.user_ids'],
  );
  t.equal((await put(ctx, boss, key, { enabled: true, percentage: 101 })).statusCode, 400);

  const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/flags', headers: boss.headers });
  t.equal(list.statusCode, 200);
  const listed = list.json().data as { key: string; owner: string; state: { version: number } | null }[];
  t.same(listed.map((f) => f.key).sort(), Object.keys(FLAGS).sort());
  t.equal(listed.find((f) => f.key === key)!.state!.version, 4);
  t.equal(listed.find((f) => f.key !== key)!.state, null, 'a flag never set has no state');
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/flags', headers: viewer.headers })).statusCode,
    403,
  );

  const audit = await ctx.db.many<{ row_id: string; user_id: string; action: string }>({
    text: "SELECT row_id, user_id::text, action FROM audit_log WHERE table_name = 'feature_flags' ORDER BY id",
  });
  t.equal(audit.length, 4, 'every change audited');
  t.same(audit[0], { row_id: key, user_id: boss.id, action: 'insert' });
});
