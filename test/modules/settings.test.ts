// Settings and branding (issue 17): the typed registry, optimistic concurrency, the public view for login screens
// (ETag, 304, not rate-limited), the logo checked from its bytes, and every change audited.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { SETTINGS } from '../../apps/backend/src/modules/settings/index.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0rest-of-a-jpeg')]);
const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
);

const patch = (ctx: TestContext, u: TestUser, payload: object, headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'PATCH', url: '/api/v1/settings', headers: { ...u.headers, ...headers }, payload });
const putLogo = (ctx: TestContext, u: TestUser, body: Buffer, type = 'application/octet-stream') =>
  ctx.app.inject({
    method: 'PUT',
    url: '/api/v1/settings/logo',
    headers: { ...u.headers, 'content-type': type },
    payload: body,
  });

t.test('GET /settings: every key with its default, to any signed-in user; the ETag is the revision', async (t) => {
  const ctx = await buildTestApp(t);
  const viewer = await userWith(ctx, { role: 'viewer' });
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/settings', headers: viewer.headers });
  t.equal(res.statusCode, 200);
  t.equal(res.headers.etag, '"1"');
  const body = res.json();
  t.equal(body.version, 1);
  t.same(Object.keys(body.settings).sort(), Object.keys(SETTINGS).sort(), 'every key of the registry');
  t.match(body.settings.organisation_name, { value: 'Acolhe', default: 'Acolhe', public: true, version: null });
  t.match(body.settings.staff_notice, { value: '', public: false });
  t.equal(body.logo, null);
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/settings' })).statusCode, 401);
});

t.test('PATCH /settings: settings:manage, validated, normalised, optimistic concurrency, audited', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const viewer = await userWith(ctx, { role: 'viewer' });
  t.equal((await patch(ctx, viewer, { organisation_name: 'X' })).statusCode, 403);

  const res = await patch(
    ctx,
    boss,
    { organisation_name: '  Casa Acolhe  ', primary_color: '#AA00FF' },
    { 'if-match': '"1"' },
  );
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.headers.etag, '"2"');
  const body = res.json();
  t.equal(body.version, 2);
  t.match(body.settings.organisation_name, { value: 'Casa Acolhe', version: 2, updated_by: boss.id });
  t.equal(body.settings.primary_color.value, '#aa00ff', 'colours stored lower-case');
  t.equal(body.settings.secondary_color.version, null, 'untouched keys keep their default');

  const stale = await patch(ctx, boss, { organisation_short_name: 'CA' }, { 'if-match': '"1"' });
  t.equal(stale.statusCode, 412, 'a stale If-Match');
  t.equal(stale.json().code, 'precondition_failed');
  t.equal((await patch(ctx, boss, { organisation_short_name: 'CA', version: 1 })).statusCode, 412, 'a stale version');
  t.equal((await patch(ctx, boss, { organisation_short_name: 'CA', version: 2 })).statusCode, 200);
  t.equal((await patch(ctx, boss, { organisation_short_name: 'CB' })).statusCode, 200, 'no precondition: last wins');

  for (const [payload, path] of [
    [{ primary_color: '#abc' }, 'body.primary_color'],
    [{ primary_color: 'red' }, 'body.primary_color'],
    [{ contact_email: 'not-an-email' }, 'body.contact_email'],
    [{ privacy_notice_url: 'javascript:alert(1)' }, 'body.privacy_notice_url'],
    [{ organisation_name: '' }, 'body.organisation_name'],
    [{ no_such_setting: 1 }, 'body'],
  ] as const) {
    const bad = await patch(ctx, boss, payload);
    t.equal(bad.statusCode, 400, JSON.stringify(payload));
    t.ok(
      (bad.json().errors as { path: string }[]).some((e) => e.path.startsWith(path)),
      `${JSON.stringify(payload)} names ${path}`,
    );
  }
  t.equal((await patch(ctx, boss, {})).statusCode, 400, 'nothing to change');
  t.same(
    (await patch(ctx, boss, { contact_email: 'contato@casa.org', contact_phone: '+55 11 3333-4444' })).json().settings
      .contact_email.value,
    'contato@casa.org',
  );
  t.equal((await patch(ctx, boss, { contact_email: null })).json().settings.contact_email.value, null, 'nullable');

  const audit = await ctx.db.many<{ row_id: string; user_id: string; changes: Record<string, unknown> }>({
    text: "SELECT row_id, user_id::text, changes FROM audit_log WHERE table_name = 'settings' ORDER BY id",
  });
  t.ok(audit.length >= 4, 'each change audited');
  t.match(audit[0], { row_id: 'organisation_name', user_id: boss.id, changes: { value: { new: 'Casa Acolhe' } } });

  // The database holds the same rule as the schema.
  const refused = (await ctx.db
    .execute({ text: `INSERT INTO settings (key, value, version) VALUES ('accent_color', '"#ABC"', 9)` })
    .catch((err: unknown) => err)) as { constraint?: string };
  t.equal(refused.constraint, 'settings_color_check', 'a malformed colour is refused by PostgreSQL too');
});

