import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Chat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cannedAnswerText } from '../../examples/ai-sdk-next/lib/model.js';
import { FetchEventSourceChatTransport } from '../../src/ai-sdk.js';
import { cutAfter } from '../helpers/fetch-server.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';
import { startServerProcess } from '../helpers/server-process.js';

// Two server processes sharing one real redis-server, each running the built route helpers
// (test/fixtures/ai-sdk-instance.mjs), and the AI SDK's Chat in this process: a cut on A resumed on B.
const fixture = fileURLToPath(new URL('../fixtures/ai-sdk-instance.mjs', import.meta.url));
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const children: ChildProcess[] = [];

async function instance(): Promise<string> {
  const { url, child } = await startServerProcess(fixture, { REDIS_URL: redis!.url });
  children.push(child);
  return url;
}

beforeAll(async () => {
  if (!redisMissing) redis = await startRedis();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
});

test.skipIf(redisMissing)(
  'two server processes on Redis: the answer cut on A is resumed on B, whole and once, the chat never in error',
  async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    const served: string[] = [];
    // A load balancer that sends the POST to A (whose connection then drops) and the resume to B.
    const balanced: typeof fetch = async (input, init) => {
      const { pathname } = new URL(input instanceof Request ? input.url : input, 'http://app.test');
      const toA = init?.method === 'POST';
      served.push(`${init?.method ?? 'GET'} ${pathname} → ${toA ? 'A' : 'B'}`);
      const response = await fetch(`${toA ? a : b}${pathname}`, init);
      return toA ? new Response(cutAfter(response.body!, 40), response) : response;
    };
    const statuses = new Set<string>();
    const chat = new Chat<UIMessage>({
      transport: new FetchEventSourceChatTransport({ api: '/api/chat', fetch: balanced }),
    });
    const sending = chat.sendMessage({ text: 'across instances' });
    const watch = setInterval(() => statuses.add(chat.status), 1);
    await sending;
    clearInterval(watch);
    expect(chat.error).toBeUndefined();
    expect(statuses).not.toContain('error');
    expect(chat.status).toBe('ready');
    const assistant = chat.messages.filter((message) => message.role === 'assistant');
    expect(assistant.map((m) => m.parts.map((p) => (p.type === 'text' ? p.text : '')).join(''))).toEqual([
      cannedAnswerText('across instances'),
    ]);
    expect(served).toEqual(['POST /api/chat → A', `GET /api/chat/${chat.id}/stream → B`]);
  },
);
