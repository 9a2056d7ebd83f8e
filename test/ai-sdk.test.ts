// fetch-eventsource/ai-sdk with the real AI SDK: the `Chat` class `useChat` builds (@ai-sdk/react),
// driven in Node against the route helpers on a real node:http server, a canned model answering 200
// text deltas. The same cut is run through the AI SDK's own DefaultChatTransport as the contrast.
import { Chat } from '@ai-sdk/react';
import { createUIMessageStream, DefaultChatTransport, type UIMessage } from 'ai';
import { describe, expect, test } from 'vitest';
import { chatAnswers, FetchEventSourceChatTransport } from '../src/ai-sdk.js';
import { HttpError, NotResumableError, type RetryInfo } from '../src/index.js';
import { eventStreamResponse, memoryStore, redisStore, type ResumableStreamStore } from '../src/server.js';
import { fetchHandler, type Cut } from './helpers/fetch-server.js';
import { useServers } from './helpers/http-server.js';
import { clientKinds, closers, useRedisServer } from './helpers/redis-clients.js';
import { redisMissing } from './helpers/redis-server.js';

const serve = useServers();
const redis = useRedisServer();
const DELTAS = Array.from({ length: 200 }, (_, n) => `w${n} `);
const WHOLE = DELTAS.join('');

/** The canned model: start, 200 text deltas `gap` ms apart, finish; stops when `signal` aborts. */
function cannedAnswer(signal: AbortSignal, gap = 1) {
  return createUIMessageStream({
    execute: async ({ writer }) => {
      writer.write({ type: 'start' });
      writer.write({ type: 'text-start', id: 't' });
      for (const delta of DELTAS) {
        if (signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, gap));
        writer.write({ type: 'text-delta', id: 't', delta });
      }
      writer.write({ type: 'text-end', id: 't' });
      writer.write({ type: 'finish' });
    },
  });
}

interface App {
  url: string;
  api: string;
  requests: Array<{ method: string; path: string; lastEventId: string | null }>;
  store: ResumableStreamStore;
}

/** The app's routes, as a Next.js app would write them with the helpers; `cut` drops responses. */
async function app(cut: Cut = () => undefined, store: ResumableStreamStore = memoryStore()): Promise<App> {
  const answers = chatAnswers({ store, caller: (request) => request.headers.get('authorization') ?? '' });
  const requests: App['requests'] = [];
  const { url } = await serve(
    fetchHandler(async (request) => {
      const { pathname } = new URL(request.url);
      requests.push({ method: request.method, path: pathname, lastEventId: request.headers.get('last-event-id') });
      if (request.headers.get('authorization') !== 'Bearer good') return new Response('who are you?', { status: 401 });
      if (request.method === 'POST' && pathname === '/api/chat') {
        const { id } = (await request.json()) as { id: string; messages: UIMessage[] };
        return answers.respond(request, id, (signal) => cannedAnswer(signal));
      }
      const chatId = /^\/api\/chat\/([^/]+)\/stream$/.exec(pathname)?.[1];
      if (chatId && request.method === 'GET') return answers.resume(request, chatId);
      if (chatId && request.method === 'DELETE') return answers.stop(request, chatId);
      return new Response(null, { status: 404 });
    }, cut),
  );
  return { url, api: `${url}/api/chat`, requests, store };
}

const text = (chat: Chat<UIMessage>) =>
  chat.messages
    .filter((message) => message.role === 'assistant')
    .map((message) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''));

function onceCut(after: number): Cut {
  let done = false;
  return (request) => {
    if (request.method !== 'POST' || done) return undefined;
    done = true;
    return after;
  };
}

const headers = { authorization: 'Bearer good' };

