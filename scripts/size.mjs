// `npm run size` (run by `npm test`): the bundled, minified, gzipped size of what a user ships,
// parser included. Deterministic, so it is a check: it fails when a size grows past its budget.
// The budgets are a ratchet at the size reached; the targets (issue 12: 4.5 kB and 5.5 kB gzip) are
// printed beside them and are NOT met yet (see bench/README.md). A budget only
// ever goes down; a target never moves.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const checks = [
  {
    name: 'import { fetchEventSource }',
    code: 'export { fetchEventSource } from "./dist/index.js";',
    target: 4500,
    budget: 5340,
  },
  { name: 'the whole package', code: 'export * from "./dist/index.js";', target: 5500, budget: 6475 },
];

let failed = false;
for (const check of checks) {
  const result = await build({
    stdin: { contents: check.code, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const over = gzip > check.budget;
  failed ||= over;
  console.log(
    `${check.name.padEnd(30)} ${String(bytes.length).padStart(6)} B min, ${String(gzip).padStart(5)} B gzip` +
      ` (budget ${check.budget}${over ? ' EXCEEDED' : ''}; target ${check.target}${gzip > check.target ? ' not met' : ' met'})`,
  );
}
process.exitCode = failed ? 1 : 0;
