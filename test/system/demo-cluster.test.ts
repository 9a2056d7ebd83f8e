import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerFor, tokenize } from '../../demo/answers.mjs';
import { startRoundRobinProxy } from '../../demo/cluster.mjs';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';
import { fetchEventSource } from '../../src/index.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';

// The demo as two replicas sharing Redis behind a round-robin proxy (what `npm run demo:cluster`
// runs as processes): the faults are the deployment's, and an answer cut on one instance resumes on
// the other.
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const demos: DemoServer[] = [];
let proxy: Awaited<ReturnType<typeof startRoundRobinProxy>> | undefined;

beforeAll(async () => {
  if (redisMissing) return;
  redis = await startRedis();
  for (const instance of ['A', 'B']) {
    demos.push(
      await startDemoServer({ port: 0, log: () => {}, redisUrl: redis.url, instance, secret: 'shared', pace: 5 }),
    );
  }
  proxy = await startRoundRobinProxy(demos.map((demo) => demo.url));
});
afterAll(async () => {
  await proxy?.close();
  for (const demo of demos) await demo.close();
  await redis?.stop();
});

test.skipIf(redisMissing)(
  `Drop clicked once mid-answer cuts the answer on whichever instance streams it, and it resumes on the other, every token once${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  async () => {
    const url = proxy!.url;
    const { token } = (await (await fetch(new URL('/api/token', url), { method: 'POST' })).json()) as { token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const messages = [{ role: 'user' as const, content: 'What is resumption?' }];
    const tokens: string[] = [];
    let dropped: Promise<Response> | undefined;
    await fetchEventSource(new URL('/api/chat', url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ messages }),
      retry: { initialDelay: 10, jitter: 0 },
      onmessage: (message) => {
        if (message.event !== 'message' || message.data === '[DONE]') return;
        tokens.push((JSON.parse(message.data) as { token: string }).token);
        // One click, through the round-robin: it reaches whichever instance is next.
        if (tokens.length === 3) {
          dropped = fetch(new URL('/api/faults', url), { method: 'POST', headers, body: '{"fault":"drop"}' });
        }
      },
    });
    expect((await dropped)?.status).toBe(200);
    expect(tokens).toEqual(tokenize(answerFor(messages)));
    const log = demos[0]!.requests;
    expect(log.filter((entry) => entry.note.startsWith('resume answer'))).toHaveLength(1);
    // Each instance's log shows what both served.
    expect(new Set(log.map((entry) => entry.instance))).toEqual(new Set(['A', 'B']));
    // Taken by the instance that streamed the answer: armed nowhere now.
    await expect.poll(() => demos.map((demo) => demo.faults.drop)).toEqual([false, false]);
  },
);

test.skipIf(redisMissing)('Slow mode and Expire the token hold for the whole deployment', async () => {
  const url = proxy!.url;
  const { token } = (await (await fetch(new URL('/api/token', url), { method: 'POST' })).json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const fault = (name: string) =>
    fetch(new URL('/api/faults', url), { method: 'POST', headers, body: `{"fault":"${name}"}` });
  expect((await fault('slow')).status).toBe(200);
  await expect.poll(() => demos.map((demo) => demo.faults.slow)).toEqual([true, true]);
  expect((await fault('slow')).status).toBe(200);
  await expect.poll(() => demos.map((demo) => demo.faults.slow)).toEqual([false, false]);
  expect((await fault('expire')).status).toBe(200);
  // The token is refused by each instance, not only by the one that got the click.
  for (const demo of demos) {
    await expect
      .poll(
        async () =>
          (await fetch(new URL('/api/faults', demo.url), { method: 'POST', headers, body: '{"fault":"slow"}' })).status,
      )
      .toBe(401);
  }
});
