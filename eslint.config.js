// Lint: typescript-eslint's recommended rules, type-aware where cheap. `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import moduleBoundaries from './eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', '**/coverage/**', '**/.tap/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Module boundaries (docs/development.md). The benchmarks measure module internals side by side with the
    // API (the same SQL over a raw pool), and tests may test internals: both are exempt.
    files: ['apps/backend/src/**/*.ts', 'apps/backend/scripts/**/*.ts'],
    ignores: ['apps/backend/scripts/bench/**'],
    plugins: { acolhe: { rules: { 'module-boundaries': moduleBoundaries } } },
    rules: { 'acolhe/module-boundaries': 'error' },
  },
);
