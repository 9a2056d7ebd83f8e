// app/api/chat/route.ts — a Next.js App Router route (Node runtime) that streams a model's answer and
// lets its client resume it by Last-Event-ID on any instance; DELETE stops it. docs/server.md shows this
// file as it is, and test/next-route.test.ts runs it.
import { fetchEvents } from 'fetch-eventsource';
import {
  eventStreamResponse,
  InvalidEventIdError,
  memoryStore,
  redisStore,
  streamIdOf,
  StreamNotFoundError,
  type ResumableStreamStore,
} from 'fetch-eventsource/server';
import { createClient } from 'redis';

// One store per process, made on first use (so `next build` needs no Redis) and kept on globalThis
// (so `next dev`, which evaluates this module again on every edit, opens no new connections).
const cache = globalThis as { answers?: Promise<ResumableStreamStore> };
function answers(): Promise<ResumableStreamStore> {
  cache.answers ??= (async () => {
    // An answer nobody reads for 30 s (the tab was closed) stops generating.
    const options = { abandonAfter: 30_000 };
    if (!process.env.REDIS_URL) return memoryStore(options);
    const client = createClient({ url: process.env.REDIS_URL });
    // Without a listener, node-redis's 'error' event would end the process; with one, it reconnects.
    client.on('error', (error: Error) => console.error('redis:', error.message));
    await client.connect();
    return redisStore(client, options);
  })();
  return cache.answers;
}

/** The signed-in user: here the id your auth middleware sets after it verified the session. */
function userOf(request: Request): string | null {
  const user = request.headers.get('x-user-id');
  return user && /^[\w-]{1,64}$/.test(user) ? user : null;
}

/** An answer's id starts with its user's: only they can resume or stop it. */
const owns = (user: string, answerId: string) => answerId.startsWith(`${user}.`);

/** The model's tokens (an OpenAI-compatible API); stops when `signal` aborts. */
async function* generate(prompt: string, signal: AbortSignal): AsyncGenerator<string> {
  const url = `${process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'}/chat/completions`;
  for await (const message of fetchEvents(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${process.env.OPENAI_API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
    // A model that fails three times in a row fails the answer; a 401 (a wrong key) at once.
    retry: { maxRetries: 2 },
    signal,
  })) {
    if (message.data === '[DONE]') return;
    const token = (JSON.parse(message.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta
      .content;
    if (token) yield token;
  }
}

export async function POST(request: Request): Promise<Response> {
  const user = userOf(request);
  if (!user) return new Response('sign in first', { status: 401 });
  const store = await answers();
  const lastEventId = request.headers.get('last-event-id');
  try {
    // A reconnect (a drop, or a reload that kept the id) resumes the answer after its last token.
    if (lastEventId) {
      if (!owns(user, streamIdOf(lastEventId))) return new Response('not your answer', { status: 403 });
      return eventStreamResponse(await store.resume(lastEventId, { signal: request.signal }));
    }
    const body = (await request.json().catch(() => null)) as { prompt?: unknown } | null;
    if (typeof body?.prompt !== 'string' || !body.prompt) {
      return new Response('expected JSON { "prompt": "…" }', { status: 400 });
    }
    const { prompt } = body;
    const answerId = `${user}.${crypto.randomUUID()}`;
    // Generated once, whoever is connected; `signal` aborts on DELETE or when it is abandoned.
    await store.start(answerId, async function* (signal) {
      yield { event: 'answer', data: answerId };
      for await (const token of generate(prompt, signal)) yield { data: JSON.stringify({ token }) };
    });
    return eventStreamResponse(await store.read(answerId, { signal: request.signal }));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return new Response('this answer has expired', { status: 410 });
    if (error instanceof InvalidEventIdError) return new Response(error.message, { status: 400 });
    throw error;
  }
}

/** Stop: `DELETE /api/chat?answer=<id>` ends the generation on whichever instance runs it. */
export async function DELETE(request: Request): Promise<Response> {
  const user = userOf(request);
  const answerId = new URL(request.url).searchParams.get('answer') ?? '';
  if (!user || !owns(user, answerId)) return new Response('not your answer', { status: 403 });
  await (await answers()).stop(answerId);
  return new Response(null, { status: 204 });
}
