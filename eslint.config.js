import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'test-artifacts/',
      'test/fixtures/consumer/',
      'examples/ai-sdk-next/.next/',
      'examples/ai-sdk-next/next-env.d.ts',
      '**/*.d.mts',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits in a reconnect loop is a request nobody can stop.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `const { ours, ...forFetch } = init` is how options are split.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The example app's own tsconfig finds `fetch-eventsource` in node_modules, as an app's does; here it
    // is checked against the sources, through the root tsconfig's paths.
    files: ['examples/ai-sdk-next/**'],
    languageOptions: { parserOptions: { projectService: false, project: './tsconfig.json' } },
  },
  {
    // Tests parse JSON and poke at internals on purpose; the promise rules still apply.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_' }],
    },
  },
  {
    // Scripts, the bench, the demo server and the runtime scenario are plain JavaScript run by Node
    // (the runtime scenario by Deno, Bun, workerd and browsers too): linted without type information.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'URL',
          'URLSearchParams',
          'fetch',
          'Response',
          'Request',
          'Headers',
          'ReadableStream',
          'TextEncoder',
          'TextDecoder',
          'AbortController',
          'AbortSignal',
          'performance',
          'Buffer',
          'crypto',
          'Event',
          'EventTarget',
          'MessageEvent',
          'EventSource',
          'globalThis',
          'structuredClone',
          'queueMicrotask',
          'Deno',
          'Bun',
          'window',
          'document',
          'navigator',
          'location',
          'self',
          'gc',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
