// The auth module: sign-in, sessions, passwords, and whether a session is still active for the auth guard.
import { defineModule } from '../../platform/module.js';
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

export default defineModule({
  name: 'auth',
  dependencies: ['db', 'redis', 'cache-invalidation', 'mailer', 'rate-limits', 'auth-guard'],
  service: (app) => {
    const repo = createAuthRepository(app.db);
    const sessionStore = createSessionStore(repo, app.redis, app.cacheInvalidator, app.config.CACHE_TTL_SECONDS);
    app.provideAuthBackend({ isSessionActive: sessionStore.isActive });
    return createAuthService({
      config: app.config,
      db: app.db,
      repo,
      sessionStore,
      counters: app.rateCounters,
      mailer: app.mailer,
      signAccessToken: app.signAccessToken,
      log: app.log,
    });
  },
  routes: (app, service) => authRoutes(app, service, app.config),
});
