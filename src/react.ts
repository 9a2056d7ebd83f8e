/**
 * `fetch-eventsource/react`: a stream as React state. React is an optional peer dependency; the
 * main entry never imports this file. The library is imported by its package name, so the app and
 * this hook share one copy of it (one `HttpError` class, one `instanceof`).
 */
import {
  fetchEventSource,
  type EventSourceMessage,
  type FetchEventSourceInit,
  type RetryReason,
} from 'fetch-eventsource';
import { useCallback, useEffect, useRef, useState } from 'react';

/** What a UI renders: one state at a time. */
export type StreamStatus =
  | { state: 'idle' } // nothing started yet
  | { state: 'connecting' } // the first request is out
  | { state: 'open' } // events are flowing
  // Request number `attempt` goes at `at` (ms since epoch; `Infinity` while it waits for the network or
  // the page, as `reason` says): see `RetryInfo`.
  | { state: 'reconnecting'; at: number; attempt: number; reason: RetryReason }
  | { state: 'done' } // the server ended the stream, a 204, or the handler called `done()`
  | { state: 'stopped' } // `stop()`, a newer `start()`, the caller's signal, or an unmount the component came back from
  | { state: 'failed'; error: unknown }; // the typed error that ended it (an `HttpError`, a `RetryLimitError`, …)

/** The options of `start`: those of `fetchEventSource`; the hook owns `onmessage`. */
export type StreamInit = Omit<FetchEventSourceInit, 'onmessage'>;

/** What the handler can do besides reading the event. */
export interface StreamControls {
  /** Ends the stream as `done` (the `[DONE]` of an LLM API), not `stopped`: aborts the request. */
  done: () => void;
}

export interface EventStreamOptions {
  /**
   * Milliseconds to gather events before handing them to `onMessage`, all in one task, so React
   * renders once for the lot rather than once per token. `0` hands each one over as it arrives.
   * @default 0
   */
  throttle?: number | undefined;
}

export interface EventStream {
  status: StreamStatus;
  /** True while the stream is connecting, open or reconnecting: what a "busy" spinner or a Stop button needs. */
  isActive: boolean;
  /**
   * The id of the last event that carried one, `""` before any: persist it to resume after a reload.
   * Read when needed; a new id does not re-render the component.
   */
  readonly lastEventId: string;
  /** Opens a stream, aborting the one before. Resolves with its final status; never rejects (see `status`). */
  start: (input: RequestInfo | URL, init?: StreamInit) => Promise<StreamStatus>;
  /**
   * Starts the last `start()`'s request again, from `lastEventId`: the server resumes after it. It
   * knows only this component's streams: after a page reload, start again with a saved id (the
   * reload recipe in docs/react.md), and it resolves `idle`, sending nothing, when nothing was started.
   */
  resume: () => Promise<StreamStatus>;
  /** Aborts the stream and any pending reconnect. */
  stop: () => void;
}

/**
 * Streams Server-Sent Events into a component. `onMessage` is read at each event, so passing a new
 * function each render never restarts the stream. Unmounting aborts the request and any retry
 * timer, and no state is set after that; a component that comes back (React's `<StrictMode>` double
 * effects, `<Activity>` shown again) finds the stream `stopped`, as it is. Under `<StrictMode>` a
 * `start()` from an effect sends one request: the simulated unmount aborts the first call before
 * its request goes out.
 *
 * @example
 * const { status, isActive, start, stop } = useEventStream((message, { done }) => {
 *   if (message.data === '[DONE]') return done();
 *   setText((t) => t + JSON.parse(message.data).token);
 * });
 * <button disabled={isActive} onClick={() => start('/api/chat', { method: 'POST', body })}>Ask</button>
 */
export function useEventStream(
  onMessage: (message: EventSourceMessage, controls: StreamControls) => void,
  { throttle = 0 }: EventStreamOptions = {},
): EventStream {
  const [status, setStatus] = useState<StreamStatus>({ state: 'idle' });
  const current = useRef<AbortController | null>(null);
  const latestOnMessage = useRef(onMessage);
  latestOnMessage.current = onMessage;
  // The last start()'s arguments and the last event id seen, for resume().
  const last = useRef<{ input: RequestInfo | URL; init: StreamInit } | null>(null);
  const lastId = useRef('');
  // Set when an unmount aborted a stream: a component that comes back then shows `stopped`.
  const abortedByUnmount = useRef(false);

  const stop = useCallback(() => current.current?.abort(), []);

  const start = useCallback(
    async (input: RequestInfo | URL, init: StreamInit = {}): Promise<StreamStatus> => {
      current.current?.abort();
      const own = new AbortController();
      current.current = own;
      last.current = { input, init };
      // Only the newest stream of a mounted component may set state.
      const update = (next: StreamStatus) => {
        if (current.current === own) setStatus(next);
        return next;
      };
      const callerSignal = init.signal ?? undefined;
      const signal = callerSignal ? AbortSignal.any([own.signal, callerSignal]) : own.signal;
      let finished = false;
      const controls: StreamControls = {
        done: () => {
          finished = true;
          own.abort();
        },
      };
      // Events gathered while `throttle` runs, handed over together.
      let batch: EventSourceMessage[] = [];
      let flushing: ReturnType<typeof setTimeout> | undefined;
      // Events still gathered when the stream is stopped (stop(), a newer start(), the caller's
      // signal, an unmount) or `done()` are dropped: no handler runs after that.
      const flush = () => {
        flushing = undefined;
        const taken = batch;
        batch = [];
        for (const message of taken) {
          if (signal.aborted) return;
          latestOnMessage.current(message, controls);
        }
      };
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
          onmessage: (message) => {
            if (message.id && current.current === own) lastId.current = message.id;
            if (!throttle) return latestOnMessage.current(message, controls);
            batch.push(message);
            flushing ??= setTimeout(flush, throttle);
          },
          onretry: (info) => {
            // A wait for the network or the page comes after the reconnect was announced: same attempt.
            if (info.reason !== 'offline' && info.reason !== 'hidden') attempt += 1;
            update({ state: 'reconnecting', at: Date.now() + info.delay, attempt, reason: info.reason });
            init.onretry?.(info);
          },
        });
        clearTimeout(flushing);
        flush();
        return update(signal.aborted && !finished ? { state: 'stopped' } : { state: 'done' });
      } catch (error) {
        clearTimeout(flushing);
        flush();
        return update({ state: 'failed', error });
      }
    },
    [throttle],
  );

  const resume = useCallback(() => {
    const previous = last.current;
    if (!previous) return Promise.resolve<StreamStatus>({ state: 'idle' });
    return start(previous.input, { ...previous.init, lastEventId: lastId.current || previous.init.lastEventId });
  }, [start]);

  // Unmount (or an effect cleanup of <StrictMode> or <Activity>): abort, and forget the stream so its
  // ending sets no state. Mounting again after that shows the stream as it is: stopped.
  useEffect(() => {
    if (abortedByUnmount.current) {
      abortedByUnmount.current = false;
      setStatus({ state: 'stopped' });
    }
    return () => {
      if (current.current && !current.current.signal.aborted) abortedByUnmount.current = true;
      current.current?.abort();
      current.current = null;
    };
  }, []);

  const isActive = status.state === 'connecting' || status.state === 'open' || status.state === 'reconnecting';
  return {
    status,
    isActive,
    get lastEventId() {
      return lastId.current;
    },
    start,
    resume,
    stop,
  };
}
