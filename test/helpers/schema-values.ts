// Values built from a route's JSON schema, for the contract tests that cover every route without listing it:
// a valid example (path parameters), the largest body a schema allows, and the JSON types a field accepts.

export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
}

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

const FORMAT_EXAMPLES: Record<string, string> = {
  date: '2026-01-05',
  uuid: '00000000-0000-4000-8000-000000000000',
  'date-time': '2026-01-05T10:00:00Z',
};

/**
 * A string matching a simple regular expression (anchors, literals, escapes, classes, groups with
 * alternatives, quantifiers): the shortest one, or the longest when `longest` (bounded quantifiers only).
 */
export function matchingString(pattern: string, longest = false): string {
  let i = 0;
  const atom = (): string => {
    const c = pattern[i++]!;
    if (c === '\\') {
      const e = pattern[i++]!;
      return e === 'd' ? '1' : e === 'w' ? 'a' : e === 's' ? ' ' : e;
    }
    if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      const body = pattern.slice(i, end);
      i = end + 1;
      if (body.startsWith('^')) return 'a';
      return body[0] === '\\' ? body[1]! : body[0]!;
    }
    if (c === '(') return sequence(')');
    if (c === '.') return 'a';
    return c;
  };
  const quantified = (text: string): string => {
    const q = pattern[i];
    let min = 1;
    let max = 1;
    if (q === '?' || q === '*' || q === '+') {
      i++;
      min = q === '+' ? 1 : 0;
      max = q === '?' ? 1 : min;
    } else if (q === '{') {
      const end = pattern.indexOf('}', i);
      const [a, b] = pattern.slice(i + 1, end).split(',');
      i = end + 1;
      min = Number(a);
      max = b === undefined ? min : b === '' ? min : Number(b);
    }
    return text.repeat(longest ? max : min);
  };
  const sequence = (close?: string): string => {
    const alternatives: string[] = [''];
    while (i < pattern.length && pattern[i] !== close) {
      const c = pattern[i];
      if (c === '^' || c === '$') {
        i++;
        continue;
      }
      if (c === '|') {
        i++;
        alternatives.push('');
        continue;
      }
      alternatives[alternatives.length - 1] += quantified(atom());
    }
    if (close) i++;
    return alternatives[0]!;
  };
  return sequence();
}

/** A value `schema` accepts (for path parameters): enum and const first, then formats and patterns. */
export function exampleValue(schema: JsonSchema, longest = false): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return exampleValue(variants[0]!, longest);
  if (schema.type === 'string') {
    if (schema.format && FORMAT_EXAMPLES[schema.format]) return FORMAT_EXAMPLES[schema.format];
    if (schema.pattern) return matchingString(schema.pattern, longest);
    return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return true;
  if (schema.type === 'array') return [];
  if (schema.type === 'object') {
    return Object.fromEntries(
      (schema.required ?? []).map((name) => [name, exampleValue(schema.properties![name]!, longest)]),
    );
  }
  throw new Error(`no example for schema ${JSON.stringify(schema)}`);
}

/**
 * The largest value, as JSON, that `schema` lets through size-wise: every property present, arrays full,
 * strings at maxLength in the characters JSON.stringify writes longest (\u0001 → 6 bytes). Its content may
 * still fail a pattern: what it probes is the body limit, which is checked before validation.
 */
export function largestValue(schema: JsonSchema): unknown {
  const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
  const pick = (values: unknown[]) => values.reduce((a, b) => (size(b) > size(a) ? b : a));
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return pick(schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return pick(variants.map(largestValue));
  if (Array.isArray(schema.type)) return pick(schema.type.map((type) => largestValue({ ...schema, type })));
  switch (schema.type) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
      return schema.minimum !== undefined && schema.maximum !== undefined
        ? pick([schema.minimum, schema.maximum])
        : -Number.MAX_SAFE_INTEGER;
    case 'number':
      return -Number.MAX_VALUE;
    case 'string':
      if (schema.format && FORMAT_EXAMPLES[schema.format] && schema.maxLength === undefined)
        return FORMAT_EXAMPLES[schema.format];
      if (schema.maxLength === undefined) throw new Error(`unbounded string: ${JSON.stringify(schema)}`);
      return '\u0001'.repeat(schema.maxLength);
    case 'array':
      if (schema.maxItems === undefined || !schema.items)
        throw new Error(`unbounded array: ${JSON.stringify(schema).slice(0, 200)}`);
      return Array.from({ length: schema.maxItems }, () => largestValue(schema.items!));
    case 'object':
      if (schema.additionalProperties !== false)
        throw new Error(`object open to any property: ${JSON.stringify(schema).slice(0, 200)}`);
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, largestValue(v)]));
    default:
      throw new Error(`no bound for schema ${JSON.stringify(schema).slice(0, 200)}`);
  }
}

/** The JSON types a value may have for `schema`. */
export function jsonTypes(schema: JsonSchema): Set<JsonType> {
  if (schema.const !== undefined) return new Set([typeOf(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(typeOf));
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return new Set(variants.flatMap((v) => [...jsonTypes(v)]));
  const types = [schema.type ?? []].flat() as JsonType[];
  // An integer is also a number, and a number schema accepts integers.
  if (types.includes('number')) types.push('integer');
  return new Set(types);
}

export function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

/**
 * Every field of a body schema with its path in the problem's `errors` (body.a.b, body.0.c for array items)
 * and a minimal body that puts a given value there (the rest of the body left empty).
 */
export function bodyFields(schema: JsonSchema): { path: string; schema: JsonSchema; place(v: unknown): unknown }[] {
  const out: { path: string; schema: JsonSchema; place(v: unknown): unknown }[] = [];
  const walk = (s: JsonSchema, path: string, place: (v: unknown) => unknown) => {
    out.push({ path, schema: s, place });
    if (s.type === 'object' && s.properties)
      for (const [name, child] of Object.entries(s.properties))
        walk(child, `${path}.${name}`, (v) => place({ [name]: v }));
    if (s.type === 'array' && s.items) walk(s.items, `${path}.0`, (v) => place([v]));
  };
  walk(schema, 'body', (v) => v);
  return out;
}

/** An upload's body (a logo): media types whose schema is the raw bytes. It has no JSON fields to vary. */
export function isUpload(body: unknown): boolean {
  const content = (body as { content?: Record<string, { schema?: JsonSchema }> }).content;
  return !!content && Object.values(content).every((c) => c.schema?.type === 'string' && c.schema.format === 'binary');
}
