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
  const stop = new AbortController();
  // Mirrors stop.signal.aborted: that getter, read per event, costs more than the rest of take().
  let stopped = false;
  const abort = () => {
    stopped = true;
    stop.abort();
  };
  const callerSignal = init.signal ?? undefined;
  let queue: EventSourceMessage[] = [];
  let head = 0;
  let wakeReader: (() => void) | undefined;
  let wakeLoop: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;

  function wake(): void {
    wakeLoop?.();
    wakeLoop = undefined;
  }

  function start(): void {
    if (callerSignal?.aborted) abort();
    callerSignal?.addEventListener('abort', abort);
    const options = normalizeOptions(input, { ...init, onmessage: undefined, signal: stop.signal });
    running = runStream(options, {
      // A chunk's events, handed over at once; the next read waits until the loop has taken them.
      onBatch: (messages) => {
        queue = messages;
        head = 0;
        wake();
        return new Promise<void>((resolve) => (wakeReader = resolve));
      },
    })
      .then(
        () => {
          ended = true;
        },
        (error: unknown) => {
          failure = { error };
        },
      )
      .finally(() => {
        callerSignal?.removeEventListener('abort', abort);
        wake();
      });
  }

  async function finish(): Promise<IteratorReturnResult<undefined>> {
    ended = true;
    queue = [];
    head = 0;
    if (running) {
      abort();
      wakeReader?.();
      await running;
    }
    return { value: undefined, done: true };
  }

  /** The next event of the batch at hand, if the loop may still have one. */
  function take(): IteratorResult<EventSourceMessage, undefined> | undefined {
    if (head === queue.length || stopped) return undefined;
    return { value: queue[head++]!, done: false };
  }

  async function wait(): Promise<IteratorResult<EventSourceMessage, undefined>> {
    if (!running && !ended) start();
    for (;;) {
      const next = take();
      if (next) return next;
      if (failure) {
        const { error } = failure;
        failure = undefined;
        ended = true;
        throw error;
      }
      if (ended) return { value: undefined, done: true };
      // Everything handed out: let the reader take the next chunk, and wait for its events.
      const reading = new Promise<void>((resolve) => (wakeLoop = resolve));
      wakeReader?.();
      wakeReader = undefined;
      await reading;
    }
  }

  return {
    // The events of a chunk already queued are handed out without an async function's extra ticks.
    next: () => {
      const next = take();
      return next ? Promise.resolve(next) : wait();
    },
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
