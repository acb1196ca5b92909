// Further seed steps (catalogues, samples), run after access and the admin, in this order. An optional step
// that cannot run (sample data clashing with what users did since) is reported and skipped, never fatal.
import type { SeedStepSpec } from './types.js';
import { seedVulnerabilities } from './vulnerabilities.js';
import { seedSampleProjects } from './sample-projects.js';
import { seedSampleBeneficiaries } from './sample-beneficiaries.js';

export const seedSteps: SeedStepSpec[] = [
  { name: 'vulnerability catalogue', run: seedVulnerabilities },
  { name: 'sample projects and workshops', run: seedSampleProjects, optional: true },
  { name: 'sample beneficiaries', run: seedSampleBeneficiaries, optional: true },
];
