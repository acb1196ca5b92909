// One error type and one problem+json shape (RFC 9457) for every failure the API reports.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteIndex } from './route-index.js';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const problemTitle = (status: number) => TITLES[status] ?? 'Error';

export const badRequest = (detail: string, errors?: FieldError[]) => new AppError(400, 'bad_request', detail, errors);
export const unauthorized = (detail = 'Authentication required') => new AppError(401, 'unauthorized', detail);
export const forbidden = (detail = 'You do not have permission to do this') => new AppError(403, 'forbidden', detail);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (detail: string, code = 'conflict', errors?: FieldError[]) =>
  new AppError(409, code, detail, errors);
export const preconditionFailed = (detail: string) => new AppError(412, 'precondition_failed', detail);
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new AppError(422, 'unprocessable', detail, errors);
const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) });
export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(
    429,
    'too_many_requests',
    'Too many attempts; try again later',
    undefined,
    retryAfter(retryAfterSeconds),
  );
export const serviceUnavailable = (
  detail = 'The service is temporarily unavailable; retry shortly',
  retryAfterSeconds?: number,
) =>
  new AppError(
    503,
    'service_unavailable',
    detail,
    undefined,
    retryAfterSeconds === undefined ? undefined : retryAfter(retryAfterSeconds),
  );
export const methodNotAllowed = (method: string, path: string, allowed: string[]) => {
  const allow = allowed.join(', ');
  return new AppError(405, 'method_not_allowed', `${path} does not answer ${method}; it answers ${allow}`, undefined, {
    allow,
  });
};

/** The response schema every route may reference for its 4xx/5xx answers. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    request_id: Type.String(),
  },
  { $id: 'Problem' },
);

export function problemBody(err: AppError, requestId: string) {
  return {
    type: `urn:acolhe:problem:${err.code}`,
    title: problemTitle(err.status),
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(err.errors?.length ? { errors: err.errors } : {}),
    request_id: requestId,
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem code of the error response sent, for the access log and the error metrics. */
    problemCode: string | null;
  }
}

export function sendProblem(reply: FastifyReply, err: AppError) {
  reply.request.problemCode = err.code;
  if (err.headers) reply.headers(err.headers);
  return reply
    .code(err.status)
    .type(PROBLEM_MEDIA_TYPE)
    .send(problemBody(err, String(reply.request.id)));
}

/** Validation errors from Ajv: one entry per failing field, with a JSON-pointer-like path. */
function fromValidation(err: FastifyError): AppError {
  const context = err.validationContext ?? 'body';
  const errors = (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const base = `${context}${v.instancePath.replace(/\//g, '.')}`;
    if (v.keyword === 'required') return { path: `${base}.${String(params.missingProperty)}`, message: 'is required' };
    if (v.keyword === 'additionalProperties') {
      return { path: `${base}.${String(params.additionalProperty)}`, message: 'is not allowed' };
    }
    return { path: base, message: v.message ?? 'is invalid' };
  });
  return new AppError(400, 'validation_failed', 'The request is invalid', errors);
}

/** Turn anything thrown into an AppError; unknown errors become a 500 that reveals nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe && fe.validation) return fromValidation(fe);
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors (bad JSON, body too large, wrong content type): safe to describe.
    const code = (fe.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
    return new AppError(fe.statusCode, code, fe.message);
  }
  if (fe && fe.statusCode === 503) return serviceUnavailable();
  return new AppError(500, 'internal_error', 'An unexpected error occurred; the request id identifies it in the logs');
}

/** The error handler, and the answer for URLs no route serves: 405 when the path exists under other methods. */
export function registerErrorHandling(app: FastifyInstance, routes: RouteIndex) {
  app.decorateRequest('problemCode', null);
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appErr = toAppError(err);
    // A client error is told by the access line (status and problem code); a server error also gets its own
    // line with the stack, under the same request id.
    if (appErr.status >= 500) request.log.error({ err, req: request }, 'request failed');
    return sendProblem(reply, appErr);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routes.allowedMethods(path);
    return sendProblem(
      reply,
      allowed.length
        ? methodNotAllowed(request.method, path, allowed)
        : new AppError(404, 'route_not_found', `No route ${request.method} ${path}`),
    );
  });
}