t.test('GET /settings/public: public keys only, no token, ETag and 304, fresh after a change', async (t) => {
  const ctx = await buildTestApp(t, { env: { ANONYMOUS_MAX_PER_IP: '3' } });
  const boss = await admin(ctx);
  const get = (headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'GET', url: '/api/v1/settings/public', headers });
  const first = await get();
  t.equal(first.statusCode, 200);
  t.equal(first.headers['cache-control'], 'public, no-cache');
  const etag = first.headers.etag as string;
  t.match(etag, /^"[\w-]{22}"$/);
  const body = first.json();
  t.notOk('staff_notice' in body, 'a non-public key is not served');
  t.same(
    Object.keys(body).sort(),
    [...Object.keys(SETTINGS).filter((k) => SETTINGS[k as keyof typeof SETTINGS].public), 'logo_url'].sort(),
  );

  const again = await get({ 'if-none-match': etag });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '', 'no body');
  t.equal(again.headers.etag, etag);
  t.equal((await get({ 'if-none-match': `"other", W/${etag}` })).statusCode, 304, 'a list, weak comparison');

  t.equal((await patch(ctx, boss, { organisation_name: 'Casa Nova', staff_notice: 'hidden' })).statusCode, 200);
  const after = await get({ 'if-none-match': etag });
  t.equal(after.statusCode, 200, 'the change is seen at once');
  t.equal(after.json().organisation_name, 'Casa Nova');
  t.not(after.headers.etag, etag);

  // Served from memory and varying with nothing: not counted against the 3 unauthenticated requests allowed.
  const office = { remoteAddress: '10.9.0.1' };
  for (let i = 0; i < 10; i++) {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/public', ...office });
    t.equal(res.statusCode, 200, `public read ${i + 1}`);
  }
  const probes = [];
  for (let i = 0; i < 4; i++)
    probes.push((await ctx.app.inject({ method: 'GET', url: '/api/v1/nope', ...office })).statusCode);
  t.same(probes, [404, 404, 404, 429], 'other unauthenticated requests still are');
});

