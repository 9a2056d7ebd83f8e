import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The test layers, declared once (run one with `vitest run --project <name>`):
// - behaviour: test/*.test.ts(x) by feature and test/unit/*.test.ts by module; fast, on every supported Node;
// - system: test/system/, once per `npm test` (the tarball, the soak, two processes on Redis, Chromium);
// - types: test/*.test-d.ts, checked by tsc in vitest's typecheck mode, never run.
export default defineConfig({
  // `fetch-eventsource/react` and the demo import the library by its package name: in tests, the sources.
  resolve: {
    alias: [
      { find: /^fetch-eventsource$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^fetch-eventsource\/server$/, replacement: fileURLToPath(new URL('./src/server.ts', import.meta.url)) },
      { find: /^fetch-eventsource\/ai-sdk$/, replacement: fileURLToPath(new URL('./src/ai-sdk.ts', import.meta.url)) },
      {
        find: /^fetch-eventsource\/tanstack-ai$/,
        replacement: fileURLToPath(new URL('./src/tanstack-ai.ts', import.meta.url)),
      },
    ],
  },
  test: {
    environment: 'node',
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'behaviour', include: ['test/*.test.{ts,tsx}', 'test/unit/*.test.ts'] } },
      { extends: true, test: { name: 'system', include: ['test/system/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
    ],
  },
});