describe('FetchEventSourceChatTransport with the AI SDK Chat', () => {
  test('where nothing fails, the answer arrives whole, as with DefaultChatTransport', async () => {
    const { api } = await app();
    for (const transport of [
      new FetchEventSourceChatTransport({ api, headers }),
      new DefaultChatTransport({ api, headers }),
    ]) {
      const chat = new Chat<UIMessage>({ transport });
      await chat.sendMessage({ text: 'hi' });
      expect(chat.status).toBe('ready');
      expect(text(chat)).toEqual([WHOLE]);
    }
  });

  test('a cut after 80 of 200 deltas: healed inside the stream, exact text, no error, one answer, no second POST', async () => {
    const { api, requests } = await app(onceCut(80));
    const reconnects: RetryInfo[] = [];
    const chat = new Chat<UIMessage>({
      transport: new FetchEventSourceChatTransport({ api, headers, onReconnect: (info) => reconnects.push(info) }),
    });
    const statuses: string[] = [];
    const sending = chat.sendMessage({ text: 'hi' });
    const watch = setInterval(() => statuses.push(chat.status), 1);
    await sending;
    clearInterval(watch);
    expect(chat.error).toBeUndefined();
    expect(statuses).not.toContain('error');
    expect(chat.status).toBe('ready');
    expect(text(chat)).toEqual([WHOLE]);
    expect(chat.messages).toHaveLength(2);
    // One POST, then the resume route with the last id the chat had.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/chat', `GET /api/chat/${chat.id}/stream`]);
    expect(requests[1]!.lastEventId).toMatch(new RegExp(`^${chat.id}\\.`));
    // The UI was told, and the stall was short: the first reconnect after progress within 250 ms.
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]!.delay).toBeLessThan(250);
  });

  test('prepareSendMessagesRequest and prepareReconnectToStreamRequest shape the POST and the resume, as in the AI SDK', async () => {
    const { api } = await app(onceCut(80));
    const sent: Array<{ url: string; method: string; body?: unknown; authorization: string | null }> = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      sent.push({
        url: request.url,
        method: request.method,
        authorization: request.headers.get('authorization'),
        ...(request.method === 'POST' ? { body: await request.clone().json() } : {}),
      });
      return fetch(request);
    };
    const chat = new Chat<UIMessage>({
      transport: new FetchEventSourceChatTransport({
        api,
        fetch: recording,
        body: { fromTransport: 1 },
        prepareSendMessagesRequest: ({ id, messages, body }) => ({
          body: { id, messages: messages.slice(-1), prepared: true, ...body },
          headers: headers,
        }),
        prepareReconnectToStreamRequest: ({ id }) => ({ api: `${api}/${id}/stream?via=prepare`, headers }),
      }),
    });
    await chat.sendMessage({ text: 'hi' }, { body: { fromCall: 2 } });
    expect(chat.status).toBe('ready');
    expect(text(chat)).toEqual([WHOLE]);
    expect(sent.map((r) => [r.method, r.authorization])).toEqual([
      ['POST', 'Bearer good'],
      ['GET', 'Bearer good'],
    ]);
    expect(sent[0]!.body).toMatchObject({ id: chat.id, prepared: true, fromTransport: 1, fromCall: 2 });
    expect(sent[1]!.url).toBe(`${api}/${chat.id}/stream?via=prepare`);
  });

  test('the contrast: DefaultChatTransport through the same cut ends in error with the answer cut', async () => {
    const { api } = await app(onceCut(80));
    const chat = new Chat<UIMessage>({ transport: new DefaultChatTransport({ api, headers }) });
    await chat.sendMessage({ text: 'hi' });
    expect(chat.status).toBe('error');
    const [cut] = text(chat);
    expect(cut!.length).toBeLessThan(WHOLE.length);
    expect(WHOLE.startsWith(cut!)).toBe(true);
  });

  test('a reload mid-answer: a new Chat with the user turn resumes the whole answer once (resume: true)', async () => {
    const { api } = await app();
    const first = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api, headers }) });
    const sending = first.sendMessage({ text: 'hi' });
    await expect.poll(() => text(first)[0]?.length ?? 0).toBeGreaterThan(50);
    // The page goes away: its stream is dropped (the server's answer runs on).
    await first.stop();
    await sending;
    const userTurn = first.messages.filter((message) => message.role === 'user');

    const reloaded = new Chat<UIMessage>({
      id: first.id,
      messages: userTurn,
      transport: new FetchEventSourceChatTransport({ api, headers }),
    });
    await reloaded.resumeStream();
    expect(reloaded.status).toBe('ready');
    expect(text(reloaded)).toEqual([WHOLE]);
    expect(reloaded.messages).toHaveLength(2);
  });

  test('a resume after the answer ended appends nothing (204 → null)', async () => {
    const { api, requests } = await app();
    const chat = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api, headers }) });
    await chat.sendMessage({ text: 'hi' });
    const later = new Chat<UIMessage>({
      id: chat.id,
      messages: chat.messages,
      transport: new FetchEventSourceChatTransport({ api, headers }),
    });
    await later.resumeStream();
    expect(later.status).toBe('ready');
    expect(later.messages).toEqual(chat.messages);
    expect(requests.at(-1)).toMatchObject({ method: 'GET', path: `/api/chat/${chat.id}/stream` });
  });

  test('a 401 is one request and the chat error, the typed HttpError as its cause', async () => {
    const { api, requests } = await app();
    const chat = new Chat<UIMessage>({
      transport: new FetchEventSourceChatTransport({ api, headers: { authorization: 'Bearer expired' } }),
    });
    await chat.sendMessage({ text: 'hi' });
    expect(chat.status).toBe('error');
    expect(chat.error?.cause).toBeInstanceOf(HttpError);
    expect((chat.error?.cause as HttpError).status).toBe(401);
    expect(requests).toHaveLength(1);
  });

  test('Stop aborts the answer and nothing more is sent; the server answer is stopped by the stop route', async () => {
    const { api, requests, store } = await app();
    const chat = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api, headers }) });
    const sending = chat.sendMessage({ text: 'hi' });
    await expect.poll(() => text(chat)[0]?.length ?? 0).toBeGreaterThan(20);
    await chat.stop();
    await sending;
    expect(chat.status).toBe('ready');
    const sent = requests.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(requests).toHaveLength(sent);
    // The page's own stop button also calls the stop route: the model stops on the server.
    const response = await fetch(`${api}/${chat.id}/stream`, { method: 'DELETE', headers });
    expect(response.status).toBe(204);
    const answerId = JSON.parse((await store.getNote(`chat:${chat.id}`))!) as { answer: string };
    await expect.poll(async () => (await store.state(answerId.answer)).state).toBe('done');
    expect((await store.state(answerId.answer)).lastEventId).not.toBe('');
  });

  test('a drop the server cannot resume (no ids) is an error, never a second answer', async () => {
    // A route that streams the AI SDK's own response: no ids, cut after 30 events.
    let posts = 0;
    const { url } = await serve(
      fetchHandler(
        async (request) => {
          posts += request.method === 'POST' ? 1 : 0;
          const { createUIMessageStreamResponse } = await import('ai');
          return createUIMessageStreamResponse({ stream: cannedAnswer(request.signal) });
        },
        () => 30,
      ),
    );
    const chat = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api: `${url}/api/chat` }) });
    await chat.sendMessage({ text: 'hi' });
    expect(chat.status).toBe('error');
    expect(chat.error?.cause).toBeInstanceOf(NotResumableError);
    expect(posts).toBe(1);
  });

  test("the store's closing error event becomes the AI SDK's error chunk, for both transports", async () => {
    const store = memoryStore();
    const answers = chatAnswers({ store });
    const { url } = await serve(
      fetchHandler(async (request) => {
        const { id } = (await request.json()) as { id: string };
        // A model stream that fails after its first delta: the store ends the answer with its error event.
        return answers.respond(
          request,
          id,
          () =>
            new ReadableStream({
              start(controller) {
                controller.enqueue({ type: 'text-start', id: 't' });
                controller.enqueue({ type: 'text-delta', id: 't', delta: 'half an ans' });
                controller.error(new Error('the model went away'));
              },
            }),
        );
      }),
    );
    // On the wire, the AI SDK's own error chunk: DefaultChatTransport reads it too.
    const wire = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ id: 'c9' }) });
    expect(await wire.text()).toContain(`data: ${JSON.stringify({ type: 'error', errorText: 'the model went away' })}`);
    const contrast = new Chat<UIMessage>({ transport: new DefaultChatTransport({ api: `${url}/api/chat` }) });
    await contrast.sendMessage({ text: 'hi' });
    expect(contrast.status).toBe('error');
    expect(contrast.error?.message).toBe('the model went away');
    const chat = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api: `${url}/api/chat` }) });
    await chat.sendMessage({ text: 'hi' });
    expect(chat.status).toBe('error');
    expect(chat.error?.message).toBe('the model went away');
  });
});

