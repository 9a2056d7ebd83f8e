// The resumable stores: one behaviour suite (test/helpers/store-suite.ts) against every store and
// every Redis client people use, on a real redis-server; then what only Redis can show.
import { Redis as IoRedis6 } from 'ioredis';
import { Redis as IoRedis5 } from 'ioredis5';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { memoryStore, redisStore, StoreError, type RedisClientLike } from '../src/server.js';
import { redisMissing, startRedis } from './helpers/redis-server.js';
import { collect, storeSuite, tokens, type MakeStore } from './helpers/store-suite.js';

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  if (!redisMissing) redis = await startRedis();
});
afterAll(async () => {
  // A client whose Redis is gone may never finish closing: each close gets a second.
  const second = () => new Promise((resolve) => setTimeout(resolve, 1000));
  for (const close of closers.splice(0).reverse()) await Promise.race([close().catch(() => {}), second()]);
  await redis?.stop();
});

/** A connected client of each library and major version the peer ranges name, on `url`. */
const clientKinds = {
  'node-redis 6': async (url: string, reconnect = false) => {
    const client = createClient6({ url, socket: { reconnectStrategy: reconnect ? 50 : false } });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.close());
    return client;
  },
  'node-redis 5': async (url: string, reconnect = false) => {
    const client = createClient5({ url, socket: { reconnectStrategy: reconnect ? 50 : false } });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.close());
    return client;
  },
  'node-redis 4': async (url: string, reconnect = false) => {
    const client = createClient4({ url, socket: { reconnectStrategy: reconnect ? () => 50 : false } });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.disconnect());
    return client;
  },
  'ioredis 6': async (url: string, reconnect = false) => {
    const client = new IoRedis6(url, { retryStrategy: () => (reconnect ? 50 : null), maxRetriesPerRequest: null });
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    return client;
  },
  'ioredis 5': async (url: string, reconnect = false) => {
    const client = new IoRedis5(url, { retryStrategy: () => (reconnect ? 50 : null), maxRetriesPerRequest: null });
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    return client;
  },
} satisfies Record<string, (url: string, reconnect?: boolean) => Promise<RedisClientLike>>;

let prefixes = 0;
const redisOn =
  (connect: (url: string) => Promise<RedisClientLike>): MakeStore =>
  async (options) => {
    const store = redisStore(await connect(redis!.url), { prefix: `test${++prefixes}:`, ...options });
    closers.push(() => store.close());
    return store;
  };

storeSuite([
  ['memory', async (options) => memoryStore(options), undefined],
  ...Object.entries(clientKinds).map(
    ([kind, connect]) => [`Redis (${kind})`, redisOn(connect), redisMissing] as [string, MakeStore, string | undefined],
  ),
]);

describe.skipIf(redisMissing)('Redis store only', () => {
  test('a producer whose process dies: readers elsewhere get ProducerLostError within leaseTtl + leaseTtl/3', async () => {
    const producerClient = await clientKinds['node-redis 6'](redis!.url);
    const producing = redisStore(producerClient, { prefix: 'lost:', leaseTtl: 600 });
    const reading = redisStore(await clientKinds['node-redis 6'](redis!.url), { prefix: 'lost:', leaseTtl: 600 });
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
    const client = await clientKinds['node-redis 6'](redis!.url);
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

describe.skipIf(redisMissing)('Redis failure paths, on every client', () => {
  const kinds = Object.keys(clientKinds) as Array<keyof typeof clientKinds>;

  test.each(kinds)(
    '%s: Redis down (the client queues commands): start() rejects with StoreError within commandTimeout, a live reader ends with a StoreError event',
    async (kind) => {
      const own = await startRedis();
      const store = redisStore(await clientKinds[kind](own.url, true), { prefix: 'outage:', commandTimeout: 300 });
      closers.push(() => store.close());
      await store.start('live', tokens(1000, 20));
      const iterator = await store.read('live');
      await iterator.next();
      await own.stop();
      const began = performance.now();
      await expect(store.start('during', tokens(1))).rejects.toBeInstanceOf(StoreError);
      expect(performance.now() - began).toBeLessThan(300 + 700);
      const rest = await collect(iterator);
      expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ error: 'StoreError' });
    },
  );

  test.each(kinds)('%s: a Redis restart mid-stream leaves no key without an expiry', async (kind) => {
    const own = await startRedis();
    const store = redisStore(await clientKinds[kind](own.url, true), { prefix: 'restart:', leaseTtl: 600 });
    closers.push(() => store.close());
    const seen: { signal?: AbortSignal } = {};
    await store.start('answer', tokens(400, 5, seen));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await own.stop();
    // Appends queue in the client meanwhile; then a fresh, empty Redis on the same port.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await startRedis(own.port);
    closers.push(() => again.stop());
    await expect.poll(() => seen.signal?.aborted, { timeout: 5000 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const inspect = await clientKinds['node-redis 6'](again.url);
    const ttls = await Promise.all((await inspect.keys('*')).map(async (key) => [key, await inspect.pTTL(key)]));
    expect(ttls.filter(([, ttl]) => ttl === -1)).toEqual([]);
  });

  test("a dead producer's events outlive the notice of its death: a late reader gets them, then ProducerLostError", async () => {
    const producerClient = await clientKinds['node-redis 6'](redis!.url);
    const options = { prefix: 'late:', leaseTtl: 900, expireAfter: 500 };
    const producing = redisStore(producerClient, options);
    await producing.start('orphan', tokens(1000, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    producerClient.destroy();
    // Past expireAfter since the producer's last renewal, before anyone noticed its death.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const reading = redisStore(await clientKinds['node-redis 6'](redis!.url), options);
    closers.push(() => reading.close());
    const read = await collect(await reading.read('orphan'));
    expect(read.filter((event) => event.event === 'token').length).toBeGreaterThan(0);
    expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'ProducerLostError' });
  });

  test('redisStore refuses what is no Redis client, naming what it takes', () => {
    expect(() => redisStore({} as RedisClientLike)).toThrow(
      /node-redis client or cluster \(createClient, createCluster\) or an ioredis Redis or Redis.Cluster/,
    );
  });
});
