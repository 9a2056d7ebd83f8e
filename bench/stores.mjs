// The resumable-stream stores of `fetch-eventsource/server`, on loopback: how many events per second
// one stream takes, and how long an appended event takes to reach a live reader (p50, p99), in
// memory and in a real redis-server (Debian's, on a free port, persistence off; skipped without it).
// Then the same redis-server against Vercel's `resumable-stream` (a devDependency), the two taking
// turns, so each figure is a ratio measured in one run (see `compare`).
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
    results.push(await compare(`redis://127.0.0.1:${port}`, createClient));
  } finally {
    server.kill('SIGKILL');
  }
  return results;
}

/**
 * fetch-eventsource's Redis store against `resumable-stream` 2 on the same redis-server, each side
 * with a producer on one instance (its own connections) and readers on another, taking turns for
 * `rounds` rounds (medians reported) after one more that warms both up (its figures, each side's
 * first in a fresh process, are reported apart as "cold": a server joins streams all day, so the
 * medians are what a reader meets, but a first join pays for the JIT on both sides):
 * - live: 20,000 events of 20 B produced as fast as the producer can, one reader joined at the start
 *   on the other instance; events per second until that reader has the last one;
 * - join: a reader joining a live stream after 10,000 events of 20 B; ms until it has them all;
 * - commands: Redis commands per reader per event, 200 live readers of 100 events 2 ms apart
 *   (`INFO stats` before and after).
 */
