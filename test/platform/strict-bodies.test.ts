// JSON bodies are never type-coerced: a value of the wrong JSON type in any field of any POST/PUT/PATCH route is
// a 400 naming that field (`{"full_name": true}` is not the name "true"). The routes and their fields come from
// the app itself (its route index and body schemas), so a new route or field is covered without being listed.
// Query strings and path parameters are text on the wire and stay coerced (`?limit=5`).
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin, userWith } from '../helpers/auth.js';
import { bodyFields, exampleValue, isUpload, jsonTypes, typeOf, type JsonSchema } from '../helpers/schema-values.js';
import { PERMISSIONS } from '../../apps/backend/src/modules/access/catalogue.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Values of every JSON type, the mistakes a loosely typed client makes. */
const CONFUSIONS: unknown[] = [true, false, 0, 1, 1.5, '', 'true', '1', ['x'], [1], {}, { value: 'x' }, null];

/** A URL for the route with valid path parameters (the longest ids: rows that do not exist). */
function urlFor(url: string, params: JsonSchema | undefined): string {
  return url.replace(/:(\w+)/g, (_m, name: string) =>
    encodeURIComponent(String(exampleValue(params!.properties![name]!, true))),
  );
}

// The fuzzer sends hundreds of bodies from one address: the rate limits (tested in rate-limits.test.ts) are
// raised so that every answer is the validator's.
const UNLIMITED = {
  LOGIN_MAX_ATTEMPTS: '10000',
  LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
  PASSWORD_RESET_MAX_PER_EMAIL: '10000',
  PASSWORD_RESET_MAX_PER_IP: '100000',
  REFRESH_MAX_PER_IP: '100000',
  ANONYMOUS_MAX_PER_IP: '100000',
};

t.test('every POST/PUT/PATCH route refuses a body field of the wrong JSON type with a 400 naming it', async (t) => {
  const ctx = await buildTestApp(t, { env: UNLIMITED });
  const boss = await admin(ctx);
  const routes = ctx.app.routeIndex.routes().filter((r) => {
    const body = (r.schema as { body?: unknown } | undefined)?.body;
    return WRITE_METHODS.has(r.method) && body && !isUpload(body); // uploads: test/modules/settings.test.ts
  });
  t.ok(routes.length >= 15, `${routes.length} routes with a body`);

  for (const route of routes) {
    const schema = route.schema as { body: JsonSchema; params?: JsonSchema };
    const url = urlFor(route.url, schema.params);
    for (const field of bodyFields(schema.body)) {
      const accepted = jsonTypes(field.schema);
      t.ok(accepted.size > 0, `${route.method} ${route.url} ${field.path} declares its type`);
      for (const value of CONFUSIONS.filter((v) => !accepted.has(typeOf(v)))) {
        const res = await ctx.app.inject({
          method: route.method as 'POST',
          url,
          headers: { ...boss.headers, 'content-type': 'application/json' },
          payload: JSON.stringify(field.place(value)),
        });
        const label = `${route.method} ${route.url} ${field.path} = ${JSON.stringify(value)}`;
        const errors = res.statusCode === 400 ? (res.json().errors as { path: string }[] | undefined) : undefined;
        if (res.statusCode !== 400 || !errors?.some((e) => e.path === field.path))
          t.fail(label, { status: res.statusCode, body: res.body.slice(0, 500) });
        else t.pass(label);
      }
    }
  }
});

t.test('the type errors of one body are all named at once', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: boss.headers,
    payload: { full_name: true, dependents: true, social_name: ['x'], phone: null, nis: 12345678901 },
  });
  t.equal(res.statusCode, 400);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  const paths = (res.json().errors as { path: string }[]).map((e) => e.path);
  for (const p of ['body.full_name', 'body.dependents', 'body.social_name', 'body.nis'])
    t.ok(paths.includes(p), `${p} named`);
  t.equal(
    (await ctx.db.many({ text: "SELECT 1 FROM beneficiaries WHERE full_name = 'true'" })).length,
    0,
    'nothing named "true" was created',
  );
  const role = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/roles',
    headers: boss.headers,
    payload: { name: false, permissions: [] },
  });
  t.equal(role.statusCode, 400, 'no role "false"');
});

t.test('query strings and path parameters stay coerced from text', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users?limit=1', headers: boss.headers });
  t.equal(res.statusCode, 200);
  t.equal(res.json().data.length, 1, '?limit=1 is the number 1');
});

t.test('routes that take no body ignore one without failing', async (t) => {
  const ctx = await buildTestApp(t);
  const doc = ctx.app.swagger() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  const routes = ctx.app.routeIndex
    .routes()
    .filter((r) => WRITE_METHODS.has(r.method) && !(r.schema as { body?: unknown } | undefined)?.body);
  for (const route of routes) {
    // A user of its own per route: these are logout, deactivate and the like.
    const u = await userWith(ctx, Object.keys(PERMISSIONS));
    const schema = route.schema as { params?: JsonSchema } | undefined;
    const documented = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
    t.ok(documented, `${route.method} ${route.url} is documented`);
    t.notOk(documented?.requestBody, `${route.method} ${route.url} is documented without a body`);
    for (const value of CONFUSIONS) {
      const res = await ctx.app.inject({
        method: route.method as 'POST',
        url: urlFor(route.url, schema?.params),
        headers: { ...u.headers, 'content-type': 'application/json' },
        payload: JSON.stringify(value),
      });
      t.ok(res.statusCode < 500, `${route.method} ${route.url} with ${JSON.stringify(value)}: ${res.statusCode}`);
    }
  }
});
