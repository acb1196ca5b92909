// pino options shared by the server and the scripts: request ids, redaction, pretty only on a terminal.
import type { FastifyServerOptions } from 'fastify';
import type { LoggerOptions } from 'pino';

// Secrets never reach the log, at any depth we log objects (request, body, error context).
const SECRET_KEYS = [
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
];
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-metrics-token"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
];

export function loggerOptions(
  level: string,
  destination?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] & LoggerOptions {
  const pretty = !destination && process.stdout.isTTY;
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(destination ? { stream: destination } : {}),
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
    serializers: {
      // The request line: method, URL without the query string (it may carry tokens), id and client address.
      req: (req: { method: string; url: string; id: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        request_id: req.id,
        remote_address: req.ip ?? req.socket?.remoteAddress,
      }),
    },
  } as FastifyServerOptions['logger'] & LoggerOptions;
}
