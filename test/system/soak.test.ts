import type { IncomingMessage, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { fetchEventSource } from '../../src/index.js';
import { listen } from '../helpers/http-server.js';
import { seeded } from '../helpers/random.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Timers and sockets alive in this process, by kind. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

test('1,000 reconnects through drops, 503s and stalls: every event once, in order, nothing left behind', async () => {
  const random = seeded(42);
  const totalEvents = 3000;
  const faults = 1000;
  let faultsLeft = faults;
  const causes = { drop: 0, status503: 0, stall: 0 };

  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const from = Number(request.headers['last-event-id'] ?? 0) + 1;
    if (faultsLeft === 0) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let rest = '';
      for (let id = from; id <= totalEvents; id++) rest += `id: ${id}\ndata: ${id}\n\n`;
      return void response.end(rest);
    }
    faultsLeft -= 1;
    const roll = random();
    if (roll < 0.3) {
      causes.status503 += 1;
      return void response.writeHead(503, { 'retry-after': '0' }).end();
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    let text = '';
    const count = Math.floor(random() * 8);
    for (let id = from; id < from + count && id <= totalEvents; id++) text += `id: ${id}\ndata: ${id}\n\n`;
    if (roll < 0.9) {
      causes.drop += 1;
      // Cut inside the next event too, so a half-sent event must be dropped and resent.
      const partial = `id: ${from + count}\ndata: ${from + count}`.slice(0, Math.floor(random() * 12));
      response.write(text + partial, () => request.socket.destroy());
    } else {
      causes.stall += 1;
      response.write(text + ': then silence\n\n'); // the client's idleTimeout must notice
    }
  };

  gc();
  const before = { resources: activeResources(), heap: process.memoryUsage().heapUsed };
  const server = await listen(handler);
  const ids: number[] = [];
  let failures = 0;
  await fetchEventSource(server.url, {
    // No floor between requests: a thousand reconnects at 100 ms apart would take minutes.
    retry: { initialDelay: 1, maxDelay: 4, jitter: 0.5, minInterval: 0 },
    idleTimeout: 60,
    onmessage: (message) => void ids.push(Number(message.id)),
    onerror: () => void (failures += 1),
  });
  await server.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const after = { resources: activeResources(), heap: process.memoryUsage().heapUsed };

  expect(faultsLeft).toBe(0);
  // Every fault is a failure; on a loaded machine a slow answer may also trip the idle timeout.
  expect(failures).toBeGreaterThanOrEqual(faults);
  expect(causes.drop).toBeGreaterThan(100);
  expect(causes.status503).toBeGreaterThan(100);
  expect(causes.stall).toBeGreaterThan(50);
  expect(ids).toEqual(Array.from({ length: totalEvents }, (_, i) => i + 1));
  // No kind of timer or socket is more numerous than before (the runner's own may have ended).
  for (const [kind, count] of Object.entries(after.resources))
    expect(count, kind).toBeLessThanOrEqual(before.resources[kind] ?? 0);
  console.info(
    `soak: ${JSON.stringify(causes)}, heap ${((after.heap - before.heap) / 1e6).toFixed(1)} MB after vs before`,
  );
  expect(after.heap - before.heap).toBeLessThan(10 * 1024 * 1024);
}, 120_000);

describe('misbehaving servers cannot make the client hammer them', () => {
  // A scaled-down schedule so the soak stays short: the shape is the default one (factor 2, jitter),
  // without the floor (minInterval), which would hide the schedule.
  const policy = { initialDelay: 20, maxDelay: 200, factor: 2, jitter: 0.3, minInterval: 0 };
  const runFor = 1500;

  /** The most requests the schedule allows in `ms`: each wait at least its un-jittered backoff. */
  function allowedRequests(ms: number): number {
    let requests = 1;
    let at = 0;
    for (let step = 1; ; step++) {
      at += Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** (step - 1));
      if (at > ms) return requests;
      requests += 1;
    }
  }

  const servers: Array<[string, (request: IncomingMessage, response: ServerResponse) => void, object]> = [
    [
      '200, a comment, then a dropped socket',
      (request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(': x\n\n', () => request.socket.destroy());
      },
      {},
    ],
    ['503 with Retry-After: 0', (_request, response) => void response.writeHead(503, { 'retry-after': '0' }).end(), {}],
    [
      'empty clean closes, with reconnectOnClose',
      (_request, response) => void response.writeHead(200, { 'content-type': 'text/event-stream' }).end(),
      { reconnectOnClose: true },
    ],
  ];

  test.each(servers)('%s', async (_name, handler, init) => {
    let requests = 0;
    const server = await listen((request, response) => {
      requests += 1;
      handler(request, response);
    });
    const controller = new AbortController();
    const started = performance.now();
    const done = fetchEventSource(server.url, { ...init, retry: policy, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, runFor));
    controller.abort();
    await done;
    const elapsed = performance.now() - started;
    await server.close();
    console.info(
      `${_name}: ${requests} requests in ${Math.round(elapsed)} ms (schedule allows ${allowedRequests(elapsed)})`,
    );
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(requests).toBeLessThanOrEqual(allowedRequests(elapsed));
  });
});
