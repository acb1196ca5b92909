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
  // Plain-JavaScript scripts that run before anything is compiled (build, npm start) run on Node.
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
);
