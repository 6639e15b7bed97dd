// ESLint: typescript-eslint's type-checked recommended rules over every TypeScript file. A rule is turned off only
// where the code is better without it, with the reason beside it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'data/',
      'test/fixtures/',
      'bench/dgram-fixed.cjs',
      'bin/',
      'coverage/',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
);
