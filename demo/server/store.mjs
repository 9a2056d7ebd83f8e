// @ts-check
// Where the answers live, and who is reading them: in memory on one instance, or in Redis (REDIS_URL),
// shared by every instance (`npm run demo:cluster`).
import { memoryStore, redisStore } from 'fetch-eventsource/server';

/**
 * The answers' store: in Redis when `redisUrl` is set, else in memory.
 * @param {string | undefined} redisUrl
 */
export async function openStore(redisUrl) {
  if (!redisUrl) return { store: memoryStore(), redis: undefined };
  const { createClient } = await import('redis');
  /** @type {import('redis').RedisClientType} */
  const client = createClient({ url: redisUrl });
  client.on('error', (error) => console.error(`Redis: ${error.message}`));
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  return { store: redisStore(client, { prefix: 'demo:' }), redis: { client, subscriber } };
}

/**
 * How many clients are reading each answer now, on every instance: in Redis when there is one (the
 * instance that generates an answer is seldom the one a reloaded page reads it from), else here.
 * @param {import('redis').RedisClientType | undefined} client
 * @returns {{ enter(id: string): Promise<void>, leave(id: string): Promise<void>, count(id: string): Promise<number> }}
 */
export function countReaders(client) {
  if (!client) {
    /** @type {Map<string, number>} */
    const counts = new Map();
    return {
      enter: async (id) => void counts.set(id, (counts.get(id) ?? 0) + 1),
      leave: async (id) => {
        const left = (counts.get(id) ?? 1) - 1;
        if (left > 0) counts.set(id, left);
        else counts.delete(id);
      },
      count: async (id) => counts.get(id) ?? 0,
    };
  }
  /** @param {string} id */
  const key = (id) => `demo:{${id}}:readers`;
  return {
    enter: async (id) => void (await client.multi().incr(key(id)).pExpire(key(id), 3_600_000).exec()),
    leave: async (id) => void (await client.decr(key(id)).catch(() => {})),
    count: async (id) => Number((await client.get(key(id)).catch(() => '1')) ?? 0),
  };
}
