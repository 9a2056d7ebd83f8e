import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `fetch-eventsource/react` imports the library by its package name: in tests, the sources.
  resolve: {
    alias: [{ find: /^fetch-eventsource$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 20_000,
    // `vitest run --typecheck.only` (npm run test:types): the *.test-d.ts files, checked by tsc, never run.
    typecheck: { include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
