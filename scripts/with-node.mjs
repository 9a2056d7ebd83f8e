// `node scripts/with-node.mjs <major> <args…>`: runs Node <major> (from the npm registry, see nodes.mjs)
// with the given arguments, so the benchmarks measure a supported Node, not whatever the machine has.
import { spawnSync } from 'node:child_process';
import { ensureNode } from './nodes.mjs';

const [major, ...args] = process.argv.slice(2);
const node = await ensureNode(Number(major));
let path = node.path;
if (!path) {
  console.log(`Node ${major}: ${node.reason}; using this Node, ${process.version}`);
  path = process.execPath;
}
const result = spawnSync(path, args, { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
