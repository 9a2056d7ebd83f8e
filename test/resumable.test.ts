import type { IncomingMessage, ServerResponse } from 'node:http';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fetchEventSource } from '../src/index.js';
import {
  eventStreamResponse,
  InvalidEventIdError,
  memoryStore,
  redisStore,
  StreamExistsError,
  StreamNotFoundError,
  type ResumableStreamStore,
  type ServerEvent,
} from '../src/server.js';
import { useServers } from './helpers/http-server.js';
import { redisMissing, startRedis } from './helpers/redis-server.js';

// One behaviour suite, run against every store: in memory, and in a real redis-server.
const serve = useServers();
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const clients: Array<{ close(): Promise<unknown> }> = [];
const closers: Array<() => Promise<void>> = [];

async function connectedClient() {
  const client = createClient({ url: redis!.url, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  if (!redisMissing) redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => {})));
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => {})));
  await redis?.stop();
});

let prefixes = 0;
type Make = (options?: {
  expireAfter?: number;
  maxEvents?: number;
  leaseTtl?: number;
}) => Promise<ResumableStreamStore>;
const stores: Array<[string, Make, string | undefined]> = [
  ['memory', async (options) => memoryStore(options), undefined],
  [
    'Redis',
    async (options) => {
      const store = redisStore(await connectedClient(), { prefix: `test${++prefixes}:`, ...options });
      closers.push(() => store.close());
      return store;
    },
    redisMissing,
  ],
];

/** `count` events "1"…"count", a `wait` ms pause before each, then the end. */
function tokens(count: number, wait = 0, seen?: { signal?: AbortSignal; finished?: boolean }) {
  return async function* (signal: AbortSignal): AsyncGenerator<ServerEvent> {
    if (seen) seen.signal = signal;
    try {
      for (let n = 1; n <= count; n++) {
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
        yield { data: String(n), event: 'token', id: 'ignored' };
      }
    } finally {
      if (seen) seen.finished = true;
    }
  };
}

async function collect(iterable: AsyncIterable<ServerEvent>, take = Infinity): Promise<ServerEvent[]> {
  const out: ServerEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length >= take) break;
  }
  return out;
}

