// fetch-eventsource/tanstack-ai with the real TanStack AI packages: @tanstack/ai-client's ChatClient
// in Node on `fetchEventSourceConnection`, against @tanstack/ai's own response helpers on a real
// node:http server, their durability being `storeDurability` on a memory store and on a real
// redis-server. A canned run of 150 text deltas.
import { EventType, resumeServerSentEventsResponse, toServerSentEventsResponse, type StreamChunk } from '@tanstack/ai';
import { ChatClient } from '@tanstack/ai-client';
import { describe, expect, test } from 'vitest';
import { memoryStore, redisStore, type ResumableStreamStore } from '../src/server.js';
import { fetchEventSourceConnection, storeDurability } from '../src/tanstack-ai.js';
import { cutAfter, fetchHandler } from './helpers/fetch-server.js';
import { useServers } from './helpers/http-server.js';
import { clientKinds, closers, useRedisServer } from './helpers/redis-clients.js';
import { redisMissing } from './helpers/redis-server.js';

const serve = useServers();
const redis = useRedisServer();
const DELTAS = Array.from({ length: 150 }, (_, n) => `t${n} `);
const WHOLE = DELTAS.join('');

/** A canned run: started, one text message of DELTAS `gap` ms apart, finished. */
async function* cannedRun(threadId: string, runId: string, gap = 1): AsyncGenerator<StreamChunk> {
  const timestamp = Date.now();
  yield { type: 'RUN_STARTED', threadId, runId, timestamp } as StreamChunk;
  yield { type: 'TEXT_MESSAGE_START', messageId: `m-${runId}`, role: 'assistant', timestamp } as StreamChunk;
  for (const delta of DELTAS) {
    await new Promise((resolve) => setTimeout(resolve, gap));
    yield { type: 'TEXT_MESSAGE_CONTENT', messageId: `m-${runId}`, delta, timestamp } as StreamChunk;
  }
  yield { type: 'TEXT_MESSAGE_END', messageId: `m-${runId}`, timestamp } as StreamChunk;
  yield { type: 'RUN_FINISHED', threadId, runId, finishReason: 'stop', timestamp } as StreamChunk;
}

/** The app: TanStack's response helpers with `storeDurability`; counts the runs it produced. */
async function app(store: ResumableStreamStore) {
  const seen = {
    runs: 0,
    runIds: [] as string[],
    requests: [] as Array<{ method: string; lastEventId: string | null }>,
  };
  const { url } = await serve(
    fetchHandler(async (request) => {
      seen.requests.push({ method: request.method, lastEventId: request.headers.get('last-event-id') });
      if (request.headers.get('authorization') === 'Bearer expired') return new Response('no', { status: 401 });
      const durability = storeDurability(store, request);
      if (request.method === 'GET') return resumeServerSentEventsResponse({ adapter: durability });
      const input = (await request.json()) as { threadId: string; runId: string };
      seen.runIds.push(input.runId);
      // A reconnect (Last-Event-ID) is served from the log: TanStack never iterates the producer then.
      const run = cannedRun(input.threadId, input.runId);
      return toServerSentEventsResponse(
        (async function* () {
          seen.runs += 1;
          yield* run;
        })(),
        { durability: { adapter: durability } },
      );
    }),
  );
  return { url: `${url}/api/chat`, seen };
}

/** A fetch whose first POST's body fails after `events` events, as a dropped connection does. */
function cutFirstPost(events: number): typeof fetch {
  let cut = false;
  return async (input, init) => {
    const response = await fetch(input, init);
    if (init?.method !== 'POST' || cut) return response;
    cut = true;
    return new Response(cutAfter(response.body!, events), response);
  };
}

const text = (client: ChatClient) =>
  client
    .getMessages()
    .filter((message) => message.role === 'assistant')
    .map((message) => message.parts.map((part) => (part.type === 'text' ? part.content : '')).join(''));

