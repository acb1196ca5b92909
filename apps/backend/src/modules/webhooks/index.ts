// The webhooks module: outbound webhooks fed by the change_events outbox, signed per Standard Webhooks,
// delivered at least once and in order per subscription, with retries, and no server-side request forgery
// (docs/integrations/webhooks.md).
import { defineModule } from '../../platform/module.js';
import { createWebhooksRepository } from './repository.js';
import { createWebhooksService, type WebhooksService } from './service.js';
import { webhooksRoutes } from './routes.js';

export type { WebhooksService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'webhooks' in their dependencies. */
    webhooks: WebhooksService;
  }
}

export default defineModule({
  name: 'webhooks',
  dependencies: ['db', 'metrics', 'auth-guard', 'jobs', 'events'],
  service: (app) => {
    const webhooks = createWebhooksService({
      db: app.db,
      repo: createWebhooksRepository(app.db),
      config: app.config,
      jobs: app.jobs,
      events: app.events,
      log: app.log,
      metrics: app.metricsRegistry,
    });
    app.addHook('onReady', async () => {
      await webhooks.start();
    });
    // Deliveries under way finish first (the jobs stop), then the connections close.
    app.addHook('onClose', async () => {
      await app.jobs.stopped();
      webhooks.close();
    });
    return webhooks.service;
  },
  routes: webhooksRoutes,
});
