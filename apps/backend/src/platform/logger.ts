// Logging built for the request path: one access line per request, secrets kept out by construction, and an
// asynchronous destination that never blocks the event loop.
//
// Secrets (bearer tokens, passwords, reset and refresh tokens) never reach the log, at any level:
//  - the request and error serializers build new objects from a short list of safe fields: they never copy
//    headers, bodies or query strings, nor an error's other properties (a library error may carry a request);
//  - objects logged under `headers` or `body` are replaced whole, whatever a careless handler passes;
//  - the keys that name a secret are replaced wherever such a key is logged at the top of a line.
// pino applies serializers only to the keys a line actually has, so none of this walks a line it does not
// concern (the wildcard redaction paths it replaces were evaluated on every line: a tenth of the CPU under load).
import pino, { type DestinationStream, type LoggerOptions } from 'pino';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

export const SECRET_KEYS = [
  'password',
  'current_password',
  'new_password',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'cookie',
  'secret',
  'jwt',
] as const;

const REDACTED = '[redacted]';
const OMITTED = '[omitted]';

interface RequestLike {
  method: string;
  url: string;
  id: string;
  ip?: string;
  routeOptions?: { url?: string };
}

interface ErrorLike {
  name?: string;
  message?: string;
  stack?: string;
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  pgCode?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

/** An error as type, message, stack and codes; its cause the same way (two levels). Nothing else is copied. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) && (typeof err !== 'object' || err === null)) return { message: String(err) };
  const e = err as ErrorLike;
  const out: Record<string, unknown> = { type: e.name ?? 'Error', message: String(e.message ?? ''), stack: e.stack };
  for (const key of ['code', 'status', 'statusCode', 'pgCode', 'constraint'] as const) {
    const v = e[key];
    if (typeof v === 'string' || typeof v === 'number') out[key] = v;
  }
  if (e.cause !== undefined && depth < 2) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

const serializers: Record<string, (value: unknown) => unknown> = {
  // A request logged for context: method, route pattern, path without its query string (it may carry tokens),
  // request id, client address.
  req: (value) => {
    const req = value as RequestLike;
    return {
      method: req.method,
      route: req.routeOptions?.url,
      url: typeof req.url === 'string' ? req.url.split('?')[0] : undefined,
      request_id: req.id,
      remote_address: req.ip,
    };
  },
  res: (value) => ({ status: (value as { statusCode?: number }).statusCode }),
  err: (value) => serializeError(value),
  error: (value) => serializeError(value),
  headers: () => OMITTED,
  body: () => OMITTED,
  query: () => OMITTED,
  ...Object.fromEntries(SECRET_KEYS.map((k) => [k, () => REDACTED])),
};

export function loggerOptions(
  level: string,
  destination?: DestinationStream | NodeJS.WritableStream,
): FastifyServerOptions['logger'] & LoggerOptions {
  const pretty = !destination && process.stdout.isTTY;
  return {
    level,
    serializers,
    ...(destination ? { stream: destination } : {}),
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  } as FastifyServerOptions['logger'] & LoggerOptions;
}

/**
 * Where the server writes its log: stdout through sonic-boom in asynchronous mode (lines queue in memory while
 * a write is in flight, so a slow pipe never blocks a request), or undefined on a terminal (pino-pretty runs in
 * a worker thread). Lines are written in blocks of 4 KiB, and at least every second: one write per dozen
 * access lines instead of one each. Graceful shutdown waits for flushLog; lines still queued when the process
 * ends anyway are written synchronously on `exit`.
 */
export function logDestination(): pino.DestinationStream | undefined {
  if (process.stdout.isTTY) return undefined;
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already closed: nothing more can be written.
    }
  });
  return destination;
}

/** Waits until every queued line has been written (before closing down). */
export function flushLog(logger: pino.Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * The access log: one line per request when its response is sent (Fastify's own two lines, "incoming request"
 * and "request completed", are off: disableRequestLogging). Route pattern, never the raw URL; the problem code of
 * an error response; user id when the request was authenticated; the client address (request.ip, TRUST_PROXY);
 * the request id comes from the request's logger (reqId).
 */
export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    request.log.info(
      {
        method: request.method,
        route: route ?? null,
        ...(route === undefined ? { url: request.url.split('?')[0] } : {}),
        status: reply.statusCode,
        ...(request.problemCode ? { code: request.problemCode } : {}),
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        user_id: request.principal?.userId ?? null,
        remote_address: request.ip,
      },
      'request completed',
    );
    done();
  });
}
