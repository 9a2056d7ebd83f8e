import { defineConfig } from 'tsup';

export default defineConfig({
  // `fetch-eventsource/react` and `/ai-sdk` import the other entries by the package's name, so all
  // share one copy.
  entry: ['src/index.ts', 'src/react.ts', 'src/server.ts', 'src/ai-sdk.ts'],
  format: ['esm', 'cjs'],
  external: ['react', 'ai', 'fetch-eventsource', 'fetch-eventsource/server'],
  // tsup 8 passes `baseUrl`, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  target: 'es2022',
  // No source maps: they pointed at src/ files the tarball does not ship, and were over half of it.
  sourcemap: false,
});
