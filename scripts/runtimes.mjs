// `npm run test:runtimes`: the runtime matrix. Packs the package, installs the tarball into a fresh
// consumer project, and runs the same smoke scenario (test/runtimes/scenario.mjs) against a real
// node:http server on 127.0.0.1 in every runtime the README names. Every runtime comes from the npm
// registry or Debian; one that cannot start here is reported as skipped with the reason, never as
// passed. Ends with a plain "N passed, N failed" line.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CHROMIUM_PATH, launchChromium } from './chromium.mjs';
import { ensureNode, installTools } from './nodes.mjs';
import { startScenarioServer } from '../test/runtimes/server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const scenarioFile = join(root, 'test/runtimes/scenario.mjs');
/** The runtimes from the npm registry, pinned: the README's table quotes these versions. */
const TOOLS = ['deno@2.9.6', 'bun@1.4.5', 'miniflare@4.20260730.0', '@edge-runtime/vm@5.0.0'];

// The consumer project: the tarball installed as a user would.
const project = mkdtempSync(join(tmpdir(), 'fetch-eventsource-runtimes-'));
execFileSync('npm', ['pack', '--pack-destination', project, '--ignore-scripts', '--silent'], { cwd: root });
const tarball = readdirSync(project).find((name) => name.endsWith('.tgz'));
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
execFileSync('npm', ['install', join(project, tarball), '--no-audit', '--no-fund', '--ignore-scripts', '--silent'], {
  cwd: project,
});
copyFileSync(scenarioFile, join(project, 'scenario.mjs'));
const installed = join(project, 'node_modules');
const parserDist = join(installed, 'eventsource-parser/dist');

