// ESLint: typescript-eslint's type-aware rules, no import cycles, and layers that point
// one way (STYLE.md: lower layers never import cli/). Formatting is Prettier's (.prettierrc.json).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

export default defineConfig(
  { ignores: ['dist/', 'completions/', 'coverage/', 'reports/', '.stryker-tmp/', '.dist-*/', '.bench/', 'tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // vitest.mutate.config.ts is outside tsconfig.json's include (the mutation run only).
      parserOptions: { projectService: { allowDefaultProject: ['vitest.mutate.config.ts'] }, tsconfigRootDir: root },
      globals: globals.node,
    },
    rules: {
      // `{ access_token: _hidden, ...meta }` is how a field is left out; `_x` marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Off: an async function that implements a Promise-returning interface turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Off: output.ts, visible.ts and the tests match terminal control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  // bin/ and scripts/ are plain JavaScript outside tsconfig.json: no type information there.
  { files: ['**/*.{js,mjs,cjs}'], extends: [tseslint.configs.disableTypeChecked] },
  // CommonJS by design (bin/package.json, *.cjs): require() is how they import.
  {
    files: ['bin/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Off in tests: they parse what the CLI printed, and the expect() that follows is the check.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads .ts files only when told to, and resolves './x.js' to x.ts through TypeScript.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: [
                'src/store',
                'src/oauth',
                'src/providers',
                'src/sandbox',
                'src/completion',
                'src/check',
                'src/errors.ts',
                'src/visible.ts',
              ],
              from: 'src/cli',
              message: 'a lower layer never imports cli/ (STYLE.md): move the shared part down',
            },
          ],
        },
      ],
    },
  },
  {
    // The error model and the escaping of server text are leaves every layer may import.
    files: ['src/errors.ts', 'src/visible.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.', message: 'errors.ts and visible.ts import nothing of ours' }] },
      ],
    },
  },
);
