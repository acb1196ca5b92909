// Authentication and authorisation for every /api/v1 route.
// A route declares `config: { permission: 'resource:action' | 'authenticated' | 'public' }`; the onRoute
// hook below refuses to start the app when an API route declares nothing, so no route is open by accident.
import fp from 'fastify-plugin';
import jwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { AppError, forbidden, unauthorized } from './errors.js';
import { problems } from './schemas.js';

export interface Principal {
  userId: string;
  sessionId: string;
  role: string;
  permissions: ReadonlySet<string>;
}

export interface AccessToken {
  sub: string;
  sid: string;
  role: string;
}

/** Supplied by the auth and access modules: the durable truth lives in PostgreSQL, Redis in front. */
export interface AuthBackend {
  isSessionActive(userId: string, sessionId: string): Promise<boolean>;
  permissionsOf(role: string): Promise<ReadonlySet<string>>;
  /**
   * The claims a single-use ticket was issued for, or null (unknown, used or expired). Needed once a route
   * declares `config.ticket` (the events stream: EventSource cannot send an Authorization header).
   */
  redeemTicket?(ticket: string): Promise<AccessToken | null>;
}

export type RoutePermission = 'public' | 'authenticated' | `${string}:${string}`;

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /**
     * false on a public route served from memory that varies with no input (branding for login screens): its
     * requests are not counted against the unauthenticated-request limit (docs/auth/rate-limits.md).
     */
    anonymousLimit?: false;
    /** The route also accepts `?ticket=` (AuthBackend.redeemTicket) instead of a bearer token. */
    ticket?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    signAccessToken(claims: AccessToken): string;
    /** The principal of an authenticated request; throws 401 otherwise (for handlers of non-public routes). */
    requirePrincipal(request: FastifyRequest): Principal;
    /**
     * How the modules that own sessions (auth) and roles (access) plug their lookups into the guard, once
     * each, while the app is built; the app refuses to start with either missing.
     */
    provideAuthBackend(part: Partial<AuthBackend>): void;
    /** The principal of an access token, or a 401 AppError: for connections outside routes (Socket.IO). */
    authenticateToken(token: string): Promise<Principal>;
    /**
     * The principal as the guard would see it now (its role's permissions now), or null when its session has
     * ended: long-lived streams re-check with it.
     */
    refreshPrincipal(principal: Principal): Promise<Principal | null>;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessToken;
    user: AccessToken;
  }
}

export interface AuthPluginOptions {
  /** Routes whose URL starts with this prefix must declare a permission. */
  apiPrefix: string;
  /**
   * Counts a request that carries no valid access token (a public route, an unknown route, a failed
   * authentication) against its client's limit; throws 429 past it. Route probing ends there.
   */
  anonymous: (request: FastifyRequest) => Promise<void>;
}

