// buildApp: the platform plugins, then every module, in one visible list.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import type { Db } from './platform/db.js';
import type { RedisClient } from './platform/redis.js';
import { loggerOptions, registerAccessLog } from './platform/logger.js';
import { securityHeaders } from './platform/security-headers.js';
import { rejectNulBytes } from './platform/http.js';
import { ProblemSchema, registerErrorHandling } from './platform/errors.js';
import { indexRoutes } from './platform/route-index.js';
import { registerOpenApi } from './platform/openapi.js';
import { fitBodyLimits } from './platform/body-limit.js';
import { loadShedding } from './platform/load-shedding.js';
import { strictBodyValidator } from './platform/validation.js';
import authPlugin from './platform/auth.js';
import metricsPlugin from './platform/metrics.js';
import { clientKey, createRateCounters, rateLimits } from './platform/rate-limit.js';
import { createInvalidator } from './platform/cache-invalidation.js';
import { createMailer, type Mailer } from './platform/mailer.js';
import healthModule from './modules/health/index.js';
import { createAccessRepository } from './modules/access/repository.js';
import { createPermissionStore } from './modules/access/permission-store.js';
import { createAccessService, type AccessService } from './modules/access/service.js';
import { createAuthRepository } from './modules/auth/repository.js';
import { createSessionStore } from './modules/auth/session-store.js';
import { createAuthService, type AuthService } from './modules/auth/service.js';
import accessModule from './modules/access/index.js';
import authModule from './modules/auth/index.js';
import usersModule from './modules/users/index.js';
import beneficiariesModule from './modules/beneficiaries/index.js';
import projectsModule from './modules/projects/index.js';
import workshopsModule from './modules/workshops/index.js';
import enrollmentsModule from './modules/enrollments/index.js';
import attendanceModule from './modules/attendance/index.js';
import auditModule from './modules/audit/index.js';
import opsModule from './modules/ops/index.js';

export const API_PREFIX = '/api/v1';

export interface AppDeps {
  config: Config;
  db: Db;
  redis: RedisClient | null;
  jwtSecret: string;
  /** Where logs go; defaults to stdout. The server passes its asynchronous destination; tests a stream to read. */
  logStream?: NodeJS.WritableStream | DestinationStream;
  mailer?: Mailer;
}

export type App = FastifyInstance;

/** A caller's `x-request-id` is kept only when it matches this (docs/development.md); otherwise one is made. */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db, redis } = deps;
  const app = Fastify({
    logger: config.LOG_LEVEL === 'silent' && !deps.logStream ? false : loggerOptions(config.LOG_LEVEL, deps.logStream),
    // One access line per request instead of Fastify's two (registerAccessLog).
    disableRequestLogging: true,
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
  await app.register(metricsPlugin, { config, db, redis });

  // Registered only when origins are configured: disabled, its catch-all OPTIONS route would answer nothing yet
  // make every path look as if it allowed OPTIONS (the 405's Allow header).
  if (config.corsOrigins.length) await app.register(cors, { origin: config.corsOrigins, credentials: false });

  const invalidator = createInvalidator(redis, app.log);
  const accessRepo = createAccessRepository(db);
  const permissionStore = createPermissionStore(accessRepo, redis, invalidator, config.CACHE_TTL_SECONDS);
  const authRepo = createAuthRepository(db);
  const sessionStore = createSessionStore(authRepo, redis, invalidator, config.CACHE_TTL_SECONDS);
  // Rate limits (platform/rate-limit.ts): counters in Redis, per process while it is away. Keyed on request.ip.
  const counters = createRateCounters(redis);
  await app.register(rateLimits, { counters });
  await app.register(authPlugin, {
    secret: deps.jwtSecret,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    apiPrefix: API_PREFIX,
    backend: { isSessionActive: sessionStore.isActive, permissionsOf: permissionStore.permissionsOf },
    anonymous: app.rateLimitCheck({
      name: 'anonymous',
      max: config.ANONYMOUS_MAX_PER_IP,
      windowSeconds: config.ANONYMOUS_WINDOW_SECONDS,
      key: clientKey,
    }),
  });

  const mailer = deps.mailer ?? createMailer(config, app.log);
  const auth = createAuthService({
    config,
    db,
    repo: authRepo,
    sessionStore,
    counters,
    mailer,
    signAccessToken: app.signAccessToken,
    log: app.log,
  });
  const access = createAccessService({ db, repo: accessRepo, store: permissionStore });
  const shared: ModuleDeps = { config, db, redis, access, auth };
  // Scripts (benchmarks) and tests reach the services the modules were built with.
  app.decorate('services', shared);

  // The modules. Each is a plugin wiring repository → service → routes.
  await app.register(healthModule, { db, redis });
  await app.register(
    async (api) => {
      api.addHook('preValidation', rejectNulBytes);
      await api.register(authModule, shared);
      await api.register(usersModule, shared);
      await api.register(accessModule, shared);
      await api.register(beneficiariesModule, shared);
      await api.register(projectsModule, shared);
      await api.register(workshopsModule, shared);
      await api.register(enrollmentsModule, shared);
      await api.register(attendanceModule, shared);
      await api.register(auditModule, shared);
      await api.register(opsModule, shared);
    },
    { prefix: API_PREFIX },
  );

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: ModuleDeps;
  }
}

/** What every module receives. Cross-module calls go through services, never repositories. */
export interface ModuleDeps {
  config: Config;
  db: Db;
  redis: RedisClient | null;
  access: AccessService;
  auth: AuthService;
}
