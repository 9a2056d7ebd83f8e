import { expect, test, vi } from 'vitest';
// The only line that differs from code written for @microsoft/fetch-event-source:
import { EventStreamContentType, fetchEventSource } from '../src/index.js';
import { status, TEST_URL } from './helpers/event-server.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

class RetriableError extends Error {}
class FatalError extends Error {}

/** The usage shown in @microsoft/fetch-event-source's README, in our words, with a log added. */
function readmeUsage(log: string[], signal: AbortSignal) {
  return fetchEventSource(TEST_URL, {
    signal,
    async onopen(response) {
      if (response.ok && response.headers.get('content-type') === EventStreamContentType) {
        log.push('open');
        return;
      } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw new FatalError();
      } else {
        throw new RetriableError();
      }
    },
    onmessage(msg) {
      // A server-sent error event stops everything.
      if (msg.event === 'FatalError') throw new FatalError(msg.data);
      log.push(`message ${msg.data}`);
    },
    onclose() {
      // The server closed the connection unexpectedly: retry.
      log.push('close');
      throw new RetriableError();
    },
    onerror(err) {
      if (err instanceof FatalError) throw err; // rethrow to stop
      log.push(`error ${(err as Error).constructor.name}`); // do nothing else: retry automatically
    },
  });
}

test('the README usage of @microsoft/fetch-event-source works with only the import changed', async () => {
  useFakeClock();
  api.reply(status(503));
  const log: string[] = [];
  const controller = new AbortController();
  const done = readmeUsage(log, controller.signal).catch((error: unknown) => error);
  await vi.advanceTimersByTimeAsync(0);
  // A 503 is retried (in the original it reaches onopen and throws RetriableError; here the policy retries it).
  await vi.advanceTimersByTimeAsync(2000);
  const first = await api.stream(0);
  first.push('data: one\n\n');
  first.end();
  await settle();
  // onclose throwing RetriableError means: reconnect (a second consecutive failure: the delay grows).
  await vi.advanceTimersByTimeAsync(3000);
  const second = await api.stream(1);
  second.push('data: two\n\nevent: FatalError\ndata: boom\n\n');
  const error = await done;
  expect(error).toBeInstanceOf(FatalError);
  expect((error as Error).message).toBe('boom');
  expect(log).toEqual([
    'error HttpError',
    'open',
    'message one',
    'close',
    'error RetriableError',
    'open',
    'message two',
  ]);
  expect(api.requests).toHaveLength(3);
});

test('a 401 stops that usage at once, where the original retried it forever unless onopen threw', async () => {
  api.reply(status(401));
  const log: string[] = [];
  const error = await readmeUsage(log, new AbortController().signal).catch((thrown: unknown) => thrown);
  expect((error as { status: number }).status).toBe(401);
  expect(api.requests).toHaveLength(1);
});