t.test(
  'the logo: PNG or JPEG from the bytes, at most 256 KiB, SVG refused; served with ETag and caching',
  async (t) => {
    const ctx = await buildTestApp(t);
    const boss = await admin(ctx);
    const viewer = await userWith(ctx, { role: 'viewer' });
    t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/logo' })).statusCode, 404, 'none yet');
    t.equal((await putLogo(ctx, viewer, PNG)).statusCode, 403);

    const put = await putLogo(ctx, boss, PNG);
    t.equal(put.statusCode, 200, put.body);
    t.match(put.json(), { content_type: 'image/png', byte_size: PNG.length, version: 1, updated_by: boss.id });
    const { url, sha256 } = put.json() as { url: string; sha256: string };
    t.equal(url, `/api/v1/settings/logo?v=${sha256.slice(0, 16)}`);

    const get = await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/logo' });
    t.equal(get.statusCode, 200);
    t.equal(get.headers['content-type'], 'image/png');
    t.same(get.rawPayload, PNG, 'the same bytes');
    t.equal(get.headers['cache-control'], 'public, no-cache');
    t.ok(get.headers['last-modified']);
    const etag = get.headers.etag as string;
    t.equal(
      (await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/logo', headers: { 'if-none-match': etag } }))
        .statusCode,
      304,
    );
    const pinned = await ctx.app.inject({ method: 'GET', url });
    t.equal(pinned.headers['cache-control'], 'public, max-age=31536000, immutable', 'the versioned URL is for good');
    t.equal(
      (await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/public' })).json().logo_url,
      url,
      'the public settings name it',
    );

    // The name and the declared type do not matter: the bytes do.
    const jpeg = await putLogo(ctx, boss, JPEG, 'image/png');
    t.equal(jpeg.statusCode, 200);
    t.equal(jpeg.json().content_type, 'image/jpeg', 'a JPEG sent as image/png is a JPEG');
    t.equal(jpeg.json().version, 2);
    const stale = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/settings/logo',
      headers: { 'if-none-match': etag },
    });
    t.equal(stale.statusCode, 200, 'the old ETag no longer matches');
    t.equal(stale.headers['content-type'], 'image/jpeg');

    for (const [bytes, type, what] of [
      [SVG, 'image/svg+xml', 'SVG'],
      [SVG, 'image/png', 'SVG sent as image/png'],
      [Buffer.from('GIF89a........'), 'image/png', 'a GIF'],
      [Buffer.from('hello, not an image'), 'application/octet-stream', 'text'],
    ] as const) {
      const res = await putLogo(ctx, boss, bytes, type);
      t.equal(res.statusCode, 415, what);
      t.equal(res.json().code === 'unsupported_image' || res.json().code === 'unsupported_media_type', true, what);
    }
    t.match((await putLogo(ctx, boss, SVG, 'image/png')).json().detail, /SVG logos are refused/);
    const largest = Buffer.concat([PNG, Buffer.alloc(256 * 1024 - PNG.length)]);
    t.equal((await putLogo(ctx, boss, largest)).statusCode, 200, 'exactly 256 KiB is accepted');
    t.equal(
      (await putLogo(ctx, boss, Buffer.concat([largest, Buffer.from([0])]))).statusCode,
      413,
      'a byte more is not',
    );
    const json = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/logo',
      headers: boss.headers,
      payload: { image: 'x' },
    });
    t.equal(json.statusCode, 415, 'JSON is not an image');
    t.equal(json.json().code, 'unsupported_media_type');
    t.equal((await putLogo(ctx, boss, Buffer.alloc(0))).statusCode, 400, 'empty');

    const audit = await ctx.db.many<{ changes: { content?: { new: string }; sha256?: unknown } }>({
      text: "SELECT changes FROM audit_log WHERE table_name = 'organisation_logo' ORDER BY id",
    });
    t.equal(audit.length, 3, 'every upload audited');
    t.equal(audit[0]!.changes.content!.new, '[redacted]', 'without the bytes');
    t.ok(audit[0]!.changes.sha256, 'with the hash');

    t.equal(
      (await ctx.app.inject({ method: 'DELETE', url: '/api/v1/settings/logo', headers: boss.headers })).statusCode,
      204,
    );
    t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/logo' })).statusCode, 404);
    t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/settings/public' })).json().logo_url, null);
    t.equal(
      (await ctx.app.inject({ method: 'DELETE', url: '/api/v1/settings/logo', headers: boss.headers })).statusCode,
      404,
    );
  },
);
