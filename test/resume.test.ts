import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, test } from 'vitest';
import {
  fetchEventSource,
  IdleTimeoutError,
  NetworkError,
  NotResumableError,
  RetryLimitError,
  type FetchEventSourceInit,
} from '../src/index.js';
import { useServers } from './helpers/http-server.js';
import { fastRetry as fast } from './helpers/retry.js';

// Reconnecting the way a chat needs it, against real node:http servers on 127.0.0.1: progress resets
// the backoff, a floor keeps requests apart, and a POST that cannot resume is not sent again.
const serve = useServers();

const openStream = (response: ServerResponse) =>
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });

/** The id after the request's Last-Event-ID (ids count from 1). */
const resumeFrom = (request: IncomingMessage) => Number(request.headers['last-event-id'] ?? 0) + 1;

/**
 * A server of `total` events with ids 1…total that resumes from `Last-Event-ID`, writes `retry:` first,
 * and destroys the socket after every `perConnection` events until the last is sent.
 */
async function cuttingServer(total: number, perConnection: number, retry: number) {
  const lastEventIds: Array<string | undefined> = [];
  const server = await serve((request, response) => {
    lastEventIds.push(request.headers['last-event-id'] as string | undefined);
    openStream(response);
    const from = resumeFrom(request);
    const to = Math.min(total, from + perConnection - 1);
    let text = `retry: ${retry}\n\n`;
    for (let id = from; id <= to; id++) text += `id: ${id}\ndata: token ${id}\n\n`;
    if (to === total) return void response.end(text);
    response.write(text, () => request.socket.destroy());
  });
  return { ...server, lastEventIds };
}

/** Counts requests during `ms` of a call, then aborts it; resolves with the count and how it ended. */
async function requestsIn(ms: number, url: string, init: FetchEventSourceInit, counted: () => number) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const ended = await fetchEventSource(url, { ...init, signal: controller.signal }).then(
    () => 'resolved',
    (error: unknown) => error,
  );
  clearTimeout(timer);
  return { requests: counted(), ended };
}

describe('progress, and only progress, starts the backoff over', () => {
  test('500 events cut by 20 drops with retry: 20: every event once, in order, within 4 s', async () => {
    const { url, lastEventIds } = await cuttingServer(500, 24, 20);
    const ids: number[] = [];
    const started = performance.now();
    await fetchEventSource(url, {
      method: 'POST',
      body: '{"prompt":"hi"}',
      retry: { maxRetries: 5 },
      onmessage: (message) => void ids.push(Number(message.id)),
    });
    const elapsed = performance.now() - started;
    console.info(`500 events, 20 drops: ${lastEventIds.length} requests in ${elapsed.toFixed(0)} ms`);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
    expect(lastEventIds).toHaveLength(21);
    expect(lastEventIds.slice(0, 3)).toEqual([undefined, '24', '48']);
    expect(elapsed).toBeLessThan(4000);
  });

  test('50 drops after events with new ids, with maxRetries: 2, never give up', async () => {
    const { url, lastEventIds } = await cuttingServer(102, 2, 1);
    const ids: number[] = [];
    await fetchEventSource(url, {
      retry: { maxRetries: 2, minInterval: 0 },
      onmessage: (message) => void ids.push(Number(message.id)),
    });
    expect(lastEventIds).toHaveLength(51);
    expect(ids).toEqual(Array.from({ length: 102 }, (_, index) => index + 1));
  });

  test.each([
    ['a reset', 'GET', (request: IncomingMessage) => request.socket.destroy()],
    [
      'a clean end that onclose throws on',
      'GET',
      (_request: IncomingMessage, response: ServerResponse) => response.end(),
    ],
  ] as const)(
    'the same first event without an id, then %s, every time: maxRetries 2 ends after 3 requests',
    async (_case, method, end) => {
      let requests = 0;
      const { url } = await serve((request, response) => {
        requests += 1;
        openStream(response);
        response.write('data: partial answer\n\n', () => setTimeout(() => end(request, response), 5));
      });
      const error = await fetchEventSource(url, {
        method,
        retry: { ...fast, maxRetries: 2 },
        onclose: () => {
          throw new Error('ended early');
        },
      }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(RetryLimitError);
      expect(requests).toBe(3);
    },
  );

  test('the same event with the same id, replayed after every resume: maxRetries 2 ends after 3 requests', async () => {
    const lastEventIds: unknown[] = [];
    const { url } = await serve((request, response) => {
      lastEventIds.push(request.headers['last-event-id']);
      openStream(response);
      response.write('id: 1\ndata: the start, again\n\n', () => setTimeout(() => request.socket.destroy(), 5));
    });
    const error = await fetchEventSource(url, { retry: { ...fast, maxRetries: 2 } }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RetryLimitError);
    // The first request moved the id from none to 1 (progress, then its drop is failure 1); the ones
    // after it resumed from 1 and got no further (failures 2 and 3).
    expect(lastEventIds).toEqual([undefined, '1', '1']);
  });

  test('200, a comment, then a dropped socket, every time: maxRetries 2 ends after 3 requests', async () => {
    let requests = 0;
    const { url } = await serve((request, response) => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`: opened ${requests}\n\n`, () => setTimeout(() => request.socket.destroy(), 5));
    });
    const error = await fetchEventSource(url, { method: 'POST', body: '{}', retry: { ...fast, maxRetries: 2 } }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RetryLimitError);
    expect((error as RetryLimitError).cause).toBeInstanceOf(NetworkError);
    expect(requests).toBe(3);
  });

  test('an idleTimeout stall with maxRetries 2 ends with RetryLimitError after 3 requests', async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': then silence\n\n');
    });
    const error = await fetchEventSource(url, { idleTimeout: 100, retry: { ...fast, maxRetries: 2 } }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RetryLimitError);
    expect((error as RetryLimitError).cause).toBeInstanceOf(IdleTimeoutError);
    expect(requests).toBe(3);
  });
});

