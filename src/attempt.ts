import { EventTooLargeError, IdleTimeoutError, NetworkError, type FetchEventSourceError } from './errors.js';
import type { NormalizedOptions } from './options.js';
import { buildAttempt, type AttemptPlan } from './request.js';
import { classifyResponse, discardBody } from './response.js';
import { readEventStream } from './stream.js';
import type { AttemptContext } from './types.js';
import type { PageWatch } from './visibility.js';
import { unlessAborted } from './wait.js';

/** What one attempt is given by the loop. */
export interface AttemptInit {
  options: NormalizedOptions;
  /** This attempt's request (`request(context)` applied). */
  plan: AttemptPlan;
  /** What the request's `headers` function is told; `lastEventId` is sent as `Last-Event-ID`. */
  context: AttemptContext;
  page: PageWatch;
  /** Whether this attempt is cut short when the page is hidden (its method's default, or `openWhenHidden`). */
  pauses: boolean;
  /** Aborts when the whole call ends. */
  signal: AbortSignal;
  /** Takes what `onmessage` returned (see `watchHandlers`). */
  onReturned: (value: unknown) => void;
}

/**
 * How one attempt ended: the server ended the stream cleanly (`closed`), a 204 (`stop`), the
 * call's signal (`aborted`), the page was hidden (`paused`), or the failure to decide on.
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
  /** The latest `retry:` the stream sent (ms), if it sent one. */
  serverRetry?: number | undefined;
}

/**
 * One request and, if it opens, its whole stream. Every callback it awaits (`headers`, `fetch`,
 * `onopen`) is raced with the abort, so an abort settles it at once whatever the callback does.
 * Rejects only with what a handler threw (a bug must not re-POST a paid request).
 */
export async function connect(init: AttemptInit): Promise<AttemptResult> {
  const { options, plan, context, page, signal: callSignal } = init;
  const { label } = plan;
  const { idleTimeout } = options;
  const result: AttemptResult = { outcome: 'closed', delivered: 0, lastEventId: context.lastEventId };
  // Why the attempt was cut short, if it was (the call ended, the page was hidden, the stream went
  // idle): the first reason wins, and is the attempt's outcome whatever the cut made it throw.
  let interruption: Outcome | undefined;
  const controller = new AbortController();
  const { signal } = controller;
  const interrupt = (reason: Outcome) => {
    interruption ??= reason;
    controller.abort();
  };
  const onCallEnd = () => interrupt('aborted');
  callSignal.addEventListener('abort', onCallEnd);
  const unwatchPage = page.onChange(() => {
    if (init.pauses && page.hidden) interrupt('paused');
  }, init.pauses);
  const idle = watchIdle(idleTimeout, () => interrupt(new IdleTimeoutError(idleTimeout, label)));
  let opened: Response | undefined;
  try {
    const headers = typeof options.headers === 'function' ? options.headers(context) : options.headers;
    const attemptContext = { ...context, idempotencyKey: options.idempotencyKey };
    const [input, request] = buildAttempt(plan, await unlessAborted(headers, signal), attemptContext, signal);
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
      const stream = {
        options,
        label,
        lastEventId: context.lastEventId,
        onRetry: (ms: number) => {
          result.serverRetry = ms;
        },
        onReturned: init.onReturned,
      };
      await readEventStream(response.body, stream, signal, idle?.touch, (lastEventId, delivered) => {
        result.lastEventId = lastEventId;
        result.delivered = delivered;
      });
    }
  } catch (error) {
    // A dropped connection and an oversized event are failures to decide on (through onerror);
    // a handler's exception rejects as it is, unless the attempt was cut short (then that says why).
    if (!interruption && !(error instanceof NetworkError || error instanceof EventTooLargeError)) throw error;
    result.outcome = error as FetchEventSourceError;
  } finally {
    // Frees a body nobody will read (an abort or a throw in `onopen`); a no-op once it was read.
    if (opened) discardBody(opened);
    idle?.stop();
    unwatchPage();
    callSignal.removeEventListener('abort', onCallEnd);
  }
  // A cut outranks whatever the attempt ended with.
  if (interruption) result.outcome = interruption;
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
