import { connect } from './attempt.js';
import { discardBody } from './response.js';
import { ContentTypeError, HttpError, IdleTimeoutError, NetworkError, NotResumableError } from './errors.js';
import { normalizeOptions, type NormalizedOptions } from './options.js';
import { safeMethods } from './request.js';
import { retryDelay, throwIfFinal } from './retry.js';
import type { FetchEventSourceInit } from './types.js';
import { watchPage, type OnlineSource, type VisibilitySource } from './visibility.js';
import { delay, unlessAborted, waitFor } from './wait.js';

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
  // (In an async function, so a bad option rejects the call rather than throwing at it.)
  return runStream(normalizeOptions(input, init));
}

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
  random = Math.random,
  sources: PageSources = {},
): Promise<void> {
  const { retry: policy, label, signal: stopped } = options;
  const page = watchPage(!options.openWhenHidden, sources.document, sources.online);
  // The spec's last event ID string (sent as `Last-Event-ID`), and the server's latest `retry:`.
  let lastEventId = options.lastEventId;
  let serverRetry: number | undefined;
  const onRetry = (ms: number) => (serverRetry = ms);
  // The call's requests so far (a headers function is told it).
  let attempt = 0;
  // Consecutive failures (what `maxRetries` counts) and consecutive reconnects (what the backoff
  // grows with, clean closes included). Only an attempt that made progress starts both over.
  let failures = 0;
  let reconnects = 0;
  // When the latest request started: the next one waits until `minInterval` has passed.
  let requestedAt = -Infinity;
  const untilFloor = () => (policy ? requestedAt + policy.minInterval - Date.now() : 0);

  // A reconnect waits for the network too; the first request is always sent (a page on a plane
  // may still reach a server on localhost).
  const ready = () => !page.hidden && !(attempt && page.offline);

  for (;;) {
    await waitFor(stopped, (done) => (ready() && done(), page.onChange(() => ready() && done())));
    // A wait that ended early (the page hidden and shown, the network back) still keeps the floor.
    if (untilFloor() > 0) await delay(untilFloor(), stopped);
    if (stopped.aborted) return;
    requestedAt = Date.now();
    const result = await connect({ options, page, attempt: ++attempt, lastEventId, onRetry });
    const { outcome, delivered } = result;
    ({ lastEventId } = result);
    // Progress starts the failure count and the backoff over: the attempt delivered an event, or its
    // stream stayed open `minUptime` (heartbeats). One that delivered nothing (a 200 that drops,
    // comments or `retry:` alone, an idle stall) is a failure like a refused connection, so a server
    // that opens and drops is backed off, while a stream that keeps resuming and moving on is never
    // given up on. (A stream that never opened was open for -∞ ms.)
    if (policy && (delivered || Date.now() - (result.openedAt ?? Infinity) >= policy.minUptime)) {
      failures = 0;
      reconnects = 0;
    }
    if (stopped.aborted || outcome === 'stop') return;
    if (outcome === 'paused') continue;
    let failed = outcome !== 'closed';
    let error: unknown = failed ? outcome : undefined;
    // Deviation from spec: the spec reconnects after any drop (it only has GET). A drop of a request
    // that is not safe to send again, after it delivered events, with no `Last-Event-ID` to send,
    // would start the stream over after what was shown (a second, different answer from a model).
    const dropped = error instanceof NetworkError || error instanceof IdleTimeoutError;
    if (dropped && delivered && !lastEventId && !safeMethods.includes(options.method)) {
      error = new NotResumableError(delivered, label, error);
    }
    if (!failed) {
      try {
        await unlessAborted(options.onclose?.(), stopped);
      } catch (thrown) {
        if (stopped.aborted) return;
        // Kept from `@microsoft/fetch-event-source`: throwing in `onclose` asks for a retry.
        failed = true;
        error = thrown;
      }
      // Deviation from spec: the spec reconnects after a clean end too; here the promise resolves,
      // since a finished answer is the usual end of a fetch stream (`reconnectOnClose` opts in).
      if (!failed && !options.reconnectOnClose) return;
    }
    let answer: unknown;
    if (failed) {
      failures += 1;
      answer = options.onerror?.(error);
    }
    // `retry: false` never reconnects (and is refused up front with `reconnectOnClose`).
    if (!policy) throw error;
    // A clean close is no failure, so it does not count toward maxRetries; but one that made no
    // progress grows the delay.
    reconnects += 1;
    const retryAfter = error instanceof HttpError ? error.retryAfter : undefined;
    let wait = retryDelay(reconnects, policy, { serverRetry, retryAfter }, random);
    if (failed) {
      // Deviation from spec: `onerror` may override the policy with a number of ms, 0 included.
      if (typeof answer === 'number') wait = answer;
      else throwIfFinal(error, failures, policy, label);
      // We are retrying, so a response the error carried will not be read by anyone.
      if (error instanceof HttpError || error instanceof ContentTypeError) discardBody(error.response);
    }
    if (stopped.aborted) return;
    // No server hint and no `onerror` number gets under the floor.
    wait = Math.max(wait, untilFloor());
    options.onretry?.({ failures, delay: wait, error, lastEventId });
    // A page hidden during the wait ends it (the loop then waits for the page instead), and so does
    // the network coming back: the wait was spent offline, so the backoff it served says nothing
    // of the server.
    await delay(wait, stopped, (done) => page.onChange((event) => (page.hidden || event?.type === 'online') && done()));
  }
}
