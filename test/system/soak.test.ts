import type { IncomingMessage, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
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
    retry: { initialDelay: 1, maxDelay: 4, jitter: 0.5 },
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