describe('the floor: no two requests less than minInterval (100 ms) apart', () => {
  test('retry: 0, one event and a reset, every time, for 3 s: at most 31 requests', async () => {
    let requests = 0;
    const { url } = await serve((request, response) => {
      requests += 1;
      openStream(response);
      response.write(`retry: 0\nid: ${requests}\ndata: x\n\n`, () => request.socket.destroy());
    });
    const { requests: sent, ended } = await requestsIn(3000, url, {}, () => requests);
    console.info(`retry: 0 + event + reset: ${sent} requests in 3 s`);
    expect(ended).toBe('resolved');
    // No stall either: the floor, not a growing backoff, sets the pace.
    expect(sent).toBeGreaterThanOrEqual(15);
    expect(sent).toBeLessThanOrEqual(31);
  });

  test('onerror returning 0 against a server that always answers 500, for 3 s: at most 31 requests', async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests += 1;
      response.writeHead(500).end();
    });
    const { requests: sent } = await requestsIn(3000, url, { onerror: () => 0 }, () => requests);
    console.info(`onerror: () => 0 against 500: ${sent} requests in 3 s`);
    expect(sent).toBeGreaterThanOrEqual(15);
    expect(sent).toBeLessThanOrEqual(31);
  });
});

describe('only what can resume is sent again', () => {
  /** Sends `events` events (with ids when asked) and drops the connection on the first request, then ends cleanly. */
  async function dropAfter(events: number, withIds: boolean) {
    const seen: Array<{ method: string | undefined; lastEventId: string | undefined }> = [];
    const server = await serve((request, response) => {
      seen.push({ method: request.method, lastEventId: request.headers['last-event-id'] as string | undefined });
      openStream(response);
      if (seen.length > 1) return void response.end(`${withIds ? `id: ${events + 1}\n` : ''}data: after\n\n`);
      let text = '';
      for (let n = 1; n <= events; n++) text += `${withIds ? `id: ${n}\n` : ''}data: token ${n}\n\n`;
      response.write(text, () => request.socket.destroy());
    });
    return { ...server, seen };
  }

  test('a POST without ids dropped after 3 events: one request, NotResumableError, 3 events', async () => {
    const { url, seen } = await dropAfter(3, false);
    const data: string[] = [];
    const seenByOnerror: unknown[] = [];
    const error = await fetchEventSource(url, {
      method: 'POST',
      body: '{"prompt":"hi"}',
      onmessage: (message) => void data.push(message.data),
      onerror: (failure) => void seenByOnerror.push(failure),
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(NotResumableError);
    expect(error).toMatchObject({ events: 3, name: 'NotResumableError' });
    expect((error as NotResumableError).cause).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(`POST ${url}/ dropped after 3 event(s) and sent no id to resume from`);
    expect(seenByOnerror).toEqual([error]);
    expect(data).toEqual(['token 1', 'token 2', 'token 3']);
    expect(seen).toHaveLength(1);
  });

  test('onerror may still ask for the request again, on purpose', async () => {
    const { url, seen } = await dropAfter(3, false);
    const data: string[] = [];
    await fetchEventSource(url, {
      method: 'POST',
      body: '{}',
      onmessage: (message) => void data.push(message.data),
      onerror: (failure) => (failure instanceof NotResumableError ? 0 : undefined),
    });
    expect(seen).toHaveLength(2);
    expect(data).toEqual(['token 1', 'token 2', 'token 3', 'after']);
  });

  test('a POST with ids resumes with Last-Event-ID', async () => {
    const { url, seen } = await dropAfter(3, true);
    const data: string[] = [];
    await fetchEventSource(url, { method: 'POST', body: '{}', onmessage: (message) => void data.push(message.data) });
    expect(seen).toEqual([
      { method: 'POST', lastEventId: undefined },
      { method: 'POST', lastEventId: '3' },
    ]);
    expect(data).toEqual(['token 1', 'token 2', 'token 3', 'after']);
  });

  test('a GET without ids reconnects', async () => {
    const { url, seen } = await dropAfter(3, false);
    const data: string[] = [];
    await fetchEventSource(url, { onmessage: (message) => void data.push(message.data) });
    expect(seen).toEqual([
      { method: 'GET', lastEventId: undefined },
      { method: 'GET', lastEventId: undefined },
    ]);
    expect(data).toEqual(['token 1', 'token 2', 'token 3', 'after']);
  });

  test('a POST without ids that drops before its first event is sent again', async () => {
    const { url, seen } = await dropAfter(0, false);
    const data: string[] = [];
    await fetchEventSource(url, { method: 'POST', body: '{}', onmessage: (message) => void data.push(message.data) });
    expect(seen).toHaveLength(2);
    expect(data).toEqual(['after']);
  });
});

describe('a request per attempt', () => {
  /**
   * A chat server: `POST /api/chat` starts answer "a1" (6 events with ids) and drops after 3;
   * `GET /api/chat/a1/stream` resumes it after `Last-Event-ID`. Records every request it saw.
   */
  async function chatServer({ dropBeforeFirstEvent = false } = {}) {
    type Seen = { method?: string | undefined; url?: string | undefined; lastEventId?: string | undefined };
    const seen: Array<Seen & { key?: string | undefined; body: string }> = [];
    const server = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const headers = request.headers;
        seen.push({
          method: request.method,
          url: request.url,
          lastEventId: headers['last-event-id'] as string | undefined,
          key: headers['idempotency-key'] as string | undefined,
          body,
        });
        if (dropBeforeFirstEvent && seen.length === 1) return void setTimeout(() => request.socket.destroy(), 10);
        openStream(response);
        const from = resumeFrom(request);
        let text = '';
        for (let id = from; id <= Math.min(6, from + 2); id++) text += `id: ${id}\ndata: token ${id}\n\n`;
        if (from + 2 >= 6) return void response.end(text);
        response.write(text, () => request.socket.destroy());
      });
    });
    return { ...server, seen };
  }

  test('a chat POSTs its conversation once and resumes a drop with a GET of its stream, with Last-Event-ID', async () => {
    const { url, seen } = await chatServer();
    const data: string[] = [];
    const contexts: unknown[] = [];
    await fetchEventSource(`${url}/api/chat`, {
      method: 'POST',
      body: '{"messages":["hi"]}',
      headers: (context) => (contexts.push(context), { authorization: 'Bearer t' }),
      request: ({ attempt }) => (attempt > 1 ? { method: 'GET', input: `${url}/api/chat/a1/stream` } : undefined),
      retry: fast,
      onmessage: (message) => void data.push(message.data),
    });
    expect(seen).toEqual([
      { method: 'POST', url: '/api/chat', lastEventId: undefined, key: undefined, body: '{"messages":["hi"]}' },
      { method: 'GET', url: '/api/chat/a1/stream', lastEventId: '3', key: undefined, body: '' },
    ]);
    expect(data).toEqual([1, 2, 3, 4, 5, 6].map((n) => `token ${n}`));
    expect(contexts).toEqual([
      { attempt: 1, lastEventId: '' },
      { attempt: 2, lastEventId: '3' },
    ]);
  });

  test('each attempt is judged by its own method: a GET resume that drops after events without ids is sent again', async () => {
    const methods: Array<string | undefined> = [];
    const { url } = await serve((request, response) => {
      methods.push(request.method);
      // The POST drops before its first event; every GET after it sends an event without an id and drops.
      if (request.method === 'POST') return void request.socket.destroy();
      openStream(response);
      response.write('data: more\n\n', () => request.socket.destroy());
    });
    const error = await fetchEventSource(url, {
      method: 'POST',
      body: '{}',
      request: ({ attempt }) => (attempt > 1 ? { method: 'GET' } : undefined),
      retry: { ...fast, maxRetries: 2 },
    }).catch((thrown: unknown) => thrown);
    // Not a NotResumableError, which a POST dropped after events without ids would be: a GET is safe
    // to send again. It is given up on as making no progress.
    expect(error).toBeInstanceOf(RetryLimitError);
    expect(methods).toEqual(['POST', 'GET', 'GET']);
  });

  test('idempotencyKey: a POST cut before its first event is re-sent with the same key; another call has another', async () => {
    const { url, seen } = await chatServer({ dropBeforeFirstEvent: true });
    const call = () =>
      fetchEventSource(`${url}/api/chat`, { method: 'POST', body: '{}', idempotencyKey: true, retry: fast });
    await call();
    const keys = seen.map((request) => request.key);
    expect(seen.map((request) => [request.method, request.lastEventId])).toEqual([
      ['POST', undefined],
      ['POST', undefined],
      ['POST', '3'],
    ]);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys).size).toBe(1);
    await call();
    expect(seen.at(-1)!.key).not.toBe(keys[0]);
  });
});
