// The OpenAPI document (/docs/json) is a contract clients generate code from. These checks run over every
// operation the app documents, so a new route that breaks a rule fails here without being listed:
// - every error response is application/problem+json with the Problem schema, and nothing else;
// - a parameter with a default is optional;
// - the statuses any route can send are documented: 400 where there is input (a malformed id included),
//   401/403 where a token or permission is needed, 413/415 where a body may come, 500/503 everywhere;
// - a body its schema allows is never refused as too large (413): the largest one is sent to every route.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { exampleValue, isUpload, largestValue, type JsonSchema } from '../helpers/schema-values.js';
import { maxJsonBytes } from '../../apps/backend/src/platform/body-limit.js';

interface Operation {
  parameters?: { name: string; in: string; required: boolean; schema: { default?: unknown } }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
  'x-permission'?: string;
}
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

t.test('every documented operation keeps the rules of the contract', async (t) => {
  const ctx = await buildTestApp(t);
  const res = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as Doc;
  t.ok(doc.components.schemas.Problem, 'the Problem schema is a named component');

  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op, label: `${method.toUpperCase()} ${path}` })),
  );
  t.ok(operations.length >= 40, `${operations.length} operations`);

  for (const { path, method, op, label } of operations) {
    const statuses = Object.keys(op.responses);
    const expect = (status: number, why: string) =>
      t.ok(statuses.includes(String(status)), `${label} documents ${status} (${why})`);

    for (const [status, response] of Object.entries(op.responses))
      if (Number(status) >= 400) t.same(response.content, PROBLEM, `${label} ${status} is a problem+json Problem`);

    for (const p of op.parameters ?? []) {
      if (p.schema.default === undefined) continue;
      t.equal(p.in === 'path', false, `${label}: path parameter ${p.name} has no default`);
      t.equal(p.required, false, `${label}: ${p.name} has a default, so it is optional`);
    }

    if (op.parameters?.length || op.requestBody) expect(400, 'its input is validated');
    if (path.includes('{')) expect(400, 'a malformed path parameter');
    if (op.security) {
      expect(401, 'a token is needed');
      t.ok(op['x-permission'], `${label} names its permission`);
      if (op['x-permission'] !== 'authenticated') expect(403, `it needs ${op['x-permission']}`);
    }
    if (BODY_METHODS.has(method)) {
      expect(400, 'malformed JSON');
      expect(413, 'a body over the limit');
      expect(415, 'a body of another media type');
    }
    expect(500, 'an unexpected failure');
    expect(503, 'overload or the database unavailable');
    for (const status of statuses.filter((s) => s === '204' || s === '202'))
      t.notOk(op.responses[status]!.content, `${label} ${status} has no body`);
  }

  // Every route of the API is in the document (none hidden by accident).
  for (const route of ctx.app.routeIndex.routes().filter((r) => r.url.startsWith('/api/'))) {
    if (route.method === 'HEAD') continue;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    t.ok(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url} is documented`);
  }
});

t.test('the answers behind the document: a malformed id is a 400, the reset request a bodiless 202', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  for (const [method, url] of [
    ['POST', '/api/v1/users/abc/activate'],
    ['POST', '/api/v1/users/0/deactivate'],
    ['DELETE', '/api/v1/auth/sessions/not-a-uuid'],
  ] as const) {
    const res = await ctx.app.inject({ method, url, headers: boss.headers });
    t.equal(res.statusCode, 400, `${method} ${url}`);
    t.match(res.json(), { code: 'validation_failed', errors: [{ path: /^params\./ }] });
  }
  const reset = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/password-reset',
    payload: { email: 'nobody@acolhe.test' },
  });
  t.equal(reset.statusCode, 202);
  t.equal(reset.body, '', 'no body (it was the text null)');
  const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/database', headers: boss.headers });
  t.equal(list.statusCode, 200, 'long_query_seconds and limit may be left out');
});

t.test('a body its schema allows is never refused as too large', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  // Uploads (raw bytes, their own limit) are sent at their largest in test/modules/settings.test.ts.
  const routes = ctx.app.routeIndex.routes().filter((r) => {
    const body = (r.schema as { body?: unknown } | undefined)?.body;
    return body && !isUpload(body);
  });
  for (const route of routes) {
    const schema = route.schema as { body: JsonSchema; params?: JsonSchema };
    const label = `${route.method} ${route.url}`;
    let body: unknown;
    try {
      body = largestValue(schema.body);
    } catch (err) {
      t.fail(`${label}: the body schema sets no size (${(err as Error).message})`);
      continue;
    }
    const payload = JSON.stringify(body);
    t.equal(
      Buffer.byteLength(payload),
      maxJsonBytes(schema.body),
      `${label}: the largest body, ${payload.length} bytes`,
    );
    // The longest valid ids: rows that do not exist, so nothing is changed by a body that happens to be valid.
    const url = route.url.replace(/:(\w+)/g, (_m, name: string) =>
      encodeURIComponent(String(exampleValue(schema.params!.properties![name]!, true))),
    );
    const res = await ctx.app.inject({
      method: route.method as 'POST',
      url,
      headers: { ...boss.headers, 'content-type': 'application/json' },
      payload,
    });
    t.not(res.statusCode, 413, `${label}: ${res.statusCode}`);
  }
});