/** One bundle of the scenario and the installed package, for runtimes without node_modules. */
async function bundle(entry, format) {
  const result = await build({
    stdin: { contents: entry, resolveDir: project, loader: 'js' },
    bundle: true,
    format,
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
const scenarioEntry = `import * as lib from 'fetch-eventsource';\nimport { scenario } from './scenario.mjs';\n`;
const workerBundle = await bundle(
  `${scenarioEntry}scenario(lib, self.location.origin).then((checks) => self.postMessage(checks), (error) => self.postMessage([{ name: 'worker', ok: false, detail: String(error) }]));`,
  'esm',
);
const js = (body) => ({ type: 'text/javascript', body });
const html = (body) => ({ type: 'text/html', body: `<!doctype html><meta charset="utf-8">${body}` });
const server = await startScenarioServer({
  // A page without a bundler: an import map names the package and its parser.
  '/page.html': html(
    `<script type="importmap">{"imports":{"fetch-eventsource":"/pkg/index.js","eventsource-parser":"/parser/index.js"}}</script>` +
      `<script type="module">import * as lib from 'fetch-eventsource'; import { scenario } from '/scenario.mjs';` +
      ` window.result = scenario(lib, location.origin);</script>`,
  ),
  '/pkg/index.js': js(readFileSync(join(installed, 'fetch-eventsource/dist/index.js'))),
  ...Object.fromEntries(
    readdirSync(parserDist)
      .filter((name) => name.endsWith('.js'))
      .map((name) => [`/parser/${name}`, js(readFileSync(join(parserDist, name)))]),
  ),
  '/scenario.mjs': js(readFileSync(scenarioFile)),
  // A module web worker, bundled with esbuild.
  '/worker.html': html(
    `<script>window.result = new Promise((resolve) => { const worker = new Worker('/worker.js', { type: 'module' });` +
      ` worker.onmessage = (event) => resolve(event.data); worker.onerror = (event) => resolve([{ name: 'worker', ok: false, detail: event.message }]); });</script>`,
  ),
  '/worker.js': js(workerBundle),
});
const base = server.url;

/**
 * Runs `command` (asynchronously: the scenario's server lives in this process) and reads the
 * scenario's checks from its last line of output.
 */
async function runProcess(command, args) {
  const result = await new Promise((resolve) =>
    execFile(command, args, { cwd: project, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    ),
  );
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(lastLine);
  } catch {
    const output = `${result.stdout}\n${result.stderr}`.trim().slice(-600);
    return [{ name: 'the runtime ran the scenario', ok: false, detail: output || String(result.error) }];
  }
}
const harness = (name, code) => {
  writeFileSync(join(project, name), code);
  return name;
};
const esmHarness = harness(
  'smoke.mjs',
  `${scenarioEntry}console.log(JSON.stringify(await scenario(lib, ${JSON.stringify(base)})));\n`,
);
const cjsHarness = harness(
  'smoke.cjs',
  `const lib = require('fetch-eventsource');\nimport('./scenario.mjs').then(async ({ scenario }) => console.log(JSON.stringify(await scenario(lib, ${JSON.stringify(base)}))));\n`,
);

const tools = installTools('runtimes', TOOLS);
const toolPath = (...parts) => (tools.prefix ? join(tools.prefix, 'node_modules', ...parts) : undefined);
const version = (command, args = ['--version']) =>
  spawnSync(command, args, { encoding: 'utf8' })
    .stdout?.trim()
    .split('\n')[0]
    ?.replace(/ \(.*$/, '') ?? '';

const runtimes = [];
for (const major of [22, 24]) {
  for (const [format, harnessFile] of [
    ['ESM', esmHarness],
    ['CommonJS', cjsHarness],
  ]) {
    runtimes.push({
      name: `Node ${major} (${format})`,
      async run() {
        const node = await ensureNode(major);
        if (!node.path) return { skipped: node.reason };
        return { version: node.version, checks: await runProcess(node.path, [harnessFile]) };
      },
    });
  }
}
/** A runtime whose binary comes in one of the matrix's npm packages. */
function binaryRuntime(name, binary, args, label = (seen) => seen) {
  return {
    name,
    async run() {
      const path = toolPath('.bin', binary);
      if (!path || !existsSync(path)) return { skipped: tools.reason ?? `the ${binary} package has no binary here` };
      const seen = version(path);
      if (!seen) return { skipped: `${path} does not run here` };
      return { version: label(seen), checks: await runProcess(path, args) };
    },
  };
}
runtimes.push(binaryRuntime('Deno', 'deno', ['run', '--allow-net', '--allow-read', esmHarness]));
runtimes.push(binaryRuntime('Bun', 'bun', [esmHarness], (seen) => `Bun ${seen}`));
runtimes.push({
  name: 'workerd (miniflare)',
  async run() {
    const entry = toolPath('miniflare/package.json');
    if (!entry || !existsSync(entry)) return { skipped: tools.reason ?? 'miniflare is not installed' };
    const { Miniflare } = await import(pathToFileURL(toolPath('miniflare/dist/src/index.js')).href);
    const script = await bundle(
      `${scenarioEntry}export default { async fetch(request) { return Response.json(await scenario(lib, new URL(request.url).searchParams.get('base'))); } };`,
      'esm',
    );
    const miniflare = new Miniflare({ modules: true, script, compatibilityDate: '2026-07-01' });
    try {
      const response = await miniflare.dispatchFetch(`http://worker.test/?base=${encodeURIComponent(base)}`);
      const workerd = JSON.parse(readFileSync(toolPath('workerd/package.json'), 'utf8')).version;
      return { version: `workerd ${workerd}`, checks: await response.json() };
    } finally {
      await miniflare.dispose();
    }
  },
});
runtimes.push({
  name: 'Edge sandbox (@edge-runtime/vm)',
  async run() {
    const entry = toolPath('@edge-runtime/vm/package.json');
    if (!entry || !existsSync(entry)) return { skipped: tools.reason ?? '@edge-runtime/vm is not installed' };
    const { EdgeVM } = await import(pathToFileURL(toolPath('@edge-runtime/vm/dist/index.js')).href);
    const vm = new EdgeVM();
    vm.evaluate(await bundle(`${scenarioEntry}globalThis.runScenario = (base) => scenario(lib, base);`, 'iife'));
    const checks = await vm.evaluate(`runScenario(${JSON.stringify(base)}).then((checks) => JSON.stringify(checks))`);
    return {
      version: `@edge-runtime/vm ${JSON.parse(readFileSync(entry, 'utf8')).version}`,
      checks: JSON.parse(checks),
    };
  },
});
for (const [name, path] of [
  ['Chromium page (import map, no bundler)', '/page.html'],
  ['Chromium module web worker (esbuild)', '/worker.html'],
]) {
  runtimes.push({
    name,
    async run() {
      if (!existsSync(CHROMIUM_PATH)) return { skipped: `no ${CHROMIUM_PATH} (apt-get install chromium)` };
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${base}${path}`);
        const checks = await page.evaluate(() => window.result);
        return { version: `Chromium ${browser.version()}`, checks };
      } finally {
        await browser.close();
      }
    },
  });
}

let passed = 0;
let failed = 0;
const rows = [];
try {
  for (const runtime of runtimes) {
    let outcome;
    try {
      outcome = await runtime.run();
    } catch (error) {
      outcome = {
        version: '',
        checks: [{ name: 'the runtime started', ok: false, detail: String(error?.stack ?? error) }],
      };
    }
    if (outcome.skipped) {
      console.log(`\n– ${runtime.name}: skipped, ${outcome.skipped}`);
      rows.push({ runtime: runtime.name, version: '', result: `skipped: ${outcome.skipped}` });
      continue;
    }
    console.log(`\n${runtime.name} — ${outcome.version}`);
    for (const check of outcome.checks) {
      console.log(`  ${check.ok ? '✔' : '✘'} ${check.name}${check.ok ? '' : `: ${check.detail}`}`);
      if (check.ok) passed += 1;
      else failed += 1;
    }
    const ok = outcome.checks.length > 0 && outcome.checks.every((check) => check.ok);
    rows.push({ runtime: runtime.name, version: outcome.version, result: ok ? 'passed' : 'FAILED' });
  }
} finally {
  await server.close();
  rmSync(project, { recursive: true, force: true });
}
console.log('\nruntime matrix:');
for (const row of rows) console.log(`  ${row.runtime.padEnd(42)} ${row.version.padEnd(28)} ${row.result}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
