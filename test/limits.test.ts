import { inspect } from 'node:util';
import { describe, expect, test, vi } from 'vitest';
import {
  ContentTypeError,
  EventTooLargeError,
  fetchEventSource,
  HttpError,
  IdleTimeoutError,
  NetworkError,
  RetryLimitError,
  type RetryInfo,
} from '../src/index.js';
import { networkError, status, TEST_URL } from './helpers/event-server.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

describe('maxEventSize', () => {
  test('stops a server that never ends an event with EventTooLargeError, and never retries', async () => {
    const onerror = vi.fn();
    const done = fetchEventSource(TEST_URL, { maxEventSize: 1000, onerror });
    const stream = await api.stream(0);
    for (let i = 0; i < 30; i++) stream.push(`data: ${'x'.repeat(50)}\n`);
    const error = await done.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EventTooLargeError);
    expect((error as EventTooLargeError).maxEventSize).toBe(1000);
    expect(onerror).toHaveBeenCalledWith(error);
    await settle();
    expect(api.requests).toHaveLength(1);
  });

  test('stops a giant id line that never ends', async () => {
    const done = fetchEventSource(TEST_URL, { maxEventSize: 4096 });
    const stream = await api.stream(0);
    stream.push('id: ');
    for (let i = 0; i < 10; i++) stream.push('y'.repeat(1000));
    await expect(done).rejects.toBeInstanceOf(EventTooLargeError);
  });

  test('skips a giant line of no field without holding it, and delivers the event after it', async () => {
    const data: string[] = [];
    const done = fetchEventSource(TEST_URL, { maxEventSize: 4096, onmessage: (m) => void data.push(m.data) });
    const stream = await api.stream(0);
    for (let i = 0; i < 10; i++) stream.push('y'.repeat(1000));
    stream.push('\ndata: after\n\n');
    stream.end();
    await done;
    expect(data).toEqual(['after']);
  });

  test('lets a 5 MiB event through with the default', async () => {
    const sizes: number[] = [];
    const done = fetchEventSource(TEST_URL, { onmessage: (m) => void sizes.push(m.data.length) });
    const stream = await api.stream(0);
    const line = 'z'.repeat(64 * 1024);
    stream.push('data: ');
    for (let i = 0; i < 80; i++) stream.push(line); // 5 MiB in 64 KiB chunks
    stream.push('\n\ndata: after\n\n');
    stream.end();
    await done;
    expect(sizes).toEqual([5 * 1024 * 1024, 5]);
  });
});

describe('idleTimeout', () => {
  test('catches a server that never answers, counting from the request', async () => {
    useFakeClock();
    const retries: RetryInfo[] = [];
    const never = () => new Promise<Response>(() => {});
    const controller = new AbortController();
    const done = fetchEventSource(TEST_URL, {
      fetch: never,
      idleTimeout: 5000,
      retry: { jitter: 0 },
      signal: controller.signal,
      onretry: (info) => void retries.push(info),
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(retries).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(retries).toEqual([
      {
        failures: 1,
        delay: 1000,
        reason: 'backoff',
        step: 1,
        jitter: 0,
        error: expect.any(IdleTimeoutError),
        lastEventId: '',
      },
    ]);
    // Consecutive stalls grow the backoff like any failure.
    await vi.advanceTimersByTimeAsync(1000 + 5000);
    expect(retries.map((r) => [r.failures, r.delay])).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    controller.abort();
    await done;
  });

  test('is off by default: a silent stream is left alone', async () => {
    useFakeClock();
    const onerror = vi.fn();
    const controller = new AbortController();
    const done = fetchEventSource(TEST_URL, { onerror, signal: controller.signal });
    await api.stream(0);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(onerror).not.toHaveBeenCalled();
    controller.abort();
    await done;
  });

  test('restarts with every chunk, and reconnects a stalled stream with Last-Event-ID', async () => {
    useFakeClock();
    const errors: unknown[] = [];
    const done = fetchEventSource(TEST_URL, {
      idleTimeout: 1000,
      retry: { jitter: 0 },
      onerror: (error) => void errors.push(error),
    });
    const stream = await api.stream(0);
    for (let i = 1; i <= 3; i++) {
      await vi.advanceTimersByTimeAsync(900);
      stream.push(i === 2 ? ': keep-alive\n\n' : `id: ${i}\ndata: ${i}\n\n`);
      await settle();
    }
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([expect.any(IdleTimeoutError)]);
    expect((errors[0] as Error).message).toBe(`no data from GET ${TEST_URL} for 1000 ms`);
    await vi.advanceTimersByTimeAsync(1000);
    (await api.stream(1)).end();
    await done;
    expect(api.requests.map((r) => r.lastEventId)).toEqual([null, '3']);
  });
});

describe('security', () => {
  const secret = 'Bearer sk-live-0123456789';

  /** Every way an error reaches a log: message, stack, String(), JSON and util.inspect, causes included. */
  function everyRendering(error: unknown): string {
    const parts: string[] = [inspect(error, { depth: 10 }), JSON.stringify(error)];
    for (let e: unknown = error; e instanceof Error; e = e.cause)
      parts.push(e.name, e.message, String(e.stack), String(e));
    return parts.join('\n');
  }

  test.each([
    ['HttpError', () => api.reply(status(401)), HttpError, {}],
    ['ContentTypeError', () => api.reply(() => Response.json({ token: 'x' })), ContentTypeError, {}],
    [
      'RetryLimitError over NetworkError',
      () => api.reply(networkError, networkError),
      RetryLimitError,
      { retry: { maxRetries: 1, initialDelay: 1 } },
    ],
    [
      'RetryLimitError over HttpError',
      () => api.reply(status(503), status(503)),
      RetryLimitError,
      { retry: { maxRetries: 1, initialDelay: 1 } },
    ],
    ['NetworkError', () => api.reply(networkError), NetworkError, { retry: false }],
    [
      'EventTooLargeError',
      () =>
        api.reply(() => new Response('data: ' + 'x'.repeat(500), { headers: { 'content-type': 'text/event-stream' } })),
      EventTooLargeError,
      { maxEventSize: 100 },
    ],
    [
      'IdleTimeoutError',
      () => {},
      IdleTimeoutError,
      { retry: false, idleTimeout: 20, fetch: () => new Promise<Response>(() => {}) },
    ],
  ] as const)(
    'no header value, query or fragment appears in a %s, however it is logged',
    async (_name, arrange, type, init) => {
      arrange();
      const error = await fetchEventSource(`${TEST_URL}?token=s3cr3t#frag`, {
        method: 'POST',
        headers: { authorization: secret, 'x-api-key': 'key-987654321' },
        lastEventId: 'resume-id-42',
        ...init,
      }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(type);
      const text = everyRendering(error);
      for (const leak of ['sk-live', 'key-987654321', 'resume-id-42', 's3cr3t', 'token=', 'frag']) {
        expect(text).not.toContain(leak);
      }
      expect(text).toContain(`POST ${TEST_URL}`);
    },
  );

  test('the response behind an HttpError is still there to read', async () => {
    api.reply(() => Response.json({ reason: 'expired' }, { status: 401 }));
    const error = await fetchEventSource(`${TEST_URL}?token=s3cr3t`).catch((thrown: unknown) => thrown);
    expect(await (error as HttpError).response.json()).toEqual({ reason: 'expired' });
  });

  test('a NetworkError keeps the platform error as its cause', async () => {
    api.reply(networkError);
    const error = await fetchEventSource(TEST_URL, { retry: false }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });
});
