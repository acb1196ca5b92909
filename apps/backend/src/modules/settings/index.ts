// The settings module: the organisation's settings (a registry in code, values in PostgreSQL) and its logo.
import { defineModule } from '../../platform/module.js';
import { createSettingsRepository } from './repository.js';
import { createSettingsService, type SettingsService } from './service.js';
import { settingsRoutes } from './routes.js';

export type { SettingsService };
export { SETTINGS, type SettingKey } from './registry.js';
export { SETTINGS_TAG } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'settings' in their dependencies. */
    settings: SettingsService;
  }
}

export default defineModule({
  name: 'settings',
  dependencies: ['db', 'cache', 'auth-guard'],
  service: (app) => createSettingsService({ db: app.db, repo: createSettingsRepository(app.db), cache: app.cache }),
  routes: settingsRoutes,
});
