import { EventTooLargeError, IdleTimeoutError, NetworkError, type FetchEventSourceError } from './errors.js';
import type { NormalizedOptions } from './options.js';
import { buildAttempt } from './request.js';
import { classifyResponse } from './response.js';
import { readEventStream, type Consumer } from './stream.js';
import type { PageWatch } from './visibility.js';
import { unlessAborted } from './wait.js';

/** What one call keeps across its attempts: set up by the loop, updated by each attempt. */
export interface Session {
  readonly options: NormalizedOptions;
  readonly consumer: Consumer;
  /** Aborts with the whole call. */
  readonly stopped: AbortSignal;
  readonly page: PageWatch;
  /** https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-last-event-id */
  lastEventId: string;
  /** The server's latest `retry:` (ms). */
  serverRetry?: number | undefined;
  /** The requests so far, counting the current one. */
  requests: number;
  /** When the current attempt's stream opened (a 2xx `text/event-stream`), if it did. */
  openedAt?: number | undefined;
}

/**
 * How one attempt ended: the server ended the stream cleanly (`closed`), a 204 (`stop`), the
 * caller's signal (`aborted`), the page was hidden (`paused`), or the failure to decide on.
 */
export type Outcome = 'closed' | 'stop' | 'aborted' | 'paused' | FetchEventSourceError;

/**
 * One request and, if it opens, its whole stream. Every callback it awaits (`headers`, `fetch`,
 * `onopen`) is raced with the abort, so an abort settles it at once whatever the callback does.
 */
export async function connect(session: Session): Promise<Outcome> {
  const { options, stopped, page } = session;
  const { label, callbacks, idleTimeout } = options;
  // An attempt is aborted with its outcome as the reason: the caller's abort, a hidden page, an idle timeout.
  const controller = new AbortController();
  const { signal } = controller;
  const abortAttempt = () => controller.abort('aborted' satisfies Outcome);
  stopped.addEventListener('abort', abortAttempt);
  const unwatchPage = page.onChange(() => page.hidden && controller.abort('paused' satisfies Outcome));
  const idle = watchIdle(idleTimeout, () => controller.abort(new IdleTimeoutError(idleTimeout, label)));
  let opened: Response | undefined;
  session.openedAt = undefined;
  try {
    const context = { attempt: ++session.requests, lastEventId: session.lastEventId };
    const headers = typeof options.headers === 'function' ? options.headers(context) : options.headers;
    const [input, init] = buildAttempt(options, await unlessAborted(headers, signal), context, signal);
    // Called as a plain function, never as a method of `options` (a browser's fetch would throw).
    const { fetch } = options;
    let response: Response;
    try {
      // A custom fetch may ignore the signal: the race settles it, and a late response is freed.
      response = await unlessAborted(fetch(input, init), signal, discardBody);
    } catch (error) {
      throw signal.aborted ? error : new NetworkError('could not connect to', label, error);
    }
    const verdict = classifyResponse(response, label, Date.now());
    if (verdict === 'stop') discardBody(response);
    // An error keeps its response unread for the caller; the loop frees it when it retries.
    if (verdict !== 'open') return verdict;

    // https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
    // "announce the connection".
    opened = response;
    session.openedAt = Date.now();
    await unlessAborted(callbacks.onopen?.(response), signal);
    if (response.body) await readEventStream(response.body, session, signal, idle?.touch);
    return signal.aborted ? (signal.reason as Outcome) : 'closed';
  } catch (error) {
    if (signal.aborted) return signal.reason as Outcome;
    // A dropped connection and an oversized event are failures to decide on (through onerror);
    // a handler's exception rejects as it is (a bug must not re-POST a paid request).
    if (error instanceof NetworkError || error instanceof EventTooLargeError) return error;
    throw error;
  } finally {
    // Frees a body nobody will read (an abort or a throw in `onopen`); a no-op once it was read.
    if (opened) discardBody(opened);
    idle?.stop();
    unwatchPage();
    stopped.removeEventListener('abort', abortAttempt);
  }
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

export function discardBody(response: Response): void {
  if (response.body && !response.body.locked) response.body.cancel().catch(() => {});
}
