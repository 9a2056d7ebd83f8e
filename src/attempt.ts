import { EventTooLargeError, IdleTimeoutError, NetworkError } from './errors.js';
import type { NormalizedOptions } from './options.js';
import { buildAttempt } from './request.js';
import { classifyResponse } from './response.js';
import { readEventStream, type Consumer } from './stream.js';
import type { PageWatch } from './visibility.js';
import { ABORTED, unlessAborted } from './wait.js';

/** How one attempt ended. */
export type Outcome =
  | { kind: 'closed' } // the server ended the stream cleanly
  | { kind: 'stop' } // 204: nothing more to read
  | { kind: 'aborted' } // the caller's signal
  | { kind: 'paused' } // the page was hidden
  | { kind: 'failed'; error: unknown; fatal: boolean };

export interface Attempt {
  options: NormalizedOptions;
  /** The requests of this call so far, counting this one. */
  number: number;
  lastEventId: string;
  /** Aborts with the whole call. */
  stopped: AbortSignal;
  page: PageWatch;
  consumer: Consumer;
  /** The connection opened: a 2xx `text/event-stream`, before `onopen`. */
  onOpen: () => void;
  /** The last event ID string changed. */
  onId: (id: string) => void;
  /** The server sent `retry:`. */
  onRetry: (ms: number) => void;
}

/** Marks an abort of an attempt because the page was hidden. */
const PAUSE = Symbol('pause');

/**
 * One request and, if it opens, its whole stream. Every callback it awaits (`headers`, `fetch`,
 * `onopen`) is raced with the abort, so an abort settles it at once whatever the callback does.
 */
export async function connect(attempt: Attempt): Promise<Outcome> {
  const { options, stopped, page } = attempt;
  const { label: request, callbacks } = options;
  const controller = new AbortController();
  const { signal } = controller;
  const abortAttempt = () => controller.abort();
  stopped.addEventListener('abort', abortAttempt);
  const unwatchPage = page.onChange(() => page.hidden && controller.abort(PAUSE));
  const idle = watchIdle(options.idleTimeout, () =>
    controller.abort(new IdleTimeoutError(options.idleTimeout, request)),
  );
  const interrupted = (): Outcome => {
    if (stopped.aborted) return { kind: 'aborted' };
    if (signal.reason === PAUSE) return { kind: 'paused' };
    return { kind: 'failed', error: signal.reason, fatal: false };
  };
  try {
    const context = { attempt: attempt.number, lastEventId: attempt.lastEventId };
    const headers = typeof options.headers === 'function' ? options.headers(context) : options.headers;
    const ownHeaders = await unlessAborted(headers, signal);
    if (ownHeaders === ABORTED) return interrupted();
    const [input, init] = buildAttempt(options, ownHeaders, context, signal);
    // Called as a plain function, never as a method of `options` (a browser's fetch would throw).
    const { fetch } = options;
    let response: Response | typeof ABORTED;
    try {
      // A custom fetch may ignore the signal: the race settles it, and a late response is freed.
      response = await unlessAborted(fetch(input, init), signal, discardBody);
    } catch (error) {
      return signal.aborted
        ? interrupted()
        : { kind: 'failed', error: new NetworkError('connect', request, error), fatal: false };
    }
    if (response === ABORTED) return interrupted();
    const verdict = classifyResponse(response, request, Date.now());
    if (verdict.kind === 'stop') {
      discardBody(response);
      return { kind: 'stop' };
    }
    if (verdict.kind !== 'open') return { kind: 'failed', error: verdict.error, fatal: verdict.kind === 'fatal' };

    // https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
    // "announce the connection".
    attempt.onOpen();
    let opened: void | typeof ABORTED;
    try {
      opened = await unlessAborted(callbacks.onopen?.(response), signal);
    } catch (error) {
      discardBody(response);
      throw error;
    }
    if (opened === ABORTED) {
      discardBody(response);
      return interrupted();
    }
    if (response.body) {
      await readEventStream({
        body: response.body,
        request,
        signal,
        maxEventSize: options.maxEventSize,
        lastEventId: attempt.lastEventId,
        onId: attempt.onId,
        consumer: attempt.consumer,
        onRetry: attempt.onRetry,
        onBytes: idle.touch,
      });
    }
    return signal.aborted ? interrupted() : { kind: 'closed' };
  } catch (error) {
    if (signal.aborted) return interrupted();
    // A dropped connection is retried and an oversized event is fatal, both through onerror;
    // a handler's exception rejects as it is (a bug must not re-POST a paid request).
    if (error instanceof NetworkError) return { kind: 'failed', error, fatal: false };
    if (error instanceof EventTooLargeError) return { kind: 'failed', error, fatal: true };
    throw error;
  } finally {
    idle.stop();
    unwatchPage();
    stopped.removeEventListener('abort', abortAttempt);
  }
}

/** Calls `onIdle` when `touch` has not been called for `ms` (0: never). */
function watchIdle(ms: number, onIdle: () => void) {
  if (ms === 0) return { touch: () => {}, stop: () => {} };
  let timer = setTimeout(onIdle, ms);
  return {
    touch() {
      clearTimeout(timer);
      timer = setTimeout(onIdle, ms);
    },
    stop: () => clearTimeout(timer),
  };
}

export function discardBody(response: Response): void {
  if (response.body && !response.body.locked) response.body.cancel().catch(() => {});
}
