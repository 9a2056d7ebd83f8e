// The Redis store through every client the peer ranges name (node-redis 4, 5, 6; ioredis 5, 6) on a
// real redis-server: the store suite, and the failure paths (Redis down, Redis restarted, a producer
// dead before anyone noticed), each shown to fail without its fix. Once per `npm test`.
import { describe, expect, test } from 'vitest';
import { redisStore, StoreError, type RedisClientLike } from '../../src/server.js';
import { clientKinds, closers, useRedisServer } from '../helpers/redis-clients.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';
import { collect, storeSuite, tokens, type MakeStore } from '../helpers/store-suite.js';

const redis = useRedisServer();
const redisOn = redis.storeOn;

storeSuite(
  Object.entries(clientKinds)
    .filter(([kind]) => kind !== 'node-redis 6')
    .map(
      ([kind, connect]) =>
        [`Redis (${kind})`, redisOn(connect), redisMissing] as [string, MakeStore, string | undefined],
    ),
);

describe.skipIf(redisMissing)('Redis failure paths, on every client', () => {
  const kinds = Object.keys(clientKinds) as Array<keyof typeof clientKinds>;

  test.each(kinds)(
    '%s: Redis down (the client queues commands): start() rejects with StoreError within commandTimeout, a live reader ends with a StoreError event',
    async (kind) => {
      const own = await startRedis();
      // Stopped by the test; if it fails before that, here.
      closers.push(() => own.stop());
      // 1 s: a first connection on a loaded machine can take a few hundred ms.
      const store = redisStore(await clientKinds[kind](own.url, true), { prefix: 'outage:', commandTimeout: 1000 });
      closers.push(() => store.close());
      await store.start('live', tokens(1000, 20));
      const iterator = await store.read('live');
      await iterator.next();
      await own.stop();
      const began = performance.now();
      await expect(store.start('during', tokens(1))).rejects.toBeInstanceOf(StoreError);
      expect(performance.now() - began).toBeLessThan(1000 + 700);
      const rest = await collect(iterator);
      expect(JSON.parse(rest.at(-1)!.data)).toMatchObject({ error: 'StoreError' });
    },
  );

  test.each(kinds)(
    '%s: a reader whose subscription fails while Redis is down ends with a StoreError; once Redis is back, new readers are woken again',
    async (kind) => {
      const own = await startRedis();
      // Stopped by the test; if it fails before that, here.
      closers.push(() => own.stop());
      // A 9 s lease: a reader that is not woken catches up only on its 3 s clock.
      // 1 s: a first connection (and a reconnected one) on a loaded machine can take a few hundred ms.
      const options = { prefix: 'resubscribe:', commandTimeout: 1000, leaseTtl: 9000 };
      const producing = redisStore(await clientKinds[kind](own.url, true), options);
      const reading = redisStore(await clientKinds[kind](own.url, true), options);
      closers.push(
        () => producing.close(),
        () => reading.close(),
      );
      await producing.start('answer', tokens(1000, 20));
      // Read while Redis is up; the reader subscribes at its first next(), once Redis is down.
      const iterator = await reading.read('answer');
      await own.stop();
      const cut = await collect(iterator);
      expect(JSON.parse(cut.at(-1)!.data)).toMatchObject({ error: 'StoreError' });
      const again = await startRedis(own.port);
      closers.push(() => again.stop());
      // The same id in the fresh Redis (the old one went with it), on the same channel.
      await expect.poll(() => producing.start('answer', tokens(10, 30)).then(() => true), { timeout: 5000 }).toBe(true);
      const began = performance.now();
      const read = await collect(await reading.read('answer'));
      expect(read.map((event) => event.data)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      // Woken by each notice: well within one turn of the 3 s clock.
      expect(performance.now() - began).toBeLessThan(2000);
    },
  );

  test.each(kinds)('%s: a Redis restart mid-stream leaves no key without an expiry', async (kind) => {
    const own = await startRedis();
    // Stopped by the test; if it fails before that, here.
    closers.push(() => own.stop());
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

  test("a stream id started again in a wiped Redis gets none of the old producer's appends; the old producer is stopped", async () => {
    const options = { prefix: 'wiped:' };
    const old = redisStore(await clientKinds['node-redis 6'](redis.url), options);
    const fresh = redisStore(await clientKinds['ioredis 6'](redis.url), options);
    closers.push(
      () => old.close(),
      () => fresh.close(),
    );
    const seen: { signal?: AbortSignal } = {};
    await old.start('answer', tokens(1000, 10, seen));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // What a restart of a Redis without persistence leaves: nothing.
    const admin = await clientKinds['node-redis 6'](redis.url);
    await admin.flushAll();
    await fresh.start('answer', tokens(5, 30));
    const read = await collect(await fresh.read('answer'));
    expect(read.map((event) => event.data)).toEqual(['1', '2', '3', '4', '5']);
    expect(seen.signal?.aborted).toBe(true);
  });

  test("a dead producer's events outlive the notice of its death: a late reader gets them, then ProducerLostError", async () => {
    const producerClient = await clientKinds['node-redis 6'](redis.url);
    const options = { prefix: 'late:', leaseTtl: 900, expireAfter: 500 };
    const producing = redisStore(producerClient, options);
    await producing.start('orphan', tokens(1000, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    producerClient.destroy();
    // Past expireAfter since the producer's last renewal, before anyone noticed its death.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const reading = redisStore(await clientKinds['node-redis 6'](redis.url), options);
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
