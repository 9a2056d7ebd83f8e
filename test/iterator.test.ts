import { describe, expect, test, vi } from 'vitest';
import {
  EventTooLargeError,
  fetchEvents,
  HttpError,
  NotResumableError,
  type EventSourceMessage,
} from '../src/index.js';
import { status, TEST_URL, watchBodies } from './helpers/event-server.js';
import { eventStream } from './helpers/chunks.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

describe('fetchEvents', () => {
  test('yields every event until the stream is complete', async () => {
    const received: EventSourceMessage[] = [];
    const loop = (async () => {
      for await (const message of fetchEvents(TEST_URL, {
        method: 'POST',
        body: '{"q":1}',
        headers: { authorization: 'Bearer t' },
      })) {
        received.push(message);
      }
    })();
    const stream = await api.stream(0);
    stream.push('id: 1\ndata: a\n\ndata: b\n\n');
    await settle();
    stream.push('event: done\ndata: [DONE]\n\n');
    stream.end();
    await loop;
    expect(received.map((m) => [m.id, m.event, m.data])).toEqual([
      ['1', 'message', 'a'],
      ['', 'message', 'b'],
      ['', 'done', '[DONE]'],
    ]);
    expect(api.requests[0]).toMatchObject({ method: 'POST', body: '{"q":1}', authorization: 'Bearer t' });
  });

  test('a POST without ids dropped after events: the loop throws NotResumableError after them, one request', async () => {
    const received: string[] = [];
    const loop = (async () => {
      for await (const message of fetchEvents(TEST_URL, { method: 'POST', body: '{}' })) received.push(message.data);
    })().catch((error: unknown) => error);
    const stream = await api.stream(0);
    stream.push('data: a\n\ndata: b\n\n');
    await settle();
    stream.fail();
    const error = await loop;
    expect(error).toBeInstanceOf(NotResumableError);
    expect(error).toMatchObject({ events: 2 });
    expect(received).toEqual(['a', 'b']);
    expect(api.requests).toHaveLength(1);
  });

  test('closed before the first next(): no request is ever sent, and next() is done', async () => {
    const events = fetchEvents(TEST_URL);
    await events.return!();
    expect(await events.next()).toEqual({ value: undefined, done: true });
    await settle();
    expect(api.requests).toHaveLength(0);
  });

  test('sends nothing until the loop asks for the first event', async () => {
    const events = fetchEvents(TEST_URL);
    await settle();
    expect(api.requests).toHaveLength(0);
    const first = events.next();
    (await api.stream(0)).push('data: a\n\n');
    expect(await first).toEqual({ value: expect.objectContaining({ data: 'a' }), done: false });
    await events.return?.();
  });

  test.each([
    [
      'break',
      async (events: AsyncIterable<EventSourceMessage>) => {
        for await (const _ of events) break;
      },
    ],
    [
      'a thrown exception',
      async (events: AsyncIterable<EventSourceMessage>) => {
        await expect(
          (async () => {
            for await (const _ of events) throw new Error('consumer failed');
          })(),
        ).rejects.toThrow('consumer failed');
      },
    ],
  ])('leaving the loop by %s aborts the request and leaves no timer', async (_how, leave) => {
    useFakeClock();
    const { fetch, bodies } = watchBodies();
    const events = fetchEvents(TEST_URL, { fetch });
    const leaving = leave(events);
    (await api.stream(0)).push('data: a\n\ndata: b\n\n');
    await leaving;
    expect(bodies[0]?.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.requests).toHaveLength(1);
  });

  test('a fatal failure makes the loop throw the typed error', async () => {
    api.reply(status(403));
    const loop = (async () => {
      for await (const _ of fetchEvents(TEST_URL)) {
        // no event arrives
      }
    })();
    const error = await loop.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(403);
  });

  test('events before a fatal failure arrive first, then the error', async () => {
    const events = fetchEvents(TEST_URL, { maxEventSize: 100 });
    const first = events.next();
    (await api.stream(0)).push('data: a\n\ndata: ' + 'x'.repeat(200));
    expect(await first).toMatchObject({ value: { data: 'a' }, done: false });
    await expect(events.next()).rejects.toBeInstanceOf(EventTooLargeError);
    await expect(events.next()).resolves.toEqual({ value: undefined, done: true });
  });

  test("reconnects under the same policy, and the caller's signal ends the loop", async () => {
    useFakeClock();
    api.reply(status(503));
    const controller = new AbortController();
    const received: string[] = [];
    const loop = (async () => {
      for await (const message of fetchEvents(TEST_URL, { signal: controller.signal, retry: { jitter: 0 } })) {
        received.push(message.data);
        if (received.length === 2) controller.abort();
      }
    })();
    await vi.advanceTimersByTimeAsync(1000);
    const stream = await api.stream(0);
    stream.push('data: a\n\ndata: b\n\ndata: c\n\n');
    await loop;
    expect(received).toEqual(['a', 'b']);
    expect(api.requests).toHaveLength(2);
  });

  test('does not read the next chunk before the loop has taken the events of the last', async () => {
    let reads = 0;
    const fetch = async () =>
      eventStream((n) => {
        reads = n;
        return `data: ${n}a\n\ndata: ${n}b\n\n`;
      });
    const events = fetchEvents(TEST_URL, { fetch });
    expect((await events.next()).value?.data).toBe('1a');
    await settle();
    const readsAfterFirst = reads;
    expect((await events.next()).value?.data).toBe('1b');
    await settle();
    expect(reads).toBe(readsAfterFirst);
    expect((await events.next()).value?.data).toBe('2a');
    expect(reads).toBe(readsAfterFirst + 1);
    await events.return?.();
  });
});
