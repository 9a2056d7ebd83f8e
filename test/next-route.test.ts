// The Next.js route of docs/server.md (examples/next-chat-route.ts), run as a route handler is: its POST and
// DELETE called with web Requests, the model an OpenAI-compatible server on loopback.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { DELETE, POST } from '../examples/next-chat-route.js';
import { fetchEventSource, type EventSourceMessage } from '../src/index.js';
import { useServers } from './helpers/http-server.js';

const serve = useServers();
const WORDS = Array.from({ length: 30 }, (_, n) => `word${n} `);

/** An OpenAI-compatible upstream: WORDS, one chunk every `gap` ms, or a 401 for the prompt "fail". */
async function upstream(gap = 2) {
  const { url } = await serve((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const prompt = (JSON.parse(body) as { messages: Array<{ content: string }> }).messages[0]!.content;
      if (prompt === 'fail') return void response.writeHead(401).end();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => {
        if (response.destroyed) return clearInterval(timer);
        if (n === WORDS.length) {
          clearInterval(timer);
          return void response.end('data: [DONE]\n\n');
        }
        response.write(`data: ${JSON.stringify({ choices: [{ delta: { content: WORDS[n++] } }] })}\n\n`);
      }, gap);
    });
  });
  process.env.OPENAI_BASE_URL = url;
  process.env.OPENAI_API_KEY = 'test-key';
}

const route = 'http://app.test/api/chat';
const ask = (init: { user?: string; body?: string; lastEventId?: string }) =>
  new Request(route, {
    method: 'POST',
    headers: {
      ...(init.user ? { 'x-user-id': init.user } : {}),
      ...(init.lastEventId ? { 'last-event-id': init.lastEventId } : {}),
      'content-type': 'application/json',
    },
    body: init.body ?? JSON.stringify({ prompt: 'hi' }),
  });

/** Reads a route's response with the library, as the page would; stops after `take` events. */
async function readResponse(response: Response, take = Infinity) {
  const events: EventSourceMessage[] = [];
  const controller = new AbortController();
  await fetchEventSource(route, {
    fetch: async () => response,
    retry: false,
    signal: controller.signal,
    onmessage: (message) => {
      events.push(message);
      if (events.length >= take) controller.abort();
    },
  });
  return events;
}
const textOf = (events: EventSourceMessage[]) =>
  events
    .filter((event) => event.event === 'message')
    .map((event) => (JSON.parse(event.data) as { token: string }).token)
    .join('');

beforeAll(() => {
  delete process.env.REDIS_URL;
});

describe('the README route (memory store: no REDIS_URL)', () => {
  test('401 without a user; 400 for malformed JSON or no prompt, before any model call', async () => {
    expect((await POST(ask({}))).status).toBe(401);
    expect((await POST(ask({ user: 'ann', body: '{"prompt":' }))).status).toBe(400);
    expect((await POST(ask({ user: 'ann', body: '{}' }))).status).toBe(400);
  });

  test('a whole answer: its id first, then every token', async () => {
    await upstream();
    const events = await readResponse(await POST(ask({ user: 'ann' })));
    expect(events[0]).toMatchObject({ event: 'answer' });
    expect(events[0]!.data).toMatch(/^ann\./);
    expect(textOf(events)).toBe(WORDS.join(''));
  });

  test('a drop mid-answer, resumed by Last-Event-ID: every token once', async () => {
    await upstream(5);
    const first = await readResponse(await POST(ask({ user: 'ann' })), 10);
    const rest = await readResponse(await POST(ask({ user: 'ann', lastEventId: first.at(-1)!.id })));
    expect(textOf([...first, ...rest])).toBe(WORDS.join(''));
  });

  test("another user's answer: resume and stop are 403; its owner's stop ends it", async () => {
    await upstream(20);
    const [answer] = await readResponse(await POST(ask({ user: 'ann' })), 2);
    const answerId = answer!.data;
    expect((await POST(ask({ user: 'bob', lastEventId: `${answerId}:1` }))).status).toBe(403);
    const stop = (user: string) =>
      DELETE(new Request(`${route}?answer=${answerId}`, { method: 'DELETE', headers: { 'x-user-id': user } }));
    expect((await stop('bob')).status).toBe(403);
    expect((await stop('ann')).status).toBe(204);
    const rest = await readResponse(await POST(ask({ user: 'ann', lastEventId: `${answerId}:1` })));
    expect(textOf(rest).length).toBeLessThan(WORDS.join('').length);
  });

  test('a malformed Last-Event-ID is 400; an expired one 410', async () => {
    expect((await POST(ask({ user: 'ann', lastEventId: 'no-position' }))).status).toBe(400);
    expect((await POST(ask({ user: 'ann', lastEventId: 'ann.gone:3' }))).status).toBe(410);
  });

  test('an upstream failure (a wrong API key) ends the answer with an error event the page can show', async () => {
    await upstream();
    const events = await readResponse(await POST(ask({ user: 'ann', body: JSON.stringify({ prompt: 'fail' }) })));
    expect(events.at(-1)).toMatchObject({ event: 'error' });
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ error: 'HttpError' });
  });

  test('docs/server.md shows this file as it is', async () => {
    const [readme, file] = await Promise.all([
      readFile(new URL('../docs/server.md', import.meta.url), 'utf8'),
      readFile(new URL('../examples/next-chat-route.ts', import.meta.url), 'utf8'),
    ]);
    expect(readme).toContain(file.trim());
  });
});
