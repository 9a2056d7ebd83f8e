import { describe, expect, test } from 'vitest';
import { fetchEventSource, IdleTimeoutError, NetworkError, RetryLimitError } from '../src/index.js';
import { useServers } from './helpers/http-server.js';

// Hostile servers on a real node:http server on 127.0.0.1 (the schedule itself is tested with a fake clock in hostile.test.ts).
const serve = useServers();

const fast = { initialDelay: 1, maxDelay: 20, jitter: 0 };

describe('a server that opens and fails without an event cannot reset the backoff', () => {
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

  test('a stream with no event whose onclose throws: maxRetries 3 ends after 4 requests', async () => {
    let requests = 0;
    const { url } = await serve((_request, response) => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'text/event-stream' }).end('retry: 1\n\n');
    });
    const error = await fetchEventSource(url, {
      retry: { ...fast, maxRetries: 3 },
      onclose() {
        throw new Error('closed too soon');
      },
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RetryLimitError);
    expect(requests).toBe(4);
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
