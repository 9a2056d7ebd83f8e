/**
 * `fetch-eventsource/react`: a stream as React state. React is an optional peer dependency; the
 * main entry never imports this file. The library is imported by its package name, so the app and
 * this hook share one copy of it (one `HttpError` class, one `instanceof`).
 */
import { fetchEventSource, type EventSourceMessage, type FetchEventSourceInit } from 'fetch-eventsource';
import { useCallback, useEffect, useRef, useState } from 'react';

/** What a UI renders: one state at a time. */
export type StreamStatus =
  | { state: 'idle' } // nothing started yet
  | { state: 'connecting' } // the first request is out
  | { state: 'open' } // events are flowing
  | { state: 'reconnecting'; at: number; attempt: number } // the next request goes at `at` (ms since epoch)
  | { state: 'done' } // the server ended the stream, or a 204
  | { state: 'stopped' } // `stop()`, a newer `start()`, or the caller's signal
  | { state: 'failed'; error: unknown }; // the typed error that ended it (an `HttpError`, a `RetryLimitError`, …)

/** The options of `start`: those of `fetchEventSource`; the hook owns `onmessage`. */
export type StreamInit = Omit<FetchEventSourceInit, 'onmessage'>;

export interface EventStream {
  status: StreamStatus;
  /** Opens a stream, aborting the one before. Resolves when it ends, never rejects (see `status`). */
  start: (input: RequestInfo | URL, init?: StreamInit) => Promise<void>;
  /** Aborts the stream and any pending reconnect. */
  stop: () => void;
}

/**
 * Streams Server-Sent Events into a component. `onMessage` is read at each event, so passing a new
 * function each render never restarts the stream. Unmounting aborts the request and any retry
 * timer, and no state is set after that. Under `<StrictMode>` a `start()` from an effect sends one
 * request: the simulated unmount aborts the first call before its request goes out.
 *
 * @example
 * const { status, start, stop } = useEventStream((message) => setText((t) => t + message.data));
 * <button onClick={() => start('/api/chat', { method: 'POST', body })}>Ask</button>
 */
export function useEventStream(onMessage: (message: EventSourceMessage) => void): EventStream {
  const [status, setStatus] = useState<StreamStatus>({ state: 'idle' });
  const current = useRef<AbortController | null>(null);
  const latestOnMessage = useRef(onMessage);
  latestOnMessage.current = onMessage;

  const stop = useCallback(() => current.current?.abort(), []);

  const start = useCallback(async (input: RequestInfo | URL, init: StreamInit = {}) => {
    current.current?.abort();
    const own = new AbortController();
    current.current = own;
    // Only the newest stream of a mounted component may set state.
    const update = (next: StreamStatus) => {
      if (current.current === own) setStatus(next);
    };
    const callerSignal = init.signal ?? undefined;
    const signal = callerSignal ? AbortSignal.any([own.signal, callerSignal]) : own.signal;
    let attempt = 1;
    update({ state: 'connecting' });
    try {
      await fetchEventSource(input, {
        ...init,
        signal,
        onopen: (response) => {
          update({ state: 'open' });
          return init.onopen?.(response);
        },
        onmessage: (message) => latestOnMessage.current(message),
        onretry: (info) => {
          attempt += 1;
          update({ state: 'reconnecting', at: Date.now() + info.delay, attempt });
          init.onretry?.(info);
        },
      });
      update(signal.aborted ? { state: 'stopped' } : { state: 'done' });
    } catch (error) {
      update({ state: 'failed', error });
    }
  }, []);

  // Unmount: abort, and forget the stream so its ending sets no state.
  useEffect(
    () => () => {
      current.current?.abort();
      current.current = null;
    },
    [],
  );
  return { status, start, stop };
}
