// Lint: typescript-eslint's recommended rules, type-aware where cheap. `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import moduleBoundaries from './eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', '**/coverage/**', '**/.tap/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Prettier wraps code at 120 columns but never a comment; this holds comments (and any code Prettier
      // leaves) to the same width. Lines holding a string, a template literal (SQL), a regex or a URL are
      // exempt: splitting those costs more than a long line. (Core max-len works until ESLint 11;
      // @stylistic/max-len takes the same options.)
      'max-len': [
        'error',
        {
          code: 120,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
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
  // Plain-JavaScript scripts that run before anything is compiled (build, npm start) run on Node.
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
);
