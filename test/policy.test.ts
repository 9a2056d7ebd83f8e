import { describe, expect, test, vi } from 'vitest';
import {
  ContentTypeError,
  fetchEventSource,
  HttpError,
  isHttpError,
  NetworkError,
  RetryLimitError,
  type EventSourceMessage,
  type FetchEventSourceInit,
  type RetryInfo,
} from '../src/index.js';
import { eventStream } from './helpers/chunks.js';
import { networkError, status, TEST_URL, watchBodies } from './helpers/event-server.js';
import { countingSignal, settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

/** Starts a POST stream with no jitter and records what the callbacks saw. */
function start(init: FetchEventSourceInit = {}) {
  const messages: EventSourceMessage[] = [];
  const errors: unknown[] = [];
  const retries: RetryInfo[] = [];
  let opened = 0;
  let closed = 0;
  const promise = fetchEventSource(TEST_URL, {
    method: 'POST',
    body: JSON.stringify({ prompt: 'hi' }),
    headers: { authorization: 'Bearer secret-token', 'content-type': 'application/json' },
    onopen: () => void (opened += 1),
    onmessage: (message) => void messages.push(message),
    onclose: () => void (closed += 1),
    onerror: (error) => void errors.push(error),
    onretry: (info) => void retries.push(info),
    ...init,
    // No jitter, so delays are exact; a test's own policy is kept.
    retry: init.retry === false ? false : { jitter: 0, ...init.retry },
  });
  const settled = promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  return {
    messages,
    errors,
    retries,
    settled,
    get opened() {
      return opened;
    },
    get closed() {
      return closed;
    },
  };
}

describe('2xx with text/event-stream', () => {
  test('opens once and delivers events as the chunks arrive', async () => {
    api.reply(() => api.openStream({ 'content-type': 'Text/Event-Stream; charset=utf-8' }));
    const run = start();
    const stream = await api.stream(0);
    stream.push('id: 1\ndata: {"token":"Hel');
    await settle();
    expect(run.messages).toEqual([]);
    stream.push('lo"}\n\n');
    await settle();
    expect(run.messages).toEqual([{ id: '1', event: 'message', data: '{"token":"Hello"}', retry: undefined }]);
    stream.push('event: done\ndata: [DONE]\n\n');
    stream.end();
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.messages[1]).toEqual({ id: '', event: 'done', data: '[DONE]', retry: undefined });
    expect(run.opened).toBe(1);
    expect(run.closed).toBe(1);
    expect(api.requests).toHaveLength(1);
  });

  test('sends Accept: text/event-stream, the POST body and the Authorization header', async () => {
    const run = start();
    (await api.stream(0)).end();
    await run.settled;
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      body: '{"prompt":"hi"}',
      authorization: 'Bearer secret-token',
      accept: 'text/event-stream',
      lastEventId: null,
    });
  });
});

test('resolves on 204 No Content without a retry', async () => {
  useFakeClock();
  api.reply(status(204));
  const run = start({ reconnectOnClose: true });
  expect(await run.settled).toEqual({ resolved: true });
  await vi.advanceTimersByTimeAsync(120_000);
  expect(api.requests).toHaveLength(1);
  expect(run.errors).toEqual([]);
});

