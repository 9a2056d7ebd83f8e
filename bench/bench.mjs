// `npm run bench`: throughput of this library against its peers, the raw parser and a floor
// that only reads and decodes, fed through an injected fetch (no network noise), plus one run
// over loopback HTTP and a memory check over a lazily generated 1 GiB stream.
//   node bench/bench.mjs [--rounds 5] [--json out.json] [--only token-16k,...] [--no-memory]
// Clients are alternated within each round so machine drift hits all of them alike; the figure is
// the median round after a warm-up round. Timings are reported, never asserted.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { clients } from './clients.mjs';
import { benchStores } from './stores.mjs';
import { fetchOf, tokenEvents, workloads as allWorkloads } from './workloads.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    json: { type: 'string' },
    only: { type: 'string' },
    'no-memory': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const encoder = new TextEncoder();
const workloads = allWorkloads().filter((w) => !args.only || args.only.split(',').includes(w.name));

async function time(run) {
  const start = process.hrtime.bigint();
  const count = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(workload, makeFetch, url) {
  const chunks = workload.chunks?.();
  const bytes = chunks ? chunks.reduce((sum, c) => sum + c.length, 0) : workload.bytes;
  const samples = Object.fromEntries(clients.map((c) => [c.name, []]));
  for (let round = 0; round <= rounds; round++) {
    // Rotate the order each round; round 0 is the warm-up and is not counted.
    const order = clients.map((_, i) => clients[(i + round) % clients.length]);
    for (const client of order) {
      const { ms, count } = await time(() => client.run(url, makeFetch(chunks)));
      if (!client.floor && count !== workload.events) {
        throw new Error(`${client.name} on ${workload.name}: ${count} events, expected ${workload.events}`);
      }
      if (round > 0) samples[client.name].push(ms);
    }
  }
  return clients.map((client) => {
    const ms = median(samples[client.name]);
    return {
      client: client.name,
      ms,
      eventsPerSecond: workload.events / (ms / 1000),
      mbPerSecond: bytes / 1e6 / (ms / 1000),
    };
  });
}

/** The token workload over a real loopback server, read with the global fetch. */
async function loopback() {
  const body = tokenEvents(200_000).join('');
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  try {
    const workload = { name: 'loopback-http', events: 200_000, bytes: Buffer.byteLength(body) };
    return await measure(workload, () => globalThis.fetch, url);
  } finally {
    server.close();
  }
}

/** RSS and heap while `client` reads a lazily generated 1 GiB stream. */
async function memory(client, total = 1024 ** 3) {
  const chunk = encoder.encode(tokenEvents(200).join(''));
  let sent = 0;
  let peakRss = 0;
  let peakHeap = 0;
  let pulls = 0;
  const fetch = async () =>
    new Response(
      new ReadableStream(
        {
          pull(controller) {
            if (sent >= total) return controller.close();
            controller.enqueue(chunk);
            sent += chunk.length;
            if (++pulls % 2000 === 0) {
              const usage = process.memoryUsage();
              peakRss = Math.max(peakRss, usage.rss);
              peakHeap = Math.max(peakHeap, usage.heapUsed);
            }
          },
        },
        { highWaterMark: 0 },
      ),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  globalThis.gc?.();
  const before = process.memoryUsage();
  const { ms } = await time(() => client.run('https://bench.test/', fetch));
  return {
    client: client.name,
    gib: total / 1024 ** 3,
    seconds: ms / 1000,
    rssStartMB: before.rss / 1e6,
    rssPeakMB: peakRss / 1e6,
    heapStartMB: before.heapUsed / 1e6,
    heapPeakMB: peakHeap / 1e6,
  };
}

/** How long `fetchEventSource` takes to refuse a 200 MiB line that starts with `prefix` and never ends. */
async function hostileLine(prefix) {
  const { fetchEventSource } = await import('../dist/index.js');
  const chunk = encoder.encode('x'.repeat(64 * 1024));
  const total = 200 * 1024 ** 2;
  let sent = 0;
  const fetch = async () =>
    new Response(
      new ReadableStream(
        {
          pull(controller) {
            if (sent === 0) controller.enqueue(encoder.encode(prefix));
            if (sent >= total) return controller.close();
            controller.enqueue(chunk);
            sent += chunk.length;
          },
        },
        { highWaterMark: 0 },
      ),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  const start = performance.now();
  const outcome = await fetchEventSource('https://bench.test/', { fetch }).then(
    () => 'resolved',
    (error) => error.name,
  );
  return { prefix, ms: performance.now() - start, outcome, readMiB: sent / 1024 ** 2 };
}

function table(name, results) {
  const parser = results.find((r) => r.client === 'eventsource-parser (raw)');
  const floor = results.find((r) => r.client === 'floor (read + decode)');
  console.log(`\n${name}`);
  console.log(
    'client'.padEnd(32),
    'events/s'.padStart(12),
    'MB/s'.padStart(9),
    '×parser'.padStart(8),
    '×floor'.padStart(8),
  );
  for (const r of results) {
    console.log(
      r.client.padEnd(32),
      Math.round(r.eventsPerSecond).toLocaleString('en').padStart(12),
      r.mbPerSecond.toFixed(1).padStart(9),
      (parser.ms / r.ms).toFixed(2).padStart(8),
      (floor.ms / r.ms).toFixed(2).padStart(8),
    );
  }
}

const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  memoryGB: Math.round(totalmem() / 1e9),
  rounds,
  workloads: {},
  memory: [],
};
console.log(`Node ${report.node} on ${report.cpu} (${report.cores} cores), median of ${rounds} rounds`);
for (const workload of workloads) {
  report.workloads[workload.name] = await measure(workload, fetchOf, 'https://bench.test/');
  table(workload.name, report.workloads[workload.name]);
}
if (!args.only || args.only.split(',').includes('loopback-http')) {
  report.workloads['loopback-http'] = await loopback();
  table('loopback-http', report.workloads['loopback-http']);
}
if (!args.only || args.only.split(',').includes('for-await-floor')) {
  // What `for await` costs per item with nothing else to do: the floor under fetchEvents' small events.
  const items = Array.from({ length: 1000 }, (_, i) => ({ data: `x${i}` }));
  const count = 2_000_000;
  const iterator = () => {
    let i = 0;
    return {
      next: () =>
        Promise.resolve(i < count ? { value: items[i++ % 1000], done: false } : { value: undefined, done: true }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
  const samples = { loop: [], 'for await': [] };
  for (let round = 0; round <= rounds; round++) {
    let seen = 0;
    let start = performance.now();
    for (let i = 0; i < count; i++) seen += items[i % 1000].data.length >= 0 ? 1 : 0;
    if (round > 0) samples.loop.push(performance.now() - start);
    start = performance.now();
    for await (const item of iterator()) seen += item.data.length >= 0 ? 1 : 0;
    if (round > 0) samples['for await'].push(performance.now() - start);
    // Read, so neither loop is optimized away.
    report.forAwaitChecksum = seen;
  }
  report.forAwaitFloor = Object.fromEntries(
    Object.entries(samples).map(([name, ms]) => [name, (median(ms) * 1e6) / count]),
  );
  console.log(
    `\nper item, handing out ${count.toLocaleString('en')} array items: plain loop ${report.forAwaitFloor.loop.toFixed(1)} ns, for await ${report.forAwaitFloor['for await'].toFixed(1)} ns`,
  );
}
if (!args.only || args.only.split(',').includes('hostile-lines')) {
  console.log('\na 200 MiB line that never ends, in 64 KiB chunks (refused at maxEventSize, 16 MiB)');
  report.hostileLines = [];
  for (const prefix of ['data: ', 'id: ']) {
    const result = await hostileLine(prefix);
    report.hostileLines.push(result);
    console.log(
      `${JSON.stringify(prefix).padEnd(10)} ${result.outcome} after ${result.readMiB.toFixed(1)} MiB in ${result.ms.toFixed(0)} ms`,
    );
  }
}
if (!args['no-memory']) {
  console.log('\nmemory over a lazily generated 1 GiB stream');
  for (const name of ['fetchEventSource', 'fetchEvents']) {
    const result = await memory(clients.find((c) => c.name === name));
    report.memory.push(result);
    console.log(
      `${name.padEnd(18)} ${result.seconds.toFixed(1)} s, RSS ${result.rssStartMB.toFixed(0)} → peak ${result.rssPeakMB.toFixed(0)} MB, heap ${result.heapStartMB.toFixed(0)} → peak ${result.heapPeakMB.toFixed(0)} MB`,
    );
  }
}
if (!args.only || args.only.split(',').includes('stores')) report.stores = await benchStores();
if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2));
