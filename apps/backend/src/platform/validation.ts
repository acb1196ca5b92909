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
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}
