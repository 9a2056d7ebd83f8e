// @ts-check
// Where the answers live: in memory on one instance, or in Redis (REDIS_URL), shared by every instance
// (`npm run demo:cluster`).
import { memoryStore, redisStore } from 'fetch-eventsource/server';

/**
 * The answers' store: in Redis when `redisUrl` is set, else in memory. An answer nobody reads for
 * `grace` ms, on any instance, is stopped (no paid tokens for nobody) and ends with an explicit
 * `StreamAbandonedError` event, so a later reader is told why it stops mid-sentence.
 * @param {string | undefined} redisUrl
 * @param {number} grace
 */
export async function openStore(redisUrl, grace) {
  if (!redisUrl) return { store: memoryStore({ abandonAfter: grace }), redis: undefined };
  const { createClient } = await import('redis');
  /** @type {import('redis').RedisClientType} */
  const client = createClient({ url: redisUrl });
  client.on('error', (error) => console.error(`Redis: ${error.message}`));
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  return { store: redisStore(client, { prefix: 'demo:', abandonAfter: grace }), redis: { client, subscriber } };
}
