import { connect, discardBody, type Outcome } from './attempt.js';
import { ContentTypeError, HttpError } from './errors.js';
import { normalizeOptions, type NormalizedOptions } from './options.js';
import { decideFailure, retryAfterOf, retryDelay } from './retry.js';
import type { Consumer } from './stream.js';
import type { FetchEventSourceInit } from './types.js';
import { watchPage, whenOnline, whenVisible, type OnlineSource, type VisibilitySource } from './visibility.js';
import { ABORTED, delay, unlessAborted } from './wait.js';

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
  const options = normalizeOptions(input, init);
  await runStream(options, { onMessage: options.callbacks.onmessage ?? (() => {}) });
}

/** What the loop does next: reconnect after `delay` ms (told to `onretry` with `error`), or end. */
type Next = { delay: number; error: unknown } | undefined;

/** Where the loop learns that the page is hidden or the network is down; the globals by default. */
export interface PageSources {
  document?: VisibilitySource | undefined;
  online?: OnlineSource | undefined;
}

/**
 * The connection loop: connect → read → decide → wait → reconnect, one row of the README's
 * policy table per branch. Owns every timer and listener it creates and removes them all
 * before it settles. `random` (for jitter) and the page's sources are parameters so tests can
 * pass their own.
 */
export async function runStream(
  options: NormalizedOptions,
  consumer: Consumer,
  random = Math.random,
  sources: PageSources = {},
): Promise<void> {
  const { signal: callerSignal, callbacks, retry: policy } = options;
  if (callerSignal?.aborted) return;
  const stop = new AbortController();
  const stopped = stop.signal;
  const onCallerAbort = () => stop.abort();
  callerSignal?.addEventListener('abort', onCallerAbort);
  const page = watchPage(!options.openWhenHidden, sources.document);
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-last-event-id
  let lastEventId = options.lastEventId;
  let serverRetry: number | undefined;
  let requests = 0;
  // Consecutive failures (what `maxRetries` counts) and consecutive reconnects (what the backoff
  // grows with, clean closes included). Only a connection that stayed open for `minUptime`
  // starts both over, so a server that opens and drops at once is backed off like one that refuses.
  let failures = 0;
  let reconnects = 0;

  /** A failure: the delay before the next request, or a throw that ends the call. */
  function afterFailure(error: unknown, fatal: boolean): Next {
    failures += 1;
    reconnects += 1;
    const answer = callbacks.onerror?.(error);
    const scheduled = policy
      ? retryDelay({ step: reconnects, policy, serverRetry, retryAfter: retryAfterOf(error), random })
      : 0;
    const decision = decideFailure({ error, fatal, failures, policy, answer, scheduled, request: options.label });
    if (!decision.retry) throw decision.error;
    // We are retrying, so a response the error carried will not be read by anyone.
    if (error instanceof HttpError || error instanceof ContentTypeError) discardBody(error.response);
    return { delay: decision.delay, error };
  }

  /** The server ended the stream cleanly. */
  async function afterClose(): Promise<Next> {
    try {
      if ((await unlessAborted(callbacks.onclose?.(), stopped)) === ABORTED) return undefined;
    } catch (thrown) {
      // Kept from `@microsoft/fetch-event-source`: throwing in `onclose` asks for a retry.
      return afterFailure(thrown, false);
    }
    if (!options.reconnectOnClose || policy === false) return undefined;
    // Not a failure, so it does not count toward maxRetries; but one that came too soon grows the delay.
    reconnects += 1;
    return {
      delay: retryDelay({ step: reconnects, policy, serverRetry, retryAfter: undefined, random }),
      error: undefined,
    };
  }

  try {
    for (;;) {
      await whenVisible(page, stopped);
      if (stopped.aborted) return;
      let openedAt: number | undefined;
      const outcome: Outcome = await connect({
        options,
        number: ++requests,
        lastEventId,
        stopped,
        page,
        consumer,
        onOpen: () => (openedAt = Date.now()),
        onId: (id) => (lastEventId = id),
        onRetry: (ms) => (serverRetry = ms),
      });
      if (policy && openedAt !== undefined && Date.now() - openedAt >= policy.minUptime) {
        failures = 0;
        reconnects = 0;
      }
      let next: Next;
      switch (outcome.kind) {
        case 'aborted':
        case 'stop':
          return;
        case 'paused':
          continue;
        case 'closed':
          next = await afterClose();
          break;
        case 'failed':
          next = afterFailure(outcome.error, outcome.fatal);
          break;
      }
      if (!next || stopped.aborted) return;
      callbacks.onretry?.({ failures, delay: next.delay, error: next.error });
      // A page hidden during the wait ends it: the loop then waits for the page instead.
      await delay(next.delay, stopped, (done) => page.onChange(() => page.hidden && done()));
      if (stopped.aborted) return;
      if (!page.hidden) await whenOnline(stopped, sources.online);
    }
  } finally {
    callerSignal?.removeEventListener('abort', onCallerAbort);
    page.dispose();
  }
}
