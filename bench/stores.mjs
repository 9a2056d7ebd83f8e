// The resumable-stream stores of `fetch-eventsource/server`, on loopback: how many events per second
// one stream takes, and how long an appended event takes to reach a live reader (p50, p99), in
// memory and in a real redis-server (Debian's, on a free port, persistence off; skipped without it).
// `npm run bench` runs it at the end; alone: `node bench/stores.mjs [--events 20000]`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { memoryStore, redisStore } from '../dist/server.js';

async function measure(name, store, count) {
  const latencies = [];
  let appended = 0;
  let producedAt = 0;
  // The producer stamps each event with the time it made it; the reader, attached from the start,
  // reads the clock when the event reaches it.
  async function* producer() {
    const started = performance.now();
    for (let n = 0; n < count; n++) {
      yield { data: String(performance.now()) };
      appended += 1;
    }
    producedAt = performance.now() - started;
  }
  const id = `bench-${name}-${Date.now()}`;
  await store.start(id, producer);
  for await (const event of await store.read(id)) latencies.push(performance.now() - Number(event.data));
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const result = {
    store: name,
    events: latencies.length,
    perSecond: Math.round((appended / producedAt) * 1000),
    p50ms: at(0.5),
    p99ms: at(0.99),
  };
  console.log(
    `${name.padEnd(8)} ${result.perSecond.toLocaleString('en').padStart(9)} events/s appended to one stream; append → live reader p50 ${result.p50ms.toFixed(2)} ms, p99 ${result.p99ms.toFixed(2)} ms (${result.events.toLocaleString('en')} events)`,
  );
  return result;
}

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export async function benchStores(count = 20_000) {
  console.log(
    `\nresumable streams (fetch-eventsource/server), ${count.toLocaleString('en')} events, one stream, loopback`,
  );
  const results = [await measure('memory', memoryStore({ maxEvents: count }), count)];
  if (!existsSync('/usr/bin/redis-server')) {
    console.log('Redis    skipped: no /usr/bin/redis-server (apt-get install redis-server)');
    return results;
  }
  const { createClient } = await import('redis');
  const port = await freePort();
  const server = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  try {
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    client.on('error', () => {});
    for (let tries = 0; ; tries++) {
      try {
        await client.connect();
        break;
      } catch (error) {
        if (tries > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const store = redisStore(client, { prefix: 'bench:', maxEvents: count });
    results.push(await measure('Redis', store, count));
    await store.close();
    await client.close();
  } finally {
    server.kill('SIGKILL');
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' } } });
  await benchStores(Number(values.events));
}
