// A body the schema allows is never refused as too large (413). BODY_LIMIT_BYTES bounds every request body;
// a route whose body schema allows more (an attendance sheet: 10,000 rows with 1,000-character notes) gets the
// limit its schema needs, computed here from the schema: the size of the largest value it accepts, written
// as JSON.stringify writes it (compact UTF-8). The schema is where a body's size is decided and reviewed.
import type { FastifyInstance, RouteOptions } from 'fastify';

interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
}

// JSON.stringify writes a control character or a lone surrogate as \uXXXX: the most one character can take
// (Ajv's maxLength counts code points, and none takes more than 4 bytes of UTF-8).
const BYTES_PER_CHAR = 6;
// -1.7976931348623157e+308: the longest number JSON.stringify writes.
const NUMBER_BYTES = 24;
const FIXED_FORMATS: Record<string, number> = { date: 10, uuid: 36 };

const jsonLength = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const largest = (sizes: number[]) => (sizes.length ? Math.max(...sizes) : Infinity);

/** Size in bytes of the largest JSON value `schema` accepts; Infinity when it sets no bound. */
export function maxJsonBytes(schema: JsonSchema): number {
  if (schema.const !== undefined) return jsonLength(schema.const);
  if (schema.enum) return largest(schema.enum.map(jsonLength));
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return largest(variants.map(maxJsonBytes));
  if (schema.allOf) return Math.min(...schema.allOf.map(maxJsonBytes));
  if (Array.isArray(schema.type)) return largest(schema.type.map((type) => maxJsonBytes({ ...schema, type })));
  switch (schema.type) {
    case 'null':
      return 4;
    case 'boolean':
      return 5;
    case 'integer':
      return schema.minimum !== undefined && schema.maximum !== undefined
        ? Math.max(jsonLength(schema.minimum), jsonLength(schema.maximum))
        : NUMBER_BYTES;
    case 'number':
      return NUMBER_BYTES;
    case 'string': {
      const fixed = schema.format ? FIXED_FORMATS[schema.format] : undefined;
      if (fixed !== undefined) return 2 + fixed;
      return schema.maxLength === undefined ? Infinity : 2 + schema.maxLength * BYTES_PER_CHAR;
    }
    case 'array': {
      if (schema.maxItems === undefined || !schema.items) return Infinity;
      return 2 + schema.maxItems * maxJsonBytes(schema.items) + Math.max(0, schema.maxItems - 1);
    }
    case 'object': {
      if (schema.additionalProperties !== false) return Infinity;
      const members = Object.entries(schema.properties ?? {}).map(([k, v]) => jsonLength(k) + 1 + maxJsonBytes(v));
      return 2 + members.reduce((a, b) => a + b, 0) + Math.max(0, members.length - 1);
    }
    default:
      return Infinity;
  }
}

/** Call before any route is registered: raises a route's body limit to what its body schema allows. */
export function fitBodyLimits(app: FastifyInstance, limit: number) {
  app.addHook('onRoute', (route: RouteOptions) => {
    const body = (route.schema as { body?: JsonSchema } | undefined)?.body;
    if (!body || route.bodyLimit !== undefined) return;
    const needed = maxJsonBytes(body);
    if (Number.isFinite(needed) && needed > limit) route.bodyLimit = needed;
  });
}
