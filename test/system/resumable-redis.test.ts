import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fetchEventSource, type EventSourceMessage } from '../../src/index.js';
import { redisMissing, startRedis } from '../helpers/redis-server.js';
import { startServerProcess } from '../helpers/server-process.js';

// Two server processes sharing one real redis-server, each running the built fetch-eventsource/server
// (test/fixtures/resumable-server.mjs): resume on the other instance, a producer killed, stop from
// the other instance, and many concurrent streams.
const fixture = fileURLToPath(new URL('../fixtures/resumable-server.mjs', import.meta.url));
const LEASE_TTL = 900;
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const children: ChildProcess[] = [];

async function instance(prefix: string, leaseTtl = LEASE_TTL): Promise<{ url: string; child: ChildProcess }> {
  const started = await startServerProcess(fixture, {
    REDIS_URL: redis!.url,
    PREFIX: prefix,
    LEASE_TTL: String(leaseTtl),
  });
  children.push(started.child);
  return started;
}

beforeAll(async () => {
  if (!redisMissing) redis = await startRedis();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
});

const post = (url: string) => fetch(url, { method: 'POST' }).then((response) => response.text());
const fast = { initialDelay: 10, jitter: 0 };

describe.skipIf(redisMissing)(
  `two server processes sharing Redis${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  () => {
    test('half an answer read from A, the connection dropped, the rest resumed on B: every event once, in order', async () => {
      const [a, b] = await Promise.all([instance('two:'), instance('two:')]);
      await post(`${a.url}/start?id=answer&count=300&wait=2`);
      let attempt = 0;
      const sentTo: string[] = [];
      const data: string[] = [];
      await fetchEventSource(`${a.url}/stream?id=answer&cutAfter=120`, {
        retry: fast,
        // A load balancer: the first request goes to A, the reconnect to B.
        fetch: (input, init) => {
          const target = attempt++ === 0 ? (input as string) : `${b.url}/stream?id=answer`;
          sentTo.push(target.startsWith(a.url) ? 'A' : 'B');
          return fetch(target, init);
        },
        onmessage: (message) => void data.push(message.data),
      });
      expect(data).toEqual(Array.from({ length: 300 }, (_, i) => String(i + 1)));
      expect(sentTo).toEqual(['A', 'B']);
    });

    test(`A killed mid-generation: the reader on B ends with ProducerLostError within ${LEASE_TTL + LEASE_TTL / 3} ms (+ slack)`, async () => {
      const [a, b] = await Promise.all([instance('kill:'), instance('kill:')]);
      await post(`${a.url}/start?id=doomed&count=100000&wait=5`);
      const received: EventSourceMessage[] = [];
      let killedAt = 0;
      await fetchEventSource(`${b.url}/stream?id=doomed`, {
        retry: false,
        onmessage: (message) => {
          received.push(message);
          if (received.length === 20) {
            killedAt = performance.now();
            a.child.kill('SIGKILL');
          }
        },
      });
      const took = performance.now() - killedAt;
      console.info(`producer killed: the reader on the other instance ended after ${Math.round(took)} ms`);
      const last = received.at(-1)!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data)).toMatchObject({ error: 'ProducerLostError' });
      expect(took).toBeLessThan(LEASE_TTL + LEASE_TTL / 3 + 1000);
    });

    test('stop sent to B ends the generation running on A', async () => {
      const [a, b] = await Promise.all([instance('stop:'), instance('stop:')]);
      await post(`${a.url}/start?id=long&count=100000&wait=5`);
      const data: string[] = [];
      const started = performance.now();
      await fetchEventSource(`${a.url}/stream?id=long`, {
        retry: false,
        onmessage: (message) => {
          data.push(message.data);
          if (data.length === 10) void post(`${b.url}/stop?id=long`);
        },
      });
      expect(data.length).toBeGreaterThanOrEqual(10);
      expect(data.length).toBeLessThan(200);
      expect(performance.now() - started).toBeLessThan(5000);
    });

    test('100 concurrent streams × 1,000 events started on A, read on B: nothing lost or repeated', async () => {
      // The default lease (3 s): 100 producers writing as fast as they can on a loaded 2-core machine
      // may not renew a 900 ms lease in time, and a reader would rightly call that producer lost.
      const [a, b] = await Promise.all([instance('many:', 3000), instance('many:', 3000)]);
      const ids = Array.from({ length: 100 }, (_, i) => `s${i}`);
      await Promise.all(ids.map((id) => post(`${a.url}/start?id=${id}&count=1000`)));
      const started = performance.now();
      const results = await Promise.all(
        ids.map(async (id) => {
          const data: string[] = [];
          await fetchEventSource(`${b.url}/stream?id=${id}`, { retry: fast, onmessage: (m) => void data.push(m.data) });
          return data;
        }),
      );
      console.info(`100 × 1,000 events through Redis: read in ${Math.round(performance.now() - started)} ms`);
      const expected = Array.from({ length: 1000 }, (_, i) => String(i + 1));
      for (const data of results) expect(data).toEqual(expected);
    }, 60_000);
  },
);
