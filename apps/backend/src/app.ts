// buildApp: the platform plugins, then every module, in one visible list.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { loggerOptions, registerAccessLog } from './platform/logger.js';
import { securityHeaders } from './platform/security-headers.js';
import { rejectNulBytes } from './platform/http.js';
import { ProblemSchema, registerErrorHandling } from './platform/errors.js';
import { indexRoutes } from './platform/route-index.js';
import { registerOpenApi } from './platform/openapi.js';
import { fitBodyLimits } from './platform/body-limit.js';
import { loadShedding } from './platform/load-shedding.js';
import { strictBodyValidator } from './platform/validation.js';
import dbPlugin from './platform/db.js';
import classificationPlugin from './platform/sensitive-data.js';
import redisPlugin from './platform/redis.js';
import cacheInvalidationPlugin from './platform/cache-invalidation.js';
import cachePlugin from './platform/cache/index.js';
import mailerPlugin, { type Mailer } from './platform/mailer.js';
import metricsPlugin from './platform/metrics.js';
import authGuardPlugin from './platform/auth.js';
import rateLimitsPlugin, { clientKey } from './platform/rate-limit.js';
import readYourWritesPlugin from './platform/read-your-writes.js';
import healthModule from './modules/health/index.js';
import authModule from './modules/auth/index.js';
import accessModule from './modules/access/index.js';
import usersModule from './modules/users/index.js';
import beneficiariesModule from './modules/beneficiaries/index.js';
import projectsModule from './modules/projects/index.js';
import workshopsModule from './modules/workshops/index.js';
import enrollmentsModule from './modules/enrollments/index.js';
import attendanceModule from './modules/attendance/index.js';
import auditModule from './modules/audit/index.js';
import privacyModule from './modules/privacy/index.js';
import opsModule from './modules/ops/index.js';
import settingsModule from './modules/settings/index.js';
import flagsModule from './modules/flags/index.js';
import reportsModule from './modules/reports/index.js';
import eventsModule from './modules/events/index.js';
import jobsModule from './modules/jobs/index.js';
import webhooksModule from './modules/webhooks/index.js';
import schedules from './schedules.js';

export const API_PREFIX = '/api/v1';

/** What a caller may swap in; everything else comes from the configuration. */
export interface AppOverrides {
  /** Where logs go; defaults to stdout. The server passes its asynchronous destination; tests a stream to read. */
  logStream?: NodeJS.WritableStream | DestinationStream;
  /** Outgoing mail; defaults to the transport MAILER names. Tests record mails. */
  mailer?: Mailer;
  /** Extra routes inside /api/v1, after the modules (benchmarks: a route with and without the guard). */
  extendApi?: (api: FastifyInstance) => void;
}

export type App = FastifyInstance;

/** A caller's `x-request-id` is kept only when it matches this (docs/development.md); otherwise one is made. */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/**
 * The one place the app is assembled (server, tests and benchmarks call it). `config` carries resolved
 * DATABASE_URL, REDIS_URL (unset: no Redis) and JWT_SECRET; the platform plugins open and close what they hold.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const app = Fastify({
    logger:
      config.LOG_LEVEL === 'silent' && !overrides.logStream
        ? false
        : loggerOptions(config.LOG_LEVEL, overrides.logStream),
    // One access line per request instead of Fastify's two (registerAccessLog); the top-level
    // disableRequestLogging option is deprecated in Fastify 5.
    logController: new LogController({ disableRequestLogging: true }),
    // No `requestIdHeader`: Fastify would take that header as is, bypassing genReqId and its check.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: config.REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // The client address (request.ip) for logs, sessions and rate limits: X-Forwarded-For only from trusted proxies.
    // A hop count trusts that many hops whoever they are (Fastify's own number form now trusts none).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: strictBodyValidator() } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Before any route: these onRoute hooks see every route.
  const routes = indexRoutes(app);
  fitBodyLimits(app, config.BODY_LIMIT_BYTES);

  // Callback-style hook (no promise per request): the request id and helmet's headers on every response.
  const headers = securityHeaders({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    done();
  });
  registerAccessLog(app);
  registerErrorHandling(app, routes);
  app.addSchema(ProblemSchema);
  loadShedding(app, { maxEventLoopDelayMs: 2_000, retryAfterSeconds: 5 });
  await registerOpenApi(app);
  app.decorate('config', config);

  // Platform plugins: named, each closes what it opened when the app closes.
  await app.register(dbPlugin);
  await app.register(classificationPlugin);
  await app.register(redisPlugin);
  await app.register(cacheInvalidationPlugin);
  await app.register(cachePlugin);
  await app.register(mailerPlugin, { mailer: overrides.mailer });
  await app.register(metricsPlugin);

  // Registered only when origins are configured: disabled, its catch-all OPTIONS route would answer nothing yet
  // make every path look as if it allowed OPTIONS (the 405's Allow header).
  if (config.corsOrigins.length) await app.register(cors, { origin: config.corsOrigins, credentials: false });

  // Rate limits (platform/rate-limit.ts): counters in Redis, per process while it is away. Keyed on request.ip.
  await app.register(rateLimitsPlugin);
  await app.register(authGuardPlugin, {
    apiPrefix: API_PREFIX,
    // A request without a valid access token counts against its client's limit (docs/auth/rate-limits.md).
    anonymous: app.rateLimitCheck({
      name: 'anonymous',
      max: config.ANONYMOUS_MAX_PER_IP,
      windowSeconds: config.ANONYMOUS_WINDOW_SECONDS,
      key: clientKey,
    }),
  });
  // Routed reads (lists, searches, reports, exports) on a replica that has the caller's last write.
  await app.register(readYourWritesPlugin);

  // The modules, in dependency order: each builds its repository and service, exposes the service to the
  // modules that depend on it (fastify-plugin `dependencies`) and registers its routes.
  await app.register(healthModule);
  await app.register(
    async (api) => {
      api.addHook('preValidation', rejectNulBytes);
      await api.register(jobsModule);
      await api.register(authModule);
      await api.register(accessModule);
      await api.register(usersModule);
      await api.register(beneficiariesModule);
      await api.register(projectsModule);
      await api.register(workshopsModule);
      await api.register(enrollmentsModule);
      await api.register(attendanceModule);
      await api.register(auditModule);
      await api.register(privacyModule);
      await api.register(opsModule);
      await api.register(settingsModule);
      await api.register(flagsModule);
      await api.register(reportsModule);
      await api.register(eventsModule);
      await api.register(webhooksModule);
      // The scheduled work of every module, in one list (src/schedules.ts).
      await api.register(schedules);
      overrides.extendApi?.(api);
    },
    { prefix: API_PREFIX },
  );

  return app;
}
