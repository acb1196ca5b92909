// Further seed steps (catalogues, samples), run after access and the admin, in this order.
import type { SeedStep } from './initial-data.js';

export const seedSteps: SeedStep[] = [];
