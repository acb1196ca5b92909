// Request helpers shared by the API modules. Optimistic concurrency: the client states the row version it
// read, either as `If-Match: "3"` (the ETag of the GET) or as a `version` field in the body.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { badRequest } from './errors.js';

/** The version the client expects (If-Match, or `version` in the body), or null when it sent none. */
export function expectedVersion(request: { headers: FastifyRequest['headers']; body?: unknown }): number | null {
  const ifMatch = request.headers['if-match'];
  const bodyVersion = (request.body as { version?: number } | null | undefined)?.version;
  let header: number | null = null;
  const raw = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
  if (raw !== undefined && raw.trim() !== '*') {
    const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,8})"?\s*$/.exec(raw);
    if (!m)
      throw badRequest('If-Match must be the ETag of the record, e.g. "3"', [
        { path: 'headers.if-match', message: 'is not a version' },
      ]);
    header = Number(m[1]);
  }
  if (header !== null && bodyVersion !== undefined && header !== bodyVersion) {
    throw badRequest('If-Match and version disagree', [{ path: 'body.version', message: 'differs from If-Match' }]);
  }
  return header ?? bodyVersion ?? null;
}

export const etag = (version: number) => `"${version}"`;

/** Sends a versioned record with its ETag: the version a later If-Match (or `version` field) names. */
export const sendVersioned = <R extends { version: number }>(reply: FastifyReply, record: R, status = 200) =>
  reply.code(status).header('etag', etag(record.version)).send(record);

function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Buffer.isBuffer(v)) return false; // an upload's bytes (a logo), not text
  if (Array.isArray(v)) return v.some(hasNul);
  if (v && typeof v === 'object') return Object.values(v).some(hasNul);
  return false;
}

/**
 * preValidation hook for every API route (registered once in app.ts): PostgreSQL text cannot hold NUL (it
 * would fail with 22021 inside the query); refuse such input up front as a 400 instead. Callback-style: no
 * promise per request.
 */
export function rejectNulBytes(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  if (hasNul(req.body) || hasNul(req.query) || hasNul(req.params)) {
    done(badRequest('Text must not contain NUL characters', [{ path: 'body', message: 'contains a NUL character' }]));
    return;
  }
  done();
}

/**
 * Whether the client's If-None-Match names `tag` (RFC 9110: weak comparison, a list, or `*`): the client's copy
 * is current and a 304 answers.
 */
export function isNotModified(request: { headers: FastifyRequest['headers'] }, tag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(tag));
}
