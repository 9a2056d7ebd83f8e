// The Redis store on a real Redis Cluster (3 primaries, 3 replicas, started by the test), through
// node-redis's createCluster and ioredis's Redis.Cluster: the store suite, a stream produced through
// one client and resumed through the other, streams over every primary, and a failover.
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import { createCluster as createCluster4 } from 'redis4';
import { createCluster as createCluster5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { redisStore, type RedisClientLike } from '../../src/server.js';
import { startCluster } from '../helpers/redis-cluster.js';
import { redisMissing } from '../helpers/redis-server.js';
import { collect, storeSuite, tokens, type MakeStore } from '../helpers/store-suite.js';

let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  if (!redisMissing) cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  const second = () => new Promise((resolve) => setTimeout(resolve, 1000));
  for (const close of closers.splice(0).reverse()) await Promise.race([close().catch(() => {}), second()]);
  await cluster?.stop();
});

const clients = {
  'node-redis createCluster': async () => {
    const client = createCluster({ rootNodes: cluster!.addresses.map((address) => ({ url: `redis://${address}` })) });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.close());
    return client;
  },
  'ioredis Redis.Cluster (shardedSubscribers)': async () => {
    const client = new IoCluster(
      cluster!.addresses.map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) })),
      { shardedSubscribers: true },
    );
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    return client;
  },
  'ioredis Redis.Cluster': async () => {
    const client = new IoCluster(
      cluster!.addresses.map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) })),
    );
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    return client;
  },
} satisfies Record<string, () => Promise<RedisClientLike>>;

let prefixes = 0;
const storeOn =
  (connect: () => Promise<RedisClientLike>, prefix = `cluster${++prefixes}:`): MakeStore =>
  async (options) => {
    const store = redisStore(await connect(), { prefix, ...options });
    closers.push(() => store.close());
    return store;
  };

// The whole suite through node-redis and through ioredis with sharded pub/sub; ioredis without it
// (plain pub/sub, carried by the cluster bus) is woken below like the others.
storeSuite(
  (['node-redis createCluster', 'ioredis Redis.Cluster (shardedSubscribers)'] as const).map(
    (kind) =>
      [`Redis Cluster (${kind})`, storeOn(clients[kind]), redisMissing] as [string, MakeStore, string | undefined],
  ),
);

describe.skipIf(redisMissing)('on a Redis Cluster', () => {
  // (Each made by its own version's createCluster: their option types differ.)
  const olderClusters = {
    'node-redis 4': async () => {
      const client = createCluster4({
        rootNodes: cluster!.addresses.map((address) => ({ url: `redis://${address}` })),
      });
      client.on('error', () => {});
      await client.connect();
      closers.push(() => client.disconnect());
      return client;
    },
    'node-redis 5': async () => {
      const client = createCluster5({
        rootNodes: cluster!.addresses.map((address) => ({ url: `redis://${address}` })),
      });
      client.on('error', () => {});
      await client.connect();
      closers.push(() => client.close());
      return client;
    },
  } satisfies Record<string, () => Promise<RedisClientLike>>;

  test.each(Object.keys(olderClusters) as Array<keyof typeof olderClusters>)(
    '%s createCluster: a live stream produced, resumed by its last id, and its state',
    async (kind) => {
      const store = await storeOn(olderClusters[kind])();
      await store.start('older', tokens(50, 2));
      const first = await collect(await store.read('older'), 20);
      const rest = await collect(await store.resume(first.at(-1)!.id!));
      expect([...first, ...rest].map((event) => event.data)).toEqual(
        Array.from({ length: 50 }, (_, i) => String(i + 1)),
      );
      expect(await store.state('older')).toEqual({ state: 'done', lastEventId: rest.at(-1)!.id });
    },
  );

  test.each(Object.keys(clients) as Array<keyof typeof clients>)(
    '%s: a live reader is woken by pub/sub, not by its clock',
    async (kind) => {
      // The reader's own clock (a third of the lease) would wake it every 20 s.
      const store = await storeOn(clients[kind])({ leaseTtl: 60_000 });
      await store.start('woken', tokens(20, 20));
      const began = performance.now();
      const read = await collect(await store.read('woken'));
      expect(read).toHaveLength(20);
      expect(performance.now() - began).toBeLessThan(5000);
    },
  );

  test('produced through node-redis, resumed by its last id through ioredis on another connection: every event once', async () => {
    const producing = await storeOn(clients['node-redis createCluster'], 'across:')();
    const resuming = await storeOn(clients['ioredis Redis.Cluster (shardedSubscribers)'], 'across:')();
    await producing.start('handoff', tokens(200, 2));
    const first = await collect(await producing.read('handoff'), 70);
    const rest = await collect(await resuming.resume(first.at(-1)!.id!));
    expect([...first, ...rest].map((event) => event.data)).toEqual(
      Array.from({ length: 200 }, (_, i) => String(i + 1)),
    );
  });

  test('streams spread over every primary, each read whole', async () => {
    const store = await storeOn(clients['node-redis createCluster'], 'spread:')();
    const ids = Array.from({ length: 24 }, (_, n) => `spread-${n}`);
    await Promise.all(ids.map((id) => store.start(id, tokens(5))));
    const reads = await Promise.all(ids.map(async (id) => collect(await store.read(id))));
    expect(reads.every((read) => read.map((event) => event.data).join() === '1,2,3,4,5')).toBe(true);
    const primaries = new Set(await Promise.all(ids.map((id) => cluster!.primaryOf(`spread:{${id}}:events`))));
    expect(primaries.size).toBe(3);
  });

  test('a failover: the primary of a live stream is killed; its reader ends with an error or goes on, never hangs; then new streams work on every slot', async () => {
    const store = await storeOn(clients['node-redis createCluster'], 'failover:')();
    const fresh = await storeOn(clients['ioredis Redis.Cluster (shardedSubscribers)'], 'failover:')();
    await store.start('victim', tokens(2000, 5));
    const iterator = await store.read('victim');
    await iterator.next();
    const primary = await cluster!.primaryOf('failover:{victim}:events');
    await primary.kill();
    const killed = performance.now();
    const rest = await collect(iterator);
    const took = performance.now() - killed;
    const last = rest.at(-1);
    // Either the stream's end (the replica took over in time) or one error event naming why.
    if (last?.event === 'error') expect(JSON.parse(last.data).error).toMatch(/StoreError|ProducerLostError/);
    else expect(last?.data).toBe('2000');
    expect(took).toBeLessThan(20_000);
    console.info(
      `failover: the reader ended after ${Math.round(took)} ms with ${last?.event === 'error' ? last.data : 'the whole stream'}`,
    );
    await cluster!.healthy();
    const ids = Array.from({ length: 24 }, (_, n) => `after-${n}`);
    await Promise.all(ids.map((id) => fresh.start(id, tokens(5))));
    const reads = await Promise.all(ids.map(async (id) => collect(await fresh.read(id))));
    expect(reads.map((read) => read.map((event) => event.data).join())).toEqual(ids.map(() => '1,2,3,4,5'));
  }, 60_000);
});
