// Lint: typescript-eslint's recommended rules, type-aware where cheap. `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', '**/coverage/**', '**/.tap/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Plain-JavaScript scripts that run before anything is compiled (build, npm start) run on Node.
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
);