describe.each([
  ['memory', async () => memoryStore(), undefined],
  [
    'Redis',
    async () => {
      const store = redisStore(await clientKinds['node-redis 6'](redis.url), { prefix: 'tanstack:' });
      closers.push(() => store.close());
      return store;
    },
    redisMissing,
  ],
] as const)('TanStack AI on a %s store', (_name, makeStore, skip) => {
  test.skipIf(skip)('a run whose connection drops mid-run: healed, the whole answer once, one run', async () => {
    const { url, seen } = await app(await makeStore());
    const reconnects: number[] = [];
    const client = new ChatClient({
      connection: fetchEventSourceConnection(url, {
        fetch: cutFirstPost(40),
        onReconnect: (info) => reconnects.push(info.delay),
      }),
    });
    await client.sendMessage('hi');
    expect(client.getError()).toBeUndefined();
    expect(text(client)).toEqual([WHOLE]);
    // The model ran once: the reconnect was served from the store, after the last offset.
    expect(seen.runs).toBe(1);
    expect(seen.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(seen.requests[1]!.lastEventId).toMatch(/:\d+$/);
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]).toBeLessThan(250);
  });

  test.skipIf(skip)('a POST cut before its first event joins the run it started: the model runs once', async () => {
    const { url, seen } = await app(await makeStore());
    const client = new ChatClient({ connection: fetchEventSourceConnection(url, { fetch: cutFirstPost(0) }) });
    await client.sendMessage('hi');
    expect(client.getError()).toBeUndefined();
    expect(text(client)).toEqual([WHOLE]);
    expect(seen.runs).toBe(1);
    expect(seen.requests).toEqual([
      { method: 'POST', lastEventId: null },
      { method: 'POST', lastEventId: '-1' },
    ]);
  });

  test.skipIf(skip)('joinRun replays a run from its start, from the store', async () => {
    const { url, seen } = await app(await makeStore());
    const client = new ChatClient({ connection: fetchEventSourceConnection(url) });
    await client.sendMessage('hi');
    const chunks: StreamChunk[] = [];
    for await (const chunk of fetchEventSourceConnection(url).joinRun(seen.runIds[0]!)) chunks.push(chunk);
    const deltas = chunks.filter((chunk) => chunk.type === EventType.TEXT_MESSAGE_CONTENT) as Array<{ delta: string }>;
    expect(deltas.map((chunk) => chunk.delta).join('')).toBe(WHOLE);
    expect(chunks.at(-1)?.type).toBe(EventType.RUN_FINISHED);
    expect(seen.runs).toBe(1);
  });
});

test("a 401 fails the run after one request, with the typed error's message", async () => {
  const { url, seen } = await app(memoryStore());
  const client = new ChatClient({
    connection: fetchEventSourceConnection(url, { headers: { authorization: 'Bearer expired' } }),
  });
  await client.sendMessage('hi');
  // TanStack's chat keeps a failure's message only: the library's, not "Stream response body read failed".
  expect(client.getError()?.message).toBe(`401 Unauthorized from POST ${url}`);
  expect(seen.requests).toHaveLength(1);
});

test('storeDurability: offsets name their run, snapshot returns what is stored without waiting', async () => {
  const store = memoryStore();
  const producer = storeDurability(store, { runId: 'run-1' });
  const offsets = await producer.append([
    { type: 'RUN_STARTED', threadId: 't', runId: 'run-1', timestamp: 1 } as StreamChunk,
    { type: 'TEXT_MESSAGE_START', messageId: 'm', role: 'assistant', timestamp: 1 } as StreamChunk,
  ]);
  expect(offsets).toHaveLength(2);
  expect(offsets.every((offset) => offset.startsWith('run-1:'))).toBe(true);
  // Still open: snapshot returns at once with what is there.
  expect((await producer.snapshot()).map((entry) => entry.offset)).toEqual(offsets);
  expect(await storeDurability(store, { runId: 'nothing' }).snapshot()).toEqual([]);
  // A consumer named by an offset reads its run after it.
  const consumer = storeDurability(store, { runId: 'ignored', offset: offsets[0]! });
  expect(consumer.resumeFrom()).toBe(offsets[0]);
  await producer.close();
  const after: string[] = [];
  for await (const entry of consumer.read(offsets[0]!)) after.push(entry.chunk.type);
  expect(after).toEqual(['TEXT_MESSAGE_START']);
  // An unknown run fails loudly, after the short wait a join from the start allows.
  await expect(
    (async () => {
      for await (const entry of storeDurability(store, { runId: 'never' }).read('never:3')) void entry;
    })(),
  ).rejects.toThrow();
});