describe('fatal statuses', () => {
  test.each([400, 401, 403, 404, 405, 409, 410, 422, 451])(
    'rejects with HttpError on %i and never retries',
    async (code) => {
      useFakeClock();
      api.reply(status(code, { json: { error: 'nope' } }));
      const run = start();
      const outcome = await run.settled;
      await vi.advanceTimersByTimeAsync(120_000);
      expect(api.requests).toHaveLength(1);
      expect(outcome.resolved).toBe(false);
      const error = (outcome as { error: HttpError }).error;
      expect(error).toBeInstanceOf(HttpError);
      expect(isHttpError(error)).toBe(true);
      expect(error.status).toBe(code);
      expect(error.message).toMatch(new RegExp(`^${code}\\b.* from POST ${TEST_URL}$`));
      expect(error.message).not.toContain('secret-token');
      // The response is left unread so the caller can read the JSON error.
      expect(await error.response.json()).toEqual({ error: 'nope' });
      expect(run.errors).toEqual([error]);
      expect(run.retries).toEqual([]);
    },
  );

  test('rejects with ContentTypeError naming the type on a 2xx that is not an event stream', async () => {
    api.reply(() => new Response('<html>login</html>', { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    const run = start();
    const outcome = await run.settled;
    const error = (outcome as { error: ContentTypeError }).error;
    expect(error).toBeInstanceOf(ContentTypeError);
    expect(error.contentType).toBe('text/html; charset=utf-8');
    expect(error.message).toContain('"text/html; charset=utf-8"');
    expect(await error.response.text()).toBe('<html>login</html>');
    expect(api.requests).toHaveLength(1);
    expect(run.opened).toBe(0);
  });
});

describe('retried failures', () => {
  test.each([408, 429, 500, 502, 503, 504])('retries %i with backoff', async (code) => {
    useFakeClock();
    api.reply(status(code), status(code));
    const run = start();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(api.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(api.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.requests).toHaveLength(3);
    (await api.stream(0)).end();
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.retries.map((r) => [r.failures, r.delay])).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    expect(run.errors.map((e) => (e as HttpError).status)).toEqual([code, code]);
  });

  test('retries a network error with NetworkError as the failure', async () => {
    useFakeClock();
    api.reply(networkError);
    const run = start();
    await vi.advanceTimersByTimeAsync(1000);
    (await api.stream(0)).end();
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.errors[0]).toBeInstanceOf(NetworkError);
    expect((run.errors[0] as NetworkError).message).toBe(`could not connect to POST ${TEST_URL}`);
    expect(api.requests).toHaveLength(2);
  });

  test('re-sends the POST body, Authorization and Last-Event-ID after the connection drops', async () => {
    useFakeClock();
    const run = start();
    const first = await api.stream(0);
    first.push('id: 7\ndata: a\n\n');
    first.push('id: 8\ndata: b\n\ndata: incomplete');
    await vi.advanceTimersByTimeAsync(0);
    first.fail();
    await vi.advanceTimersByTimeAsync(1000);
    const second = await api.stream(1);
    second.push('id: 9\ndata: c\n\n');
    second.end();
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.messages.map((m) => m.data)).toEqual(['a', 'b', 'c']);
    expect(run.errors[0]).toBeInstanceOf(NetworkError);
    expect(api.requests.map((r) => [r.method, r.body, r.authorization, r.lastEventId])).toEqual([
      ['POST', '{"prompt":"hi"}', 'Bearer secret-token', null],
      ['POST', '{"prompt":"hi"}', 'Bearer secret-token', '8'],
    ]);
  });

  test('gives up after maxRetries with RetryLimitError whose cause is the last failure', async () => {
    useFakeClock();
    api.reply(...Array.from({ length: 10 }, () => status(503)));
    const run = start({ retry: { maxRetries: 3 } });
    await vi.advanceTimersByTimeAsync(60_000);
    const outcome = await run.settled;
    expect(api.requests).toHaveLength(4);
    const error = (outcome as { error: RetryLimitError }).error;
    expect(error).toBeInstanceOf(RetryLimitError);
    expect(error.failures).toBe(4);
    expect((error.cause as HttpError).status).toBe(503);
    expect(run.errors).toHaveLength(4);
  });
});

describe('handlers that return a promise behave as handlers that throw', () => {
  test('an async onmessage that rejects: the call rejects with it, the request is aborted, nothing is retried', async () => {
    const failure = new Error('could not save the token');
    const { fetch, bodies } = watchBodies();
    const run = start({
      fetch,
      onmessage: async (message) => {
        run.messages.push(message);
        await Promise.resolve();
        if (message.data === 'two') throw failure;
      },
    });
    (await api.stream(0)).push('id: 1\ndata: one\n\nid: 2\ndata: two\n\n');
    expect(await run.settled).toEqual({ resolved: false, error: failure });
    expect(bodies[0]?.cancelled).toBe(true);
    expect(run.errors).toEqual([]);
    await settle();
    expect(api.requests).toHaveLength(1);
  });

  test('an async onmessage that rejects after the stream ended: the call rejects, it does not resolve first', async () => {
    const failure = new Error('late');
    let fail: (error: Error) => void = () => {};
    const run = start({
      onmessage: () => new Promise<void>((_resolve, reject) => (fail = reject)),
    });
    (await api.stream(0)).push('data: one\n\n');
    (await api.stream(0)).end();
    await settle();
    let settled = false;
    void run.settled.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    fail(failure);
    expect(await run.settled).toEqual({ resolved: false, error: failure });
  });

  test('the call resolves once every promise onmessage returned has settled', async () => {
    let finish = () => {};
    let handled = false;
    const run = start({
      onmessage: () =>
        new Promise<void>((resolve) => {
          finish = () => {
            handled = true;
            resolve();
          };
        }),
    });
    const stream = await api.stream(0);
    stream.push('data: one\n\n');
    stream.end();
    await settle();
    let settled = false;
    void run.settled.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    finish();
    expect(await run.settled).toEqual({ resolved: true });
    expect(handled).toBe(true);
  });

  test('an async onopen that rejects is fatal', async () => {
    const failure = new Error('no');
    const run = start({ onopen: () => Promise.reject(failure) });
    await api.stream(0);
    expect(await run.settled).toEqual({ resolved: false, error: failure });
    expect(api.requests).toHaveLength(1);
  });

  test('an async onclose that rejects is a failure that is retried, as a throw is', async () => {
    const failure = new Error('ended too soon');
    const run = start({
      onclose: () => Promise.reject(failure),
      retry: { maxRetries: 1, initialDelay: 0, minInterval: 0 },
    });
    (await api.stream(0)).end();
    (await api.stream(1)).end();
    const settled = await run.settled;
    expect(settled).toMatchObject({ resolved: false, error: { name: 'RetryLimitError', cause: failure } });
    expect(run.errors).toEqual([failure, failure]);
  });

  test('after an abort, a rejection is neither thrown nor unhandled', async () => {
    const controller = new AbortController();
    const run = start({
      signal: controller.signal,
      onmessage: async () => {
        controller.abort();
        await Promise.resolve();
        throw new Error('after the abort');
      },
    });
    (await api.stream(0)).push('data: one\n\n');
    expect(await run.settled).toEqual({ resolved: true });
    await settle();
  });
});

describe('abort', () => {
  test('an aborted signal before the call sends no request and resolves', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = start({ signal: controller.signal });
    expect(await run.settled).toEqual({ resolved: true });
    expect(api.requests).toHaveLength(0);
  });

  test('during the stream: resolves, cancels the body and leaves no listener', async () => {
    const { controller, signal, listeners } = countingSignal();
    const { fetch, bodies } = watchBodies();
    const run = start({ signal, fetch });
    const stream = await api.stream(0);
    stream.push('data: a\n\n');
    await settle();
    controller.abort();
    expect(await run.settled).toEqual({ resolved: true });
    expect(bodies[0]?.cancelled).toBe(true);
    expect(run.closed).toBe(0);
    expect(listeners()).toBe(0);
  });

  test('during the retry wait: resolves, no further request, no timer left', async () => {
    useFakeClock();
    const { controller, signal, listeners } = countingSignal();
    api.reply(status(503));
    const run = start({ signal });
    await vi.advanceTimersByTimeAsync(500);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    expect(await run.settled).toEqual({ resolved: true });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.requests).toHaveLength(1);
    expect(listeners()).toBe(0);
  });

  test('right after the last event, with a fetch whose body ignores the signal', async () => {
    const controller = new AbortController();
    // One chunk, then the body stays open forever, whatever the signal says.
    const deafFetch = async () =>
      eventStream((n) => (n === 1 ? 'data: token\n\ndata: [DONE]\n\n' : new Promise<never>(() => {})));
    const run = start({
      signal: controller.signal,
      fetch: deafFetch,
      onmessage: (message) => {
        run.messages.push(message);
        if (message.data === '[DONE]') controller.abort();
      },
    });
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.messages.map((m) => m.data)).toEqual(['token', '[DONE]']);
  });

  test('from inside onmessage delivers no later event of the same chunk', async () => {
    const controller = new AbortController();
    const run = start({
      signal: controller.signal,
      onmessage: (message) => {
        run.messages.push(message);
        controller.abort();
      },
    });
    (await api.stream(0)).push('data: first\n\ndata: second\n\n');
    expect(await run.settled).toEqual({ resolved: true });
    expect(run.messages.map((m) => m.data)).toEqual(['first']);
  });

  const never = <T>() => new Promise<T>(() => {});
  const stream = () =>
    new Response('data: x\n\n', { headers: { 'content-type': 'text/event-stream' } }) as Response & {
      body: ReadableStream;
    };
  /** A body that sends one event, then never another byte, and whose cancel() never settles. */
  const hangingBody = () => eventStream((n) => (n === 1 ? 'data: x\n\n' : never<never>()), never<void>);

  test.each([
    // [phase, options, requests sent in all]
    ['a headers function', { headers: () => never<HeadersInit>(), fetch: async () => stream() }, 0],
    ['a custom fetch that ignores its signal', { fetch: () => never<Response>() }, 1],
    ['an async onopen', { fetch: async () => stream(), onopen: () => never<void>() }, 1],
    ['an async onclose', { fetch: async () => stream(), onclose: () => never<void>() }, 1],
    ['a body whose cancel() never settles', { fetch: async () => hangingBody() }, 1],
  ] as const)(
    'while %s is pending: resolves, sends nothing more, leaves no timer or listener',
    async (_phase, init, sent) => {
      useFakeClock();
      const { controller, signal, listeners } = countingSignal();
      let requests = 0;
      const inner: () => Promise<Response> = init.fetch;
      const counted = async () => {
        requests += 1;
        return inner();
      };
      let settled = false;
      const done = fetchEventSource('https://api.example.com/events', {
        ...init,
        fetch: counted,
        signal,
        reconnectOnClose: true,
        idleTimeout: 60_000,
      }).then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(10);
      controller.abort();
      await settle();
      expect(settled).toBe(true);
      await done;
      await vi.advanceTimersByTimeAsync(120_000);
      expect(requests).toBe(sent);
      expect(listeners()).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    },
  );
});
