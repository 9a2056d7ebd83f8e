// One `chatAnswers` per server process, on a store kept across `next dev` reloads (a module can be
// loaded again; globalThis is not): in memory by default, in Redis when REDIS_URL is set, so several
// instances behind a load balancer resume each other's answers.
import { chatAnswers } from 'fetch-eventsource/ai-sdk';
import { memoryStore, redisStore, type ResumableStreamStore } from 'fetch-eventsource/server';
import { createClient } from 'redis';

const kept = globalThis as typeof globalThis & { chatAnswers?: ReturnType<typeof chatAnswers> };

function makeStore(): ResumableStreamStore {
  // An answer nobody reads for 30 s (a tab closed mid-answer) stops its model.
  const options = { abandonAfter: 30_000 };
  const url = process.env.REDIS_URL;
  if (!url) return memoryStore(options);
  const client = createClient({ url });
  // Without a listener, one Redis restart would crash the process; the client reconnects by itself.
  client.on('error', (error: unknown) => console.error('Redis:', error));
  // Connected on first use, not at build time: `next build` runs without Redis.
  void client.connect();
  return redisStore(client, options);
}

/** Who is asking: the page's session cookie (a real app takes the user from its own session). */
function callerOf(request: Request): string {
  return /(?:^|;\s*)sid=([\w-]+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? '';
}

export function answers() {
  kept.chatAnswers ??= chatAnswers({ store: makeStore(), caller: callerOf });
  return kept.chatAnswers;
}
