// fetchEventStream: the stream as a web ReadableStream, against real node:http servers.
import type { ServerResponse } from 'node:http';
import { describe, expect, test } from 'vitest';
import { EventTooLargeError, fetchEventStream, HttpError, type EventSourceMessage } from '../src/index.js';
import { useServers } from './helpers/http-server.js';
import { fastRetry as fast } from './helpers/retry.js';

const serve = useServers();

const openStream = (response: ServerResponse) => response.writeHead(200, { 'content-type': 'text/event-stream' });

async function readAll(stream: ReadableStream<EventSourceMessage>) {
  const data: string[] = [];
  for await (const message of stream) data.push(message.data);
  return data;
}

describe('fetchEventStream', () => {
  test('resolves once the stream opened, after the retries the policy allows, and reads to the end', async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests += 1;
      if (requests === 1) return void response.writeHead(503).end();
      openStream(response);
      response.end('data: one\n\ndata: two\n\n');
    });
    const stream = await fetchEventStream(url, { retry: fast });
    expect(requests).toBe(2);
    expect(await readAll(stream!)).toEqual(['one', 'two']);
  });

  test('a 401 rejects the promise with HttpError, after one request', async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests += 1;
      response.writeHead(401).end();
    });
    await expect(fetchEventStream(url, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(HttpError);
    expect(requests).toBe(1);
  });

  test('a 204 resolves null; so does an abort before the stream opened', async () => {
    const { url } = await serve((request, response) => {
      if (request.url === '/none') return void response.writeHead(204).end();
      // Never answers.
    });
    expect(await fetchEventStream(`${url}/none`)).toBeNull();
    expect(await fetchEventStream(`${url}/hang`, { signal: AbortSignal.timeout(50) })).toBeNull();
  });

  test('heals a drop inside the stream: every event once, with Last-Event-ID', async () => {
    const lastEventIds: unknown[] = [];
    const { url } = await serve((request, response) => {
      lastEventIds.push(request.headers['last-event-id']);
      openStream(response);
      if (lastEventIds.length === 1) response.write('id: 1\ndata: one\n\n', () => request.socket.destroy());
      else response.end('id: 2\ndata: two\n\n');
    });
    const stream = await fetchEventStream(url, { method: 'POST', body: '{}', retry: fast });
    expect(await readAll(stream!)).toEqual(['one', 'two']);
    expect(lastEventIds).toEqual([undefined, '1']);
  });

  test('a fatal failure after it opened errors the stream with the typed error', async () => {
    const { url } = await serve((_request, response) => {
      openStream(response);
      response.end(`data: fine\n\ndata: ${'x'.repeat(100)}\n\n`);
    });
    const stream = await fetchEventStream(url, { maxEventSize: 50 });
    const reader = stream!.getReader();
    expect((await reader.read()).value?.data).toBe('fine');
    await expect(reader.read()).rejects.toBeInstanceOf(EventTooLargeError);
  });

  test('cancel() aborts the request and the server sees the close', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    const { url } = await serve((request, response) => {
      openStream(response);
      response.write('data: one\n\n');
      request.on('close', closed);
    });
    const stream = await fetchEventStream(url);
    const reader = stream!.getReader();
    expect((await reader.read()).value?.data).toBe('one');
    await reader.cancel();
    await serverSawClose;
  });

  test('the caller’s abort after it opened closes the stream quietly', async () => {
    const controller = new AbortController();
    const { url } = await serve((_request, response) => {
      openStream(response);
      response.write('data: one\n\n');
    });
    const stream = await fetchEventStream(url, { signal: controller.signal });
    const reader = stream!.getReader();
    expect((await reader.read()).value?.data).toBe('one');
    controller.abort();
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  test('pipes through a TransformStream into a Response body', async () => {
    const { url } = await serve((_request, response) => {
      openStream(response);
      response.end('data: a\n\ndata: b\n\n');
    });
    const stream = await fetchEventStream(url);
    const text = stream!.pipeThrough(
      new TransformStream<EventSourceMessage, string>({ transform: (message, out) => out.enqueue(message.data) }),
    );
    expect(await new Response(text.pipeThrough(new TextEncoderStream())).text()).toBe('ab');
  });
});
