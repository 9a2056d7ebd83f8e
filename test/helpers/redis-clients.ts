// The Redis clients the peer ranges name, each connected to a URL; what they opened is closed
// through `closers`, which the test file runs after its tests.
import { Redis as IoRedis6 } from 'ioredis';
import { Redis as IoRedis5 } from 'ioredis5';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll } from 'vitest';
import { redisStore, type RedisClientLike } from '../../src/server.js';
import { redisMissing, startRedis } from './redis-server.js';
import type { MakeStore } from './store-suite.js';

export const closers: Array<() => Promise<unknown>> = [];

/** Runs every closer, newest first; one whose Redis is gone may never finish, so each gets a second. */
export async function closeAll(): Promise<void> {
  const second = () => new Promise((resolve) => setTimeout(resolve, 1000));
  for (const close of closers.splice(0).reverse()) await Promise.race([close().catch(() => {}), second()]);
}

/** A connected client of each library and major version the peer ranges name, on `url`. */
export const clientKinds = {
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

/**
 * A real redis-server for the tests of one file (started before them, stopped after them, with
 * every client and store they opened), and `storeOn(connect)`: a store on it through that client,
 * under a prefix of its own.
 */
export function useRedisServer() {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  beforeAll(async () => {
    if (!redisMissing) redis = await startRedis();
  });
  afterAll(async () => {
    await closeAll();
    await redis?.stop();
  });
  let prefixes = 0;
  return {
    get url() {
      return redis!.url;
    },
    storeOn:
      (connect: (url: string) => Promise<RedisClientLike>): MakeStore =>
      async (options) => {
        const store = redisStore(await connect(redis!.url), { prefix: `test${++prefixes}:`, ...options });
        closers.push(() => store.close());
        return store;
      },
  };
}
