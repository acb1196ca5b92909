// The OpenAPI document (/docs, /docs/json), generated from the route schemas. Clients generate code from it,
// so it must state every status a route can send. Routes declare the answers of their own rules
// (`...problems(404, 409)`); the statuses the platform itself produces are added here to every documented
// route, from what the route declares: validation (400), a body's transport (400 malformed JSON, 413, 415),
// authentication (401), its permission (403), failures and load shedding (500, 503).
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { problemResponse } from './schemas.js';

/** Methods whose requests may carry a body Fastify parses (and can refuse). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const INPUT_PARTS = ['params', 'querystring', 'headers', 'body'] as const;

type Schema = FastifySchema & { hide?: boolean; response?: Record<string, unknown>; [key: `x-${string}`]: unknown };

/** The problem statuses the platform may answer on this route, whatever its handler does. */
function platformStatuses(route: Pick<RouteOptions, 'method' | 'schema' | 'config'>): number[] {
  const schema = route.schema as Schema | undefined;
  const takesBody = [route.method].flat().some((m) => BODY_METHODS.has(m));
  const permission = route.config?.permission;
  return [
    ...(takesBody || INPUT_PARTS.some((part) => schema?.[part]) ? [400] : []),
    ...(permission && permission !== 'public' ? [401] : []),
    ...(permission && permission !== 'public' && permission !== 'authenticated' ? [403] : []),
    ...(takesBody ? [413, 415] : []),
    500,
    503,
  ];
}

function documentPlatformResponses(route: RouteOptions) {
  const schema = route.schema as Schema | undefined;
  if (!schema || schema.hide) return;
  const response = { ...schema.response };
  for (const status of platformStatuses(route)) response[status] ??= problemResponse(status);
  const permission = route.config?.permission;
  route.schema = {
    ...schema,
    response,
    ...(permission ? { 'x-permission': permission } : {}),
  } as RouteOptions['schema'];
}

/**
 * A parameter with a default is optional for the client: Ajv fills the default in before it checks `required`.
 * The document says so (the TypeBox schema keeps it required, so handlers see a value without a `?`).
 */
function defaultsAreOptional(schema: FastifySchema | undefined): FastifySchema | undefined {
  if (!schema) return schema;
  const copy: Record<string, unknown> = { ...schema };
  for (const part of ['querystring', 'headers'] as const) {
    const s = schema[part] as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined;
    if (!s?.required || !s.properties) continue;
    copy[part] = { ...s, required: s.required.filter((name) => s.properties![name]?.default === undefined) };
  }
  return copy as FastifySchema;
}

/** Call before any documented route is registered. */
export async function registerOpenApi(app: FastifyInstance) {
  app.addHook('onRoute', documentPlatformResponses);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Acolhe API', version: '1.0.0', description: 'Case management for social-assistance programmes' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // Shared schemas keep their $id as their name (#/components/schemas/Problem), not def-0.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url }) => ({ schema: defaultsAreOptional(schema)!, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
