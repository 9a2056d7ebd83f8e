import {
  ContentTypeError,
  EventTooLargeError,
  HttpError,
  IdleTimeoutError,
  NetworkError,
  RetryLimitError,
} from './errors.js';
import type { EventSourceMessage, FetchEventSourceInit, NormalizedOptions } from './options.js';
import { normalizeOptions } from './options.js';
import { assertSendable, buildAttempt, requestLabel } from './request.js';
import { classifyResponse } from './response.js';
import { retryDelay } from './retry.js';
import { readEventStream } from './stream.js';
import { pausesWhenHidden, watchPage, whenOnline, type PageWatch } from './visibility.js';

/** How one attempt ended. */
type Outcome =
  | { kind: 'closed' } // the server ended the stream cleanly
  | { kind: 'stop' } // 204: nothing more to read
  | { kind: 'aborted' } // the caller's signal
  | { kind: 'paused' } // the page was hidden
  | { kind: 'failed'; error: unknown; fatal: boolean };

/** Marks an abort of an attempt because the page was hidden. */
const PAUSE = Symbol('pause');

export interface Consumer {
  /** `lastEventId` is the spec's last event ID string as of this event, for `MessageEvent.lastEventId`. */
  onMessage: (message: EventSourceMessage, lastEventId: string) => void;
  afterChunk?: (() => Promise<void>) | undefined;
}

/**
 * Streams Server-Sent Events from `input` with `fetch`: resolves when the stream is complete
 * (or `signal` aborts, or a 204 says there is nothing), reconnects with backoff and
 * `Last-Event-ID` on failures worth retrying, and rejects with a typed error on the rest
 * (see the policy table in the README).
 *
 * @example
 * await fetchEventSource('/api/chat', {
 *   method: 'POST',
 *   headers: () => ({ Authorization: `Bearer ${getToken()}` }),
 *   body: JSON.stringify({ prompt }),
 *   onmessage: (message) => render(message.data),
 * });
 */
export async function fetchEventSource(input: RequestInfo | URL, init?: FetchEventSourceInit): Promise<void> {
  const options = normalizeOptions(init);
  const { onmessage } = options;
  await run(input, options, { onMessage: onmessage ?? (() => {}) });
}

/**
 * The connection loop: connect → read → decide → wait → reconnect, one row of the
 * README's policy table per branch. Owns every timer and listener it creates and
 * removes them all before it settles.
 */