describe.each(stores)('%s store', (name, make, skip) => {
  test.skipIf(skip)(
    `${skip ? `skipped: ${skip} — ` : ''}replays a finished stream under ids that name it, in order`,
    async () => {
      const store = await make();
      await store.start('answer-1', tokens(5));
      const read = await collect(await store.read('answer-1'));
      expect(read.map((e) => e.data)).toEqual(['1', '2', '3', '4', '5']);
      expect(read.every((e) => e.event === 'token' && e.id!.startsWith('answer-1:'))).toBe(true);
      expect(new Set(read.map((e) => e.id)).size).toBe(5);
    },
  );

  test.skipIf(skip)('resumes after a Last-Event-ID: exactly the events after it, also while live', async () => {
    const store = await make();
    await store.start('live', tokens(30, 5));
    const first = await collect(await store.read('live'), 10);
    const rest = await collect(await store.resume(first.at(-1)!.id!));
    expect([...first, ...rest].map((e) => e.data)).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
  });

  test.skipIf(skip)('unknown stream: StreamNotFoundError; malformed Last-Event-ID: InvalidEventIdError', async () => {
    const store = await make();
    await expect(store.read('nothing-here')).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(store.resume('no-colon')).rejects.toBeInstanceOf(InvalidEventIdError);
    await expect(store.resume('x:not a position')).rejects.toBeInstanceOf(InvalidEventIdError);
    await expect(store.resume('')).rejects.toBeInstanceOf(InvalidEventIdError);
    await expect(store.resume(name === 'memory' ? 'gone:3' : 'gone:1-0')).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(store.start('bad:id', tokens(1))).rejects.toThrow(TypeError);
  });

  test.skipIf(skip)('a Last-Event-ID past the end reads nothing more, not an error', async () => {
    const store = await make();
    await store.start('short', tokens(2));
    const all = await collect(await store.read('short'));
    const past = name === 'memory' ? 'short:99' : 'short:99999999999999-0';
    expect(await collect(await store.resume(past))).toEqual([]);
    expect(all).toHaveLength(2);
  });

  test.skipIf(skip)('runs the producer once: a second start of the same id is refused', async () => {
    const store = await make();
    await store.start('once', tokens(1));
    await expect(store.start('once', tokens(1))).rejects.toBeInstanceOf(StreamExistsError);
  });

  test.skipIf(skip)('stop() aborts the producer and ends every reader without an error', async () => {
    const store = await make();
    const seen: { signal?: AbortSignal; finished?: boolean } = {};
    await store.start('stoppable', tokens(10_000, 2, seen));
    const reading = collect(await store.read('stoppable'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.stop('stoppable');
    const read = await reading;
    expect(seen.signal?.aborted).toBe(true);
    expect(read.length).toBeLessThan(10_000);
    expect(read.every((e) => e.event === 'token')).toBe(true);
    await expect.poll(() => seen.finished).toBe(true);
  });

  test.skipIf(skip)('a producer that throws: what it stored, then one error event naming the error', async () => {
    const store = await make();
    await store.start('failing', async function* () {
      yield { data: 'before' };
      throw new RangeError('model overloaded');
    });
    const read = await collect(await store.read('failing'));
    expect(read.map((e) => e.data)[0]).toBe('before');
    expect(read[1]).toEqual({
      event: 'error',
      data: JSON.stringify({ error: 'RangeError', message: 'model overloaded' }),
    });
    expect(read).toHaveLength(2);
  });

  test.skipIf(skip)(
    'an event the client could not read (LF in its type) ends the stream with a TypeError event',
    async () => {
      const store = await make();
      await store.start('bad-event', async function* () {
        yield { data: 'ok' };
        yield { data: 'x', event: 'two\nlines' };
      });
      const read = await collect(await store.read('bad-event'));
      expect(read.at(-1)).toMatchObject({ event: 'error' });
      expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'TypeError' });
    },
  );

  test.skipIf(skip)('capped at maxEvents: the producer is stopped, the stream ends with StreamLimitError', async () => {
    const store = await make({ maxEvents: 5 });
    const seen: { signal?: AbortSignal } = {};
    await store.start('capped', tokens(100, 0, seen));
    const read = await collect(await store.read('capped'));
    expect(read.filter((e) => e.event === 'token')).toHaveLength(5);
    expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'StreamLimitError' });
    expect(seen.signal?.aborted).toBe(true);
  });

  test.skipIf(skip)('a finished stream expires after expireAfter', async () => {
    const store = await make({ expireAfter: 150 });
    await store.start('brief', tokens(1));
    await collect(await store.read('brief'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(store.read('brief')).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  test.skipIf(skip)("a reader's signal and return() end a read that is waiting for the next event", async () => {
    const store = await make();
    await store.start('waiting', tokens(2, 10_000));
    const controller = new AbortController();
    const reading = collect(await store.read('waiting', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect(await reading).toEqual([]);
    const iterator = await store.read('waiting');
    const next = iterator.next();
    await iterator.return!();
    expect(await next).toEqual({ value: undefined, done: true });
    await store.stop('waiting');
  });

  test.skipIf(skip)('end to end: a route resumes a dropped client by Last-Event-ID, every event once', async () => {
    const store = await make();
    const route = async (request: IncomingMessage, response: ServerResponse) => {
      const lastEventId = request.headers['last-event-id'] as string | undefined;
      if (!lastEventId) await store.start('e2e', tokens(40, 3));
      const events = lastEventId ? await store.resume(lastEventId) : await store.read('e2e');
      const web = eventStreamResponse(events, { heartbeat: 0 });
      response.writeHead(200, Object.fromEntries(web.headers));
      const reader = web.body!.getReader();
      let sent = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return void response.end();
        response.write(value);
        // The first connection is cut after 12 events.
        if (!lastEventId && ++sent === 12) return void (await reader.cancel(), request.socket.destroy());
      }
    };
    const { url } = await serve((request, response) => void route(request, response));
    const data: string[] = [];
    const lastEventIds: Array<string | null> = [];
    await fetchEventSource(url, {
      method: 'POST',
      body: '{}',
      headers: ({ lastEventId }) => (lastEventIds.push(lastEventId || null), {}),
      retry: { initialDelay: 10, jitter: 0 },
      onmessage: (message) => void data.push(message.data),
    });
    expect(data).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(lastEventIds).toHaveLength(2);
    expect(lastEventIds[1]).toMatch(/^e2e:/);
  });
});

describe.skipIf(redisMissing)('Redis store only', () => {
  test('a producer whose process dies: readers elsewhere get ProducerLostError within leaseTtl + leaseTtl/3', async () => {
    const producerClient = await connectedClient();
    const producing = redisStore(producerClient, { prefix: 'lost:', leaseTtl: 600 });
    const reading = redisStore(await connectedClient(), { prefix: 'lost:', leaseTtl: 600 });
    closers.push(() => reading.close());
    await producing.start('orphan', tokens(1000, 20));
    const iterator = await reading.read('orphan');
    const first = await iterator.next();
    expect(first.value?.event).toBe('token');
    // The producer's process dies: its connection is gone, so its lease is not renewed.
    producerClient.destroy();
    const died = performance.now();
    const rest = await collect(iterator);
    const took = performance.now() - died;
    const last = rest.at(-1)!;
    expect(JSON.parse(last.data)).toMatchObject({ error: 'ProducerLostError' });
    expect(took).toBeLessThan(600 + 200 + 1000);
    // What was stored before the death is still replayed, then the same end.
    const replay = await collect(await reading.read('orphan'));
    expect(replay.filter((e) => e.event === 'token').length).toBe(rest.filter((e) => e.event === 'token').length + 1);
    expect(JSON.parse(replay.at(-1)!.data)).toMatchObject({ error: 'ProducerLostError' });
  });

  test('Redis lost mid-stream: the producer is stopped and readers get an error event; at start: start rejects', async () => {
    const client = await connectedClient();
    const store = redisStore(client, { prefix: 'down:' });
    const seen: { signal?: AbortSignal } = {};
    await store.start('before', tokens(3, 50, seen));
    const iterator = await store.read('before');
    await iterator.next();
    client.destroy();
    const rest = await collect(iterator);
    expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ error: 'StoreError' });
    await expect.poll(() => seen.signal?.aborted).toBe(true);
    await expect(store.start('after', tokens(1))).rejects.toThrow();
  });
});
