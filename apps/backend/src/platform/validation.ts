// Request validation: one Ajv configuration, two coercion rules. Query strings, path parameters and headers
// are text on the wire, so `?limit=5` must become 5 (coercion on). A JSON body already carries its types: a
// boolean where a string is expected is a client error, never the string "true" (coercion off), and so are
// `["x"]` for "x" and null for "". Fastify picks the validator per HTTP part through this factory.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { ValidatorFactory } from '@fastify/ajv-compiler';

/** Fastify's `schemaController.compilersFactory.buildValidator`: strict bodies, coerced everything else. */
export function strictBodyValidator(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options);
    const strict = pool(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    } as typeof options);
    return (route) => {
      if (route.httpPart === 'body' && isBinary(route.schema)) return rawBody as never; // not Ajv: a plain check
      return (route.httpPart === 'body' ? strict : coercing)(route);
    };
  };
}

/**
 * An upload's body is declared `{ type: 'string', format: 'binary' }` (per media type, for the OpenAPI
 * document); the route's content-type parser hands over the bytes as a Buffer, which is what this accepts.
 */
const isBinary = (schema: unknown) =>
  (schema as { type?: string; format?: string }).type === 'string' &&
  (schema as { format?: string }).format === 'binary';

const rawBody = Object.assign(
  (data: unknown) => {
    const ok = Buffer.isBuffer(data);
    rawBody.errors = ok
      ? null
      : [{ instancePath: '', schemaPath: '#/format', keyword: 'format', params: {}, message: 'must be the raw bytes' }];
    return ok;
  },
  { errors: null as null | object[] },
);