export async function run(input: RequestInfo | URL, options: NormalizedOptions, consumer: Consumer): Promise<void> {
  const request = requestLabel(input, options);
  assertSendable(input, request, options);
  const callerSignal = options.signal;
  if (callerSignal?.aborted) return;

  const stopped = new AbortController();
  const stop = () => stopped.abort();
  callerSignal?.addEventListener('abort', stop);
  const page = watchPage(pausesWhenHidden(options.openWhenHidden, request.method));
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-last-event-id
  let lastEventId = options.lastEventId;
  let serverRetry: number | undefined;
  let failures = 0;
  let attempt = 0;

  /** One request and, if it opens, its whole stream. */
  async function connect(): Promise<Outcome> {
    attempt += 1;
    const controller = new AbortController();
    const abortAttempt = () => controller.abort();
    stopped.signal.addEventListener('abort', abortAttempt);
    const unwatchPage = page.onChange(() => {
      if (page.hidden) controller.abort(PAUSE);
    });
    const idle = watchIdle(options.idleTimeout, () =>
      controller.abort(new IdleTimeoutError(options.idleTimeout, request)),
    );
    const interrupted = (): Outcome | undefined => {
      if (!controller.signal.aborted) return undefined;
      if (stopped.signal.aborted) return { kind: 'aborted' };
      if (controller.signal.reason === PAUSE) return { kind: 'paused' };
      return { kind: 'failed', error: controller.signal.reason, fatal: false };
    };
    try {
      const [fetchInput, fetchInit] = await buildAttempt(input, options, { attempt, lastEventId }, controller.signal);
      let response: Response;
      try {
        const { fetch } = options;
        response = await untilAborted(fetch(fetchInput, fetchInit), controller.signal);
      } catch (error) {
        return interrupted() ?? { kind: 'failed', error: new NetworkError('connect', request, error), fatal: false };
      }
      const verdict = classifyResponse(response, request, Date.now());
      if (verdict.kind === 'stop') {
        discardBody(response);
        return { kind: 'stop' };
      }
      if (verdict.kind !== 'open') return { kind: 'failed', error: verdict.error, fatal: verdict.kind === 'fatal' };

      // https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
      // "announce the connection"; the backoff starts over.
      failures = 0;
      try {
        await options.onopen?.(response);
      } catch (error) {
        discardBody(response);
        throw error;
      }
      if (response.body) {
        await readEventStream({
          body: response.body,
          request,
          signal: controller.signal,
          maxEventSize: options.maxEventSize,
          lastEventId,
          onId: (id) => (lastEventId = id),
          onMessage: consumer.onMessage,
          onRetry: (ms) => (serverRetry = ms),
          onBytes: idle.touch,
          afterChunk: consumer.afterChunk,
        });
      }
      return interrupted() ?? { kind: 'closed' };
    } catch (error) {
      const outcome = interrupted();
      if (outcome) return outcome;
      // A dropped connection is retried and an oversized event is fatal, both through onerror;
      // a handler's exception rejects as it is (a bug must not re-POST a paid request).
      if (error instanceof NetworkError) return { kind: 'failed', error, fatal: false };
      if (error instanceof EventTooLargeError) return { kind: 'failed', error, fatal: true };
      throw error;
    } finally {
      idle.stop();
      unwatchPage();
      stopped.signal.removeEventListener('abort', abortAttempt);
    }
  }

  try {
    for (;;) {
      await page.whenVisible(stopped.signal);
      if (stopped.signal.aborted) return;
      const outcome = await connect();
      let error: unknown;
      let delay: number;
      switch (outcome.kind) {
        case 'aborted':
        case 'stop':
          return;
        case 'paused':
          continue;
        case 'closed':
          try {
            await options.onclose?.();
            if (!options.reconnectOnClose) return;
            // A clean end is not a failure: the base delay, never grown.
            delay = retryDelay({
              failures: 0,
              policy: options.retry,
              serverRetry,
              retryAfter: undefined,
              random: options.random,
            });
            break;
          } catch (thrown) {
            // Kept from `@microsoft/fetch-event-source`: throwing in `onclose` asks for a retry.
            error = thrown;
            delay = decide(thrown, false);
            break;
          }
        case 'failed':
          error = outcome.error;
          delay = decide(outcome.error, outcome.fatal);
          break;
      }
      options.onretry?.({ failures, delay, error });
      await sleep(delay, stopped.signal, page);
      if (stopped.signal.aborted) return;
      if (!page.hidden) await whenOnline(stopped.signal);
    }
  } finally {
    callerSignal?.removeEventListener('abort', stop);
    page.dispose();
  }

  /** The delay before the next attempt after a failure, or a throw that ends the call. */
  function decide(error: unknown, fatal: boolean): number {
    failures += 1;
    const chosen = options.onerror?.(error);
    if (!options.reconnects) throw error;
    let delay: number;
    if (typeof chosen === 'number') delay = chosen;
    else if (fatal) throw error;
    else if (failures > options.retry.maxRetries) throw new RetryLimitError(failures, request, error);
    else {
      const retryAfter = error instanceof HttpError ? error.retryAfter : undefined;
      delay = retryDelay({ failures, policy: options.retry, serverRetry, retryAfter, random: options.random });
    }
    // We are retrying, so a response the error carried will not be read by anyone.
    if (error instanceof HttpError || error instanceof ContentTypeError) discardBody(error.response);
    return delay;
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (a custom fetch may ignore it). */
function untilAborted<T extends Response>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the abort reason, passed on as it is
      reject(signal.reason);
      promise.then(discardBody, () => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- fetch's rejection, passed on as it is
        reject(error);
      },
    );
  });
}

/** Waits `ms`; ends early when `signal` aborts or the page hides (a paused stream retries when visible). */
function sleep(ms: number, signal: AbortSignal, page: PageWatch): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      unwatchPage();
      resolve();
    };
    if (signal.aborted) return resolve();
    // setTimeout fires at once past 2^31-1 ms; a far-off Retry-After must still wait.
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    signal.addEventListener('abort', done);
    const unwatchPage = page.onChange(() => {
      if (page.hidden) done();
    });
  });
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

function discardBody(response: Response): void {
  if (response.body && !response.body.locked) response.body.cancel().catch(() => {});
}