async function compare(url, createClient, rounds = 5) {
  const { createResumableStreamContext } = await import('resumable-stream/redis');
  const connected = async () => {
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const admin = await connected();
  const commandsSoFar = async () => Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))[1]);
  const chunk = (n) => String(n).padStart(20, '0');
  const readAll = async (stream, onChunk = () => {}) => {
    for await (const value of stream) onChunk(value);
  };
  let ids = 0;

  const ours = {
    name: 'fetch-eventsource',
    async setup() {
      this.producerClient = await connected();
      this.readerClient = await connected();
      this.producer = redisStore(this.producerClient, { prefix: 'cmp:' });
      this.reader = redisStore(this.readerClient, { prefix: 'cmp:' });
    },
    async live(count) {
      const id = `live-${++ids}`;
      await this.producer.start(id, async function* () {
        for (let n = 0; n < count; n++) yield { data: chunk(n) };
      });
      let read = 0;
      for await (const event of await this.reader.read(id)) if (event.data) read += 1;
      return read;
    },
    async liveUntil(count, release) {
      const id = `join-${++ids}`;
      await this.producer.start(id, async function* () {
        for (let n = 0; n < count; n++) yield { data: chunk(n) };
        await release;
      });
      return id;
    },
    async join(id, count) {
      let read = 0;
      const iterator = await this.reader.read(id);
      for await (const event of iterator) if (event.data && ++read === count) break;
      return read;
    },
    async fanOut(readers, count, gap) {
      const id = `fan-${++ids}`;
      let start;
      const started = new Promise((resolve) => (start = resolve));
      await this.producer.start(id, async function* () {
        await started;
        for (let n = 0; n < count; n++) {
          await new Promise((resolve) => setTimeout(resolve, gap));
          yield { data: chunk(n) };
        }
      });
      const reads = await Promise.all(Array.from({ length: readers }, () => this.reader.read(id)));
      const before = await commandsSoFar();
      start();
      await Promise.all(reads.map((iterator) => readAll(iterator)));
      return (await commandsSoFar()) - before;
    },
    async teardown() {
      await this.producer.close();
      await this.reader.close();
      await this.producerClient.close();
      await this.readerClient.close();
    },
  };

  const theirs = {
    name: 'resumable-stream',
    async setup() {
      this.clients = await Promise.all([connected(), connected(), connected(), connected()]);
      const [publisherA, subscriberA, publisherB, subscriberB] = this.clients;
      this.producer = createResumableStreamContext({ waitUntil: null, publisher: publisherA, subscriber: subscriberA });
      this.reader = createResumableStreamContext({ waitUntil: null, publisher: publisherB, subscriber: subscriberB });
    },
    async create(id, count, release) {
      const source = new ReadableStream({
        async start(controller) {
          for (let n = 0; n < count; n++) controller.enqueue(chunk(n));
          await release;
          controller.close();
        },
      });
      // The producing instance's own response: drained, as a client would.
      const first = await this.producer.createNewResumableStream(id, () => source);
      void readAll(first);
    },
    async live(count) {
      const id = `live-${++ids}`;
      let release;
      const released = new Promise((resolve) => (release = resolve));
      const source = new ReadableStream({
        async start(controller) {
          await released;
          for (let n = 0; n < count; n++) controller.enqueue(chunk(n));
          controller.close();
        },
      });
      const first = await this.producer.createNewResumableStream(id, () => source);
      void readAll(first);
      const resumed = await this.reader.resumeExistingStream(id);
      release();
      let characters = 0;
      await readAll(resumed, (value) => (characters += value.length));
      return characters / 20;
    },
    async liveUntil(count, release) {
      const id = `join-${++ids}`;
      await this.create(id, count, release);
      return id;
    },
    async join(id, count) {
      let characters = 0;
      const resumed = await this.reader.resumeExistingStream(id);
      const reader = resumed.getReader();
      while (characters < count * 20) characters += (await reader.read()).value.length;
      await reader.cancel();
      return characters / 20;
    },
    async fanOut(readers, count, gap) {
      const id = `fan-${++ids}`;
      let start;
      const started = new Promise((resolve) => (start = resolve));
      const source = new ReadableStream({
        async start(controller) {
          await started;
          for (let n = 0; n < count; n++) {
            await new Promise((resolve) => setTimeout(resolve, gap));
            controller.enqueue(chunk(n));
          }
          controller.close();
        },
      });
      const first = await this.producer.createNewResumableStream(id, () => source);
      void readAll(first);
      const resumed = await Promise.all(Array.from({ length: readers }, () => this.reader.resumeExistingStream(id)));
      const before = await commandsSoFar();
      start();
      await Promise.all(resumed.map((stream) => readAll(stream)));
      return (await commandsSoFar()) - before;
    },
    async teardown() {
      await Promise.all(this.clients.map((client) => client.close()));
    },
  };

  const figures = {
    [ours.name]: { live: [], join: [], commands: [] },
    [theirs.name]: { live: [], join: [], commands: [] },
  };
  const cold = {
    [ours.name]: { live: [], join: [], commands: [] },
    [theirs.name]: { live: [], join: [], commands: [] },
  };
  for (const side of [ours, theirs]) await side.setup();
  for (let round = 0; round <= rounds; round++) {
    for (const side of round % 2 ? [theirs, ours] : [ours, theirs]) {
      const mine = (round === 0 ? cold : figures)[side.name];
      let began = performance.now();
      const read = await side.live(20_000);
      if (read !== 20_000) throw new Error(`${side.name}: live read ${read} of 20,000`);
      mine.live.push(20_000 / ((performance.now() - began) / 1000));

      let release;
      const released = new Promise((resolve) => (release = resolve));
      const id = await side.liveUntil(10_000, released);
      await new Promise((resolve) => setTimeout(resolve, 300));
      began = performance.now();
      const joined = await side.join(id, 10_000);
      mine.join.push(performance.now() - began);
      release();
      if (joined !== 10_000) throw new Error(`${side.name}: join read ${joined} of 10,000`);

      mine.commands.push((await side.fanOut(200, 100, 2)) / (200 * 100));
    }
  }
  for (const side of [ours, theirs]) await side.teardown();
  await admin.close();

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const a = figures[ours.name];
  const b = figures[theirs.name];
  const result = {
    liveEventsPerSecond: { ours: Math.round(median(a.live)), theirs: Math.round(median(b.live)) },
    joinAfter10kMs: { ours: median(a.join), theirs: median(b.join) },
    commandsPerReaderPerEvent: { ours: median(a.commands), theirs: median(b.commands) },
    coldJoinAfter10kMs: { ours: cold[ours.name].join[0], theirs: cold[theirs.name].join[0] },
  };
  console.log(
    `\nagainst resumable-stream on the same redis-server (medians of ${rounds} alternating rounds after a warm-up)`,
  );
  console.log(
    `live, one reader on another instance  ${result.liveEventsPerSecond.ours.toLocaleString('en')} vs ${result.liveEventsPerSecond.theirs.toLocaleString('en')} events/s (×${(result.liveEventsPerSecond.ours / result.liveEventsPerSecond.theirs).toFixed(2)})`,
  );
  console.log(
    `a reader joining after 10,000 events  ${result.joinAfter10kMs.ours.toFixed(1)} vs ${result.joinAfter10kMs.theirs.toFixed(1)} ms (×${(result.joinAfter10kMs.theirs / result.joinAfter10kMs.ours).toFixed(2)} as fast)`,
  );
  console.log(
    `  the first join in the process (cold)  ${result.coldJoinAfter10kMs.ours.toFixed(1)} vs ${result.coldJoinAfter10kMs.theirs.toFixed(1)} ms`,
  );
  console.log(
    `Redis commands per reader per event   ${result.commandsPerReaderPerEvent.ours.toFixed(2)} vs ${result.commandsPerReaderPerEvent.theirs.toFixed(2)} (200 readers, 100 events)`,
  );
  return { store: 'Redis vs resumable-stream', ...result };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' } } });
  await benchStores(Number(values.events));
}
