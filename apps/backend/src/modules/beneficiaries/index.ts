// The beneficiaries module: people followed by the organisation, and the vulnerability catalogue.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createBeneficiariesRepository } from './repository.js';
import { createBeneficiariesService } from './service.js';
import { beneficiariesRoutes } from './routes.js';

export default async function beneficiariesModule(app: FastifyInstance, d: ModuleDeps) {
  const service = createBeneficiariesService({
    db: d.db,
    repo: createBeneficiariesRepository(d.db),
    timezone: d.config.ORG_TIMEZONE,
  });
  beneficiariesRoutes(app, service);
}
