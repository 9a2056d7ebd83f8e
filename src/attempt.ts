import { EventTooLargeError, IdleTimeoutError, NetworkError, type FetchEventSourceError } from './errors.js';
import type { NormalizedOptions } from './options.js';
import { buildAttempt } from './request.js';
import { classifyResponse, discardBody } from './response.js';
import { readEventStream, type StreamInit } from './stream.js';
import type { PageWatch } from './visibility.js';
import { unlessAborted } from './wait.js';

/** What one attempt is given by the loop. */
export interface AttemptInit extends StreamInit {
  options: NormalizedOptions;
  page: PageWatch;
  /** The call's requests so far, counting this one: 1 for the first. */
  attempt: number;
}

/**
 * How one attempt ended: the server ended the stream cleanly (`closed`), a 204 (`stop`), the
 * caller's signal (`aborted`), the page was hidden (`paused`), or the failure to decide on.
 */
export type Outcome = 'closed' | 'stop' | 'aborted' | 'paused' | FetchEventSourceError;

/** What one attempt did: how it ended, when its stream opened (if it did), what it delivered. */
export interface AttemptResult {
  outcome: Outcome;
  /** When the response opened the stream (a 2xx `text/event-stream`); undefined if it never did. */
  openedAt?: number | undefined;
  /** Events handed to the consumer. */
  delivered: number;
  /** The last event ID string after it: what the next request sends as `Last-Event-ID`. */
  lastEventId: string;
}

/**
 * One request and, if it opens, its whole stream. Every callback it awaits (`headers`, `fetch`,
 * `onopen`) is raced with the abort, so an abort settles it at once whatever the callback does.
 * Rejects only with what a handler threw (a bug must not re-POST a paid request).
 */
export async function connect(init: AttemptInit): Promise<AttemptResult> {
  const { options, page, attempt } = init;
  // `stopped` aborts with the whole call.
  const { label, idleTimeout, signal: stopped } = options;
  const result: AttemptResult = { outcome: 'closed', delivered: 0, lastEventId: init.lastEventId };
  // An attempt is aborted with its outcome as the reason: the caller's abort, a hidden page, an idle timeout.
  const controller = new AbortController();
  const { signal } = controller;
  const abortAttempt = () => controller.abort('aborted' satisfies Outcome);
  stopped.addEventListener('abort', abortAttempt);
  const unwatchPage = page.onChange(() => page.hidden && controller.abort('paused' satisfies Outcome));
  const idle = watchIdle(idleTimeout, () => controller.abort(new IdleTimeoutError(idleTimeout, label)));
  let opened: Response | undefined;
  try {
    const context = { attempt, lastEventId: init.lastEventId };
    const headers = typeof options.headers === 'function' ? options.headers(context) : options.headers;
    const [input, request] = buildAttempt(options, await unlessAborted(headers, signal), context, signal);
    // Called as a plain function, never as a method of `options` (a browser's fetch would throw).
    // A fetch that throws instead of returning a promise (none on this platform, or a broken custom
    // one) is a programming error: the call rejects with what it threw. A failed request rejects.
    const { fetch } = options;
    const pending = fetch(input, request);
    let response: Response;
    try {
      // A custom fetch may ignore the signal: the race settles it, and a late response is freed.
      response = await unlessAborted(pending, signal, discardBody);
    } catch (error) {
      throw signal.aborted ? error : new NetworkError('could not connect to', label, error);
    }
    // (A 204 has no body to free.)
    const verdict = classifyResponse(response, label);
    // An error keeps its response unread for the caller; the loop frees it when it retries.
    if (verdict !== 'open') {
      result.outcome = verdict;
      return result;
    }

    // https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
    // "announce the connection".
    opened = response;
    result.openedAt = Date.now();
    await unlessAborted(options.onopen?.(response), signal);
    if (response.body) {
      await readEventStream(response.body, init, signal, idle?.touch, (lastEventId, delivered) => {
        result.lastEventId = lastEventId;
        result.delivered = delivered;
      });
    }
  } catch (error) {
    // A dropped connection and an oversized event are failures to decide on (through onerror);
    // a handler's exception rejects as it is, unless the attempt was aborted (then it says why).
    if (!signal.aborted && !(error instanceof NetworkError || error instanceof EventTooLargeError)) throw error;
    result.outcome = error as FetchEventSourceError;
  } finally {
    // Frees a body nobody will read (an abort or a throw in `onopen`); a no-op once it was read.
    if (opened) discardBody(opened);
    idle?.stop();
    unwatchPage();
    stopped.removeEventListener('abort', abortAttempt);
  }
  // An abort outranks whatever the attempt ended with: the reason says which (see `Outcome`).
  if (signal.aborted) result.outcome = signal.reason as Outcome;
  return result;
}

/** Calls `onIdle` when `touch` has not been called for `ms`; none for 0 (off). */
function watchIdle(ms: number, onIdle: () => void) {
  if (!ms) return undefined;
  let timer = setTimeout(onIdle, ms);
  return {
    touch: () => {
      clearTimeout(timer);
      timer = setTimeout(onIdle, ms);
    },
    stop: () => clearTimeout(timer),
  };
}
