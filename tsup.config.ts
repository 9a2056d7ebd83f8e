import { defineConfig } from 'tsup';

export default defineConfig({
  // `fetch-eventsource/react` imports the main entry by its package name, so both share one copy.
  entry: ['src/index.ts', 'src/react.ts', 'src/server.ts'],
  format: ['esm', 'cjs'],
  external: ['react', 'fetch-eventsource'],
  // tsup 8 passes `baseUrl`, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  target: 'es2022',
  // No source maps: they pointed at src/ files the tarball does not ship, and were over half of it.
  sourcemap: false,
});
