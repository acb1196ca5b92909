// Further seed steps (catalogues, samples), run after access and the admin, in this order.
import type { SeedStep } from './types.js';
import { seedVulnerabilities } from './vulnerabilities.js';
import { seedSampleProjects } from './sample-projects.js';

export const seedSteps: SeedStep[] = [seedVulnerabilities, seedSampleProjects];