test("the transport reads a store's own closing error event (a route that streams the store directly)", async () => {
  const store = memoryStore();
  const { url } = await serve(
    fetchHandler(async () => {
      const id = crypto.randomUUID();
      await store.start(id, async function* () {
        yield { data: JSON.stringify({ type: 'text-start', id: 't' }) };
        throw new Error('quota exceeded');
      });
      return eventStreamResponse(await store.read(id));
    }),
  );
  const chat = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api: `${url}/api/chat` }) });
  await chat.sendMessage({ text: 'hi' });
  expect(chat.status).toBe('error');
  expect(chat.error?.message).toBe('quota exceeded');
});

describe('chatAnswers route helpers', () => {
  test("another caller cannot resume, stop or answer in someone's chat (403); bad ids are 400", async () => {
    const store = memoryStore();
    const answers = chatAnswers({ store, caller: (request) => request.headers.get('x-user') ?? '' });
    const post = (user: string, chatId: string, key?: string) =>
      answers.respond(
        new Request('http://app.test/api/chat', {
          method: 'POST',
          headers: { 'x-user': user, ...(key ? { 'idempotency-key': key } : {}) },
        }),
        chatId,
        (signal) => cannedAnswer(signal, 5),
      );
    const get = (user: string, chatId: string, lastEventId?: string) =>
      answers.resume(
        new Request(`http://app.test/api/chat/${chatId}/stream`, {
          headers: { 'x-user': user, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        }),
        chatId,
      );
    expect((await post('ann', 'c1')).status).toBe(200);
    expect((await get('bob', 'c1')).status).toBe(403);
    expect((await post('bob', 'c1')).status).toBe(403);
    expect(
      (await answers.stop(new Request('http://app.test/', { method: 'DELETE', headers: { 'x-user': 'bob' } }), 'c1'))
        .status,
    ).toBe(403);
    expect((await get('ann', 'c1')).status).toBe(200);
    expect((await get('ann', 'no/such')).status).toBe(400);
    expect((await post('ann', 'c2', 'not a key!')).status).toBe(400);
    expect((await get('ann', 'c1', 'other.x:12')).status).toBe(400);
    expect((await get('ann', 'nothing-yet')).status).toBe(204);
    // A repeated POST with the same Idempotency-Key reads the answer already running: the model runs once.
    const [a, b] = await Promise.all([post('ann', 'c3', 'k1'), post('ann', 'c3', 'k1')]);
    const [textA, textB] = await Promise.all([a.text(), b.text()]);
    expect(textA).toBe(textB);
    expect(textA.match(/text-delta/g)).toHaveLength(200);
  });
});

describe.skipIf(redisMissing)('an instance change, on a real redis-server', () => {
  /** Two instances of the app, each with its own Redis client (node-redis on A, ioredis on B). */
  async function instances(cut: Cut) {
    const stores = [];
    for (const connect of [clientKinds['node-redis 6'], clientKinds['ioredis 6']]) {
      const store = redisStore(await connect(redis.url), { prefix: 'ai-sdk:' });
      closers.push(() => store.close());
      stores.push(store);
    }
    return [await app(cut, stores[0]), await app(() => undefined, stores[1])] as const;
  }

  test('cut on instance A, resumed on instance B: the whole answer once, no error', async () => {
    const [a, b] = await instances(onceCut(80));
    // A load balancer that sends the POST to A and the resume to B.
    const balanced: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input), 'http://balancer.test');
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      const target = method === 'POST' ? a.url : b.url;
      return fetch(`${target}${url.pathname}${url.search}`, init);
    };
    const chat = new Chat<UIMessage>({
      transport: new FetchEventSourceChatTransport({ api: '/api/chat', headers, fetch: balanced }),
    });
    await chat.sendMessage({ text: 'hi' });
    expect(chat.error).toBeUndefined();
    expect(chat.status).toBe('ready');
    expect(text(chat)).toEqual([WHOLE]);
    expect(a.requests.map((r) => r.method)).toEqual(['POST']);
    expect(b.requests).toEqual([
      { method: 'GET', path: `/api/chat/${chat.id}/stream`, lastEventId: expect.stringMatching(/\./) as string },
    ]);
  });

  test('a reload lands on instance B mid-answer: the whole answer once', async () => {
    const [a, b] = await instances(() => undefined);
    const first = new Chat<UIMessage>({ transport: new FetchEventSourceChatTransport({ api: a.api, headers }) });
    const sending = first.sendMessage({ text: 'hi' });
    await expect.poll(() => text(first)[0]?.length ?? 0).toBeGreaterThan(50);
    await first.stop();
    await sending;
    const reloaded = new Chat<UIMessage>({
      id: first.id,
      messages: first.messages.filter((message) => message.role === 'user'),
      transport: new FetchEventSourceChatTransport({ api: b.api, headers }),
    });
    await reloaded.resumeStream();
    expect(reloaded.status).toBe('ready');
    expect(text(reloaded)).toEqual([WHOLE]);
  });
});
