// The auth module: sign-in, sessions, passwords, and whether a session is still active for the auth guard.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createAuthRepository } from './repository.js';
import { createSessionStore } from './session-store.js';
import { createAuthService, type AuthService } from './service.js';
import { authRoutes } from './routes.js';

export type { AuthService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'auth' in their dependencies. */
    auth: AuthService;
  }
}

export default fp(
  async function authModule(app: FastifyInstance) {
    const repo = createAuthRepository(app.db);
    const sessionStore = createSessionStore(repo, app.redis, app.cacheInvalidator, app.config.CACHE_TTL_SECONDS);
    const service = createAuthService({
      config: app.config,
      db: app.db,
      redis: app.redis,
      repo,
      sessionStore,
      mailer: app.mailer,
      signAccessToken: app.signAccessToken,
      log: app.log,
    });
    app.decorate('auth', service);
    app.provideAuthBackend({ isSessionActive: sessionStore.isActive });
    authRoutes(app, service);
  },
  { name: 'auth', dependencies: ['db', 'redis', 'cache-invalidation', 'mailer', 'auth-guard'] },
);
