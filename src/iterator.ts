import { runStream } from './client.js';
import { normalizeOptions } from './options.js';
import type { EventSourceMessage, FetchEventSourceInit } from './types.js';

/** The options of {@link fetchEvents}: those of `fetchEventSource` but `onmessage`. */
export type FetchEventsInit = Omit<FetchEventSourceInit, 'onmessage'>;

/**
 * The event stream as an async iterable, for `for await`. Same options and policy as
 * `fetchEventSource`; the loop ends when the stream is complete, throws the typed error
 * of a fatal failure, and leaving it early (`break`, `return`, a throw) aborts the request.
 *
 * Pull-based: the events of one chunk are handed out without a read in between, and the
 * next chunk is read only once the loop has taken them all, so a slow consumer holds the
 * body (and, through the socket, the server) instead of buffering it.
 *
 * @example
 * for await (const message of fetchEvents(url, { method: 'POST', headers, body })) {
 *   if (message.data === '[DONE]') break;
 *   process.stdout.write(JSON.parse(message.data).token);
 * }
 */
export async function* fetchEvents(
  input: RequestInfo | URL,
  init: FetchEventsInit = {},
): AsyncIterableIterator<EventSourceMessage> {
  // Aborted when the loop is left (`break`, `return`, a throw), or by the caller's signal.
  const stop = new AbortController();
  const signal = init.signal ? AbortSignal.any([init.signal, stop.signal]) : stop.signal;
  // Mirrors signal.aborted, read per event, where the getter would cost more than the rest.
  let stopped = false;
  signal.addEventListener('abort', () => (stopped = true));
  // The events read but not yet handed out. The reader waits in `afterChunk` until they are all
  // taken (`chunkTaken`); the generator waits for the next chunk's events or the end (`chunkRead`).
  let queue: EventSourceMessage[] = [];
  let chunkTaken = () => {};
  let chunkRead = () => {};
  let ended: { error: unknown } | true | undefined;
  const running = runStream({
    ...normalizeOptions(input, { ...init, signal }),
    onmessage: (message) => void queue.push(message),
    afterChunk: () =>
      queue.length ? (chunkRead(), new Promise<void>((resolve) => (chunkTaken = resolve))) : undefined,
  })
    .then(
      () => (ended = true),
      (error: unknown) => (ended = { error }),
    )
    .finally(() => chunkRead());
  try {
    for (;;) {
      const taken = queue;
      queue = [];
      // A chunk's events are handed out without a read in between.
      for (const message of taken) {
        if (stopped) return;
        yield message;
      }
      if (queue.length) continue;
      if (ended === true) return;
      if (ended) throw ended.error;
      chunkTaken();
      await new Promise<void>((resolve) => (chunkRead = resolve));
    }
  } finally {
    stop.abort();
    chunkTaken();
    await running;
  }
}