const ALGORITHM = 'HS256';
const VERIFIED_TOKENS = 10_000;

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions) {
  const { config } = app;
  if (!config.JWT_SECRET) throw new Error('JWT_SECRET is not set (server.ts resolves it before building the app)');
  const o = {
    ...options,
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    backend: {} as AuthBackend,
  };
  app.decorate('provideAuthBackend', (part: Partial<AuthBackend>) => {
    for (const key of Object.keys(part) as (keyof AuthBackend)[]) {
      if (o.backend[key]) throw new Error(`auth guard: ${key} was provided twice`);
      o.backend[key] = part[key] as never;
    }
  });
  let ticketRoutes = 0;
  app.addHook('onReady', async () => {
    for (const key of ['isSessionActive', 'permissionsOf'] as const)
      if (!o.backend[key])
        throw new Error(`auth guard: no module provided ${key} (register the auth and access modules)`);
    if (ticketRoutes && !o.backend.redeemTicket)
      throw new Error('auth guard: a route accepts tickets but no module provided redeemTicket');
  });

  await app.register(jwt, {
    secret: o.secret,
    sign: { algorithm: ALGORITHM, iss: o.issuer, aud: o.audience, expiresIn: o.accessTokenTtlSeconds },
    // Pinned: a token signed with another algorithm (or `none`), issuer or audience is refused.
    // `cache`: a verified token is not re-verified on every request (fast-jwt keeps it until it expires).
    verify: {
      algorithms: [ALGORITHM],
      allowedIss: o.issuer,
      allowedAud: o.audience,
      requiredClaims: ['sub', 'sid', 'role', 'exp'],
    },
  });
  app.decorateRequest('principal', null);
  app.decorate('signAccessToken', (claims: AccessToken) =>
    app.jwt.sign({ sub: claims.sub, sid: claims.sid, role: claims.role }),
  );
  app.decorate('requirePrincipal', (request: FastifyRequest) => {
    if (!request.principal) throw unauthorized();
    return request.principal;
  });

  // Tokens whose signature and claims were verified, until they expire: the same string is the same signed
  // token. A Map lookup instead of @fastify/jwt's per-request decode and cache-key hashing. Bounded; the
  // oldest entry goes first.
  const verified = new Map<string, { claims: AccessToken; expMs: number }>();
  const verify = (token: string): AccessToken => {
    const hit = verified.get(token);
    if (hit && hit.expMs > Date.now()) return hit.claims;
    const { sub, sid, role, exp } = app.jwt.verify<AccessToken & { exp: number }>(token);
    const claims = { sub, sid, role };
    if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, { claims, expMs: exp * 1000 });
    return claims;
  };

  const verifyToken = (token: string): AccessToken => {
    try {
      return verify(token);
    } catch {
      // Expired, tampered, foreign signature, wrong alg/iss/aud: one answer, no oracle.
      throw unauthorized('Invalid or expired access token');
    }
  };

  /** The session must be active; the permissions are those of the role now. */
  const principalOf = async (claims: AccessToken): Promise<Principal> => {
    // Both lookups at once: with Redis auto-pipelining they share one round trip.
    const [active, permissions] = await Promise.all([
      o.backend.isSessionActive(claims.sub, claims.sid),
      o.backend.permissionsOf(claims.role),
    ]);
    if (!active) throw unauthorized('The session has ended; sign in again');
    return { userId: claims.sub, sessionId: claims.sid, role: claims.role, permissions };
  };

  const authenticate = async (request: FastifyRequest): Promise<Principal> => {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) return principalOf(verifyToken(header.slice(7)));
    const ticket = request.routeOptions.config.ticket && (request.query as { ticket?: unknown }).ticket;
    if (typeof ticket !== 'string') throw unauthorized();
    const claims = await o.backend.redeemTicket!(ticket);
    if (!claims) throw unauthorized('Invalid, used or expired ticket');
    return principalOf(claims);
  };
  app.decorate('authenticateToken', (token: string) => principalOf(verifyToken(token)));
  app.decorate('refreshPrincipal', (p: Principal) =>
    principalOf({ sub: p.userId, sid: p.sessionId, role: p.role }).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 401) return null;
      throw err;
    }),
  );

  // Callback-style hook: the promise of authenticate() is the only one per request.
  const guard =
    (permission: RoutePermission): onRequestHookHandler =>
    (request, _reply, done) => {
      authenticate(request).then(
        (principal) => {
          request.principal = principal;
          done(permission !== 'authenticated' && !principal.permissions.has(permission) ? forbidden() : undefined);
        },
        (err: unknown) => {
          // A refused token counts against the per-address limit for unauthenticated requests.
          if (err instanceof AppError && err.status === 401)
            o.anonymous(request).then(() => done(err as AppError), done);
          else done(err as Error);
        },
      );
    };

  // Unknown routes are unauthenticated requests too. Callback-style: no promise for the requests that match.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.is404) return done();
    o.anonymous(request).then(() => done(), done);
  });

  app.addHook('onRoute', (route: RouteOptions) => {
    const permission = route.config?.permission;
    if (!route.url.startsWith(o.apiPrefix)) return;
    if (!permission) throw new Error(`Route ${route.method} ${route.url} must declare config.permission`);
    if (route.config?.ticket) ticketRoutes++;
    if (route.config?.anonymousLimit === false) {
      if (permission !== 'public')
        throw new Error(`Route ${route.method} ${route.url}: anonymousLimit is for public routes`);
      return;
    }
    // Every API route may answer 429: public ones count every request, the others failed authentications.
    const schema = route.schema as { response?: Record<string, unknown> } | undefined;
    route.schema = { ...schema, response: { ...schema?.response, ...problems(429) } } as RouteOptions['schema'];
    const hooks = route.onRequest ? [route.onRequest].flat() : [];
    if (permission === 'public') {
      route.onRequest = [o.anonymous, ...hooks];
      return;
    }
    route.schema = { ...route.schema, security: [{ bearerAuth: [] }] } as RouteOptions['schema'];
    route.onRequest = [guard(permission), ...hooks];
  });
}

export default fp(authPlugin, { name: 'auth-guard', decorators: { fastify: ['config'] } });
