// Lint rules for the whole tree. Type-aware rules (typescript-eslint with the TypeScript program) because
// most of this code is asynchronous across three boundaries (extension, worker, webview): an unawaited
// promise, or a promise passed where a callback is expected, fails silently at run time, and only the type
// checker can see it. Formatting is Prettier's job (eslint-config-prettier turns off the rules it owns).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** node:test's `test`, `describe`, `it` return promises the runner itself awaits. */
const nodeTestCalls = { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] };

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      '**/node_modules/**',
      'samples/**',
      'test-results/**',
      'bench-results/**',
      'demo-workspace/**',
      '.cache/**',
      '.vectortune/**',
      'packages/cli/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTestCalls] }],
      // Store and encoder classes implement async interfaces; some implementations have nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    // Tests, benchmarks and tools read JSON and drive untyped pages: `any` there is the data under test,
    // checked by assertions, so the no-unsafe family stays for the shipped code only.
    files: ['test/**', 'bench/**', 'tools/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (build script, VS Code test harness, page scripts): no TypeScript program to ask.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      // typescript-eslint's parser (which parses these files too) ignores sourceType 'commonjs'; without
      // globalReturn it puts a CommonJS file's top-level declarations in the global scope, where
      // `const crypto = require('node:crypto')` would redeclare the global `crypto`.
      parserOptions: { ecmaFeatures: { globalReturn: true } },
      globals: { ...globals.node, ...globals.browser },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', parserOptions: { ecmaFeatures: { globalReturn: false } } },
  },
  prettier,
);
