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
export function fetchEvents(
  input: RequestInfo | URL,
  init: FetchEventsInit = {},
): AsyncIterableIterator<EventSourceMessage> {
  // Aborted when the loop is left (`break`, `return`, a throw), or by the caller's signal.
  const stop = new AbortController();
  const signal = init.signal ? AbortSignal.any([init.signal, stop.signal]) : stop.signal;
  // Mirrors signal.aborted, read per event, where the getter would cost more than the rest of next().
  let aborted = signal.aborted;
  signal.addEventListener('abort', () => (aborted = true));
  // The events read but not yet handed out, and the next one to hand out (an index: no shift).
  let queue: EventSourceMessage[] = [];
  let head = 0;
  // The reader waits in `afterChunk` until the queue is taken (`chunkTaken`); `next()` waits for
  // the next chunk's events or the end (`chunkRead`).
  let chunkTaken = () => {};
  let chunkRead = () => {};
  // The loop, once the first `next()` started it; how it ended (an error is thrown once).
  let running: Promise<void> | undefined;
  let ended: { error: unknown } | boolean = false;
  const done = { value: undefined, done: true } as const;

  async function finish(): Promise<IteratorReturnResult<undefined>> {
    ended = true;
    stop.abort();
    chunkTaken();
    await running;
    return done;
  }

  async function wait(): Promise<IteratorResult<EventSourceMessage, undefined>> {
    // The first `next()` starts the loop, unless the iterator was closed before.
    if (!running && !ended)
      running = runStream({
        ...normalizeOptions(input, { ...init, signal }),
        onmessage: (message) => void queue.push(message),
        afterChunk: () => {
          if (head === queue.length) return undefined;
          // The chunk brought events: hand them out, and read on once they are taken.
          chunkRead();
          return new Promise<void>((resolve) => (chunkTaken = resolve));
        },
      })
        .then(
          () => void (ended ||= true),
          (error: unknown) => void (ended ||= { error }),
        )
        .finally(() => chunkRead());
    for (;;) {
      if (head < queue.length && !aborted) return { value: queue[head++]!, done: false };
      if (ended === true) return done;
      if (ended) {
        const { error } = ended;
        ended = true;
        throw error;
      }
      // Everything handed out: let the reader take the next chunk, and wait for its events.
      queue = [];
      head = 0;
      const read = new Promise<void>((resolve) => (chunkRead = resolve));
      chunkTaken();
      await read;
    }
  }

  return {
    // The events of a chunk already read are handed out without an async function's extra ticks.
    next: () => (head < queue.length && !aborted ? Promise.resolve({ value: queue[head++]!, done: false }) : wait()),
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
