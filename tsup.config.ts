import { defineConfig } from 'tsup';

export default defineConfig({
  // `fetch-eventsource/react`, `/ai-sdk` and `/tanstack-ai` import the other entries by the package's name, so all
  // share one copy.
  entry: ['src/index.ts', 'src/react.ts', 'src/server.ts', 'src/ai-sdk.ts', 'src/tanstack-ai.ts'],
  // Every entry in both formats; `/tanstack-ai` is published as ESM only (its peers, @tanstack/ai and
  // @tanstack/ai-client, are ESM only), so its CommonJS build is left out of `files`, and
  // `check:package` lets attw's cjs-resolves-to-esm rule pass for it (a `require` of it is an error).
  format: ['esm', 'cjs'],
  external: ['react', 'ai', '@tanstack/ai', '@tanstack/ai-client', 'fetch-eventsource', 'fetch-eventsource/server'],
  // tsup 8 passes `baseUrl`, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  target: 'es2022',
  // No source maps: they pointed at src/ files the tarball does not ship, and were over half of it.
  sourcemap: false,
});
