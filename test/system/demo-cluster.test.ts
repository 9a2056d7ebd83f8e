import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerFor, tokenize } from '../../demo/answers.mjs';
import { startRoundRobinProxy } from '../../demo/cluster.mjs';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';
import { fetchEventSource } from '../../src/index.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';

// The demo as two replicas sharing Redis behind a round-robin proxy (what `npm run demo:cluster`
// runs as processes): an answer cut on one instance resumes on the other.
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
  `an answer cut on one instance resumes on the other, every token once${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  async () => {
    const url = proxy!.url;
    const { token } = (await (await fetch(new URL('/api/token', url), { method: 'POST' })).json()) as { token: string };
    // Both instances cut the next answer they stream after 12 events.
    for (const demo of demos) demo.faults.drop = true;
    const messages = [{ role: 'user' as const, content: 'What is resumption?' }];
    const tokens: string[] = [];
    await fetchEventSource(new URL('/api/chat', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
      retry: { initialDelay: 10, jitter: 0 },
      onmessage: (message) => {
        if (message.event === 'message' && message.data !== '[DONE]') {
          tokens.push((JSON.parse(message.data) as { token: string }).token);
        }
      },
    });
    expect(tokens).toEqual(tokenize(answerFor(messages)));
    const log = demos[0]!.requests;
    const resumes = log.filter((entry) => entry.note.startsWith('resume answer'));
    expect(new Set(resumes.map((entry) => entry.instance)).size).toBe(2);
    // Each instance's log shows what both served.
    expect(new Set(log.map((entry) => entry.instance))).toEqual(new Set(['A', 'B']));
  },
);
