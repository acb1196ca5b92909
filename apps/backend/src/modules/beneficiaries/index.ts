// The beneficiaries module: people followed by the organisation, and the vulnerability catalogue.
import { defineModule } from '../../platform/module.js';
import { createBeneficiariesRepository } from './repository.js';
import { createBeneficiariesService, type BeneficiariesService } from './service.js';

export { VULNERABILITIES_TAG } from './service.js';
import { beneficiariesRoutes } from './routes.js';

export type { BeneficiariesService };
/** The columns a client writes, in table order (the staging generator COPYs in this order). */
export { WRITABLE_COLUMNS as BENEFICIARY_WRITABLE_COLUMNS } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'beneficiaries' in their dependencies. */
    beneficiaries: BeneficiariesService;
  }
}

export default defineModule({
  name: 'beneficiaries',
  dependencies: ['db', 'cache', 'auth-guard', 'classification', 'read-your-writes'],
  service: (app) =>
    createBeneficiariesService({
      db: app.db,
      repo: createBeneficiariesRepository(app.db, app.classification),
      timezone: app.config.ORG_TIMEZONE,
      cache: app.cache,
    }),
  routes: beneficiariesRoutes,
});
