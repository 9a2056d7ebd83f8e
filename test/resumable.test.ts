// The resumable stores: one behaviour suite (test/helpers/store-suite.ts) in memory and in a real
// redis-server through node-redis; then what only Redis can show. Every other client the peer ranges
// name runs the same suite, once, in test/system/redis-clients.test.ts.
import { describe, expect, test } from 'vitest';
import { InvalidEventIdError, memoryStore, redisStore, streamIdOf } from '../src/server.js';
import { clientKinds, closers, useRedisServer } from './helpers/redis-clients.js';
import { redisMissing } from './helpers/redis-server.js';
import { collect, storeSuite, tokens } from './helpers/store-suite.js';

const redis = useRedisServer();
const redisOn = redis.storeOn;

storeSuite([
  ['memory', async (options) => memoryStore(options), undefined],
  ['Redis (node-redis 6)', redisOn(clientKinds['node-redis 6']), redisMissing],
]);

test('streamIdOf names the stream a Last-Event-ID of these stores resumes, or throws InvalidEventIdError', () => {
  expect(streamIdOf('answer-7.b:1733-0')).toBe('answer-7.b');
  expect(streamIdOf('chat_1:12')).toBe('chat_1');
  expect(() => streamIdOf('no position')).toThrow(InvalidEventIdError);
});

describe.skipIf(redisMissing)('Redis store only', () => {
  test('a producer whose process dies: readers elsewhere get ProducerLostError within leaseTtl + leaseTtl/3', async () => {
    const producerClient = await clientKinds['node-redis 6'](redis.url);
    const producing = redisStore(producerClient, { prefix: 'lost:', leaseTtl: 600 });
    const reading = redisStore(await clientKinds['node-redis 6'](redis.url), { prefix: 'lost:', leaseTtl: 600 });
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
    const lastToken = [first.value!, ...rest].filter((event) => event.event === 'token').at(-1)!;
    expect(await reading.state('orphan')).toEqual({ state: 'lost', lastEventId: lastToken.id });
  });

  test('abandonAfter counts readers on every instance: one reading elsewhere keeps the producer going', async () => {
    const options = { prefix: 'watched:', abandonAfter: 150 };
    const producing = redisStore(await clientKinds['node-redis 6'](redis.url), options);
    const reading = redisStore(await clientKinds['node-redis 6'](redis.url), options);
    closers.push(
      () => producing.close(),
      () => reading.close(),
    );
    await producing.start('elsewhere', tokens(40, 10));
    const all = await collect(await reading.read('elsewhere'));
    expect(all).toHaveLength(40);
    expect(all.every((event) => event.event === 'token')).toBe(true);
  });

  test('state() says lost when the producer died and no reader has noticed yet', async () => {
    const producerClient = await clientKinds['node-redis 6'](redis.url);
    const producing = redisStore(producerClient, { prefix: 'unnoticed:', leaseTtl: 300 });
    const asking = redisStore(await clientKinds['node-redis 6'](redis.url), { prefix: 'unnoticed:', leaseTtl: 300 });
    await producing.start('orphan', tokens(1000, 20));
    expect((await asking.state('orphan')).state).toBe('active');
    producerClient.destroy();
    await expect.poll(() => asking.state('orphan').then((state) => state.state), { timeout: 2000 }).toBe('lost');
  });

  test('Redis lost mid-stream: the producer is stopped and readers get an error event; at start: start rejects', async () => {
    const client = await clientKinds['node-redis 6'](redis.url);
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
