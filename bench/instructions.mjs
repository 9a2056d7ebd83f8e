// `npm run bench:instructions`: the workloads of `npm run bench`, counted in CPU instructions under
// valgrind's callgrind instead of timed. Counts are what this 2-core VM can repeat (they moved well
// under 1 % between runs here, where timings move up to 25 %), so ratios between clients can be
// compared across runs; they are not speed: cache misses and branch mispredictions are not counted.
//
// Each client × workload runs in its own `node` under callgrind twice: once reading the stream
// `warm` times, once `warm + measured` times. The difference is `measured` steady-state reads, so
// start-up, the workload's generation and JIT warm-up cancel out.
//   node bench/instructions.mjs [--only token-16k,...] [--clients fetchEventSource,...] [--scale 0.25]
//     [--warm 2] [--measured 2] [--jobs 2]
import { execFile, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { workloads } from './workloads.mjs';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    clients: { type: 'string' },
    scale: { type: 'string', default: '0.25' },
    warm: { type: 'string', default: '2' },
    measured: { type: 'string', default: '2' },
    jobs: { type: 'string', default: String(cpus().length) },
    child: { type: 'boolean', default: false },
  },
});
const scale = Number(args.scale);

if (args.child) {
  // In the child: read `workload` with `client` `runs` times, checking every event arrived.
  const [clientName, workloadName, runs] = positionals;
  const { clients } = await import('./clients.mjs');
  const { fetchOf } = await import('./workloads.mjs');
  const client = clients.find((c) => c.name === clientName);
  const workload = workloads(scale).find((w) => w.name === workloadName);
  const chunks = workload.chunks();
  for (let run = 0; run < Number(runs); run++) {
    const count = await client.run('https://bench.test/', fetchOf(chunks));
    if (count !== workload.events) throw new Error(`${clientName}: ${count} events, expected ${workload.events}`);
  }
  process.exit(0);
}

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('bench:instructions needs valgrind (Debian: apt-get install valgrind)');
  process.exit(1);
}

const compared = args.clients?.split(',') ?? [
  'eventsource-parser (raw)',
  'fetchEventSource',
  'fetchEvents',
  'eventsource-client',
];
const chosen = workloads(scale).filter((w) => !args.only || args.only.split(',').includes(w.name));
const warm = Number(args.warm);
const measured = Number(args.measured);

/** The instructions callgrind counted for one child run. */
function count(client, workload, runs) {
  const self = fileURLToPath(import.meta.url);
  const argv = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath];
  // One thread and fixed seeds: background compilation and hashing are then the same every run.
  // A young generation large enough that a read's garbage dies there, and an old one large enough
  // that no full collection starts: collections then cost the same in every read.
  argv.push('--single-threaded', '--random-seed=1', '--hash-seed=1');
  argv.push(
    '--min-semi-space-size=64',
    '--max-semi-space-size=64',
    '--initial-old-space-size=2048',
    self,
    '--child',
    `--scale=${scale}`,
  );
  argv.push(client, workload, String(runs));
  return new Promise((resolve, reject) => {
    execFile('valgrind', argv, { maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const match = /Collected : (\d+)/.exec(stderr);
      if (error || !match) reject(new Error(`${client} on ${workload}: ${error?.message ?? stderr.slice(-500)}`));
      else resolve(Number(match[1]));
    });
  });
}

const tasks = chosen.flatMap((workload) => compared.map((client) => ({ workload, client, result: undefined })));
let next = 0;
async function worker() {
  while (next < tasks.length) {
    const task = tasks[next++];
    const [short, long] = [
      await count(task.client, task.workload.name, warm),
      await count(task.client, task.workload.name, warm + measured),
    ];
    task.result = (long - short) / (measured * task.workload.events);
  }
}
console.log(
  `instructions per event under callgrind (${process.version}), ${measured} steady-state reads after ${warm}, event counts × ${scale}`,
);
await Promise.all(Array.from({ length: Number(args.jobs) }, worker));

for (const workload of chosen) {
  const rows = tasks.filter((t) => t.workload === workload);
  const of = (name) => rows.find((r) => r.client === name)?.result ?? Number.NaN;
  console.log(`\n${workload.name}`);
  console.log('client'.padEnd(28), 'instr/event'.padStart(12), '×parser'.padStart(8), '×client'.padStart(8));
  for (const row of rows) {
    // Speed ratios: fewer instructions is faster, so the other's count over this one's.
    console.log(
      row.client.padEnd(28),
      Math.round(row.result).toLocaleString('en').padStart(12),
      (of('eventsource-parser (raw)') / row.result).toFixed(3).padStart(8),
      (of('eventsource-client') / row.result).toFixed(3).padStart(8),
    );
  }
  console.log(`fetchEvents ×fetchEventSource ${(of('fetchEventSource') / of('fetchEvents')).toFixed(3)}`);
}
