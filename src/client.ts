import { connect, discardBody, type Session } from './attempt.js';
import { ContentTypeError, HttpError } from './errors.js';
import { normalizeOptions, type NormalizedOptions } from './options.js';
import { decideFailure, retryDelay } from './retry.js';
import type { Consumer } from './stream.js';
import type { FetchEventSourceInit } from './types.js';
import { watchPage, whenOnline, whenVisible, type OnlineSource, type VisibilitySource } from './visibility.js';
import { delay, unlessAborted } from './wait.js';

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
  const { callbacks, retry: policy, label } = options;
  // Every listener the call adds to the caller's signal is removed by whoever added it.
  const stopped = options.signal ?? new AbortController().signal;
  if (stopped.aborted) return;
  const page = watchPage(!options.openWhenHidden, sources.document);
  const session: Session = { options, consumer, stopped, page, lastEventId: options.lastEventId, requests: 0 };
  // Consecutive failures (what `maxRetries` counts) and consecutive reconnects (what the backoff
  // grows with, clean closes included). Only a connection that stayed open for `minUptime`
  // starts both over, so a server that opens and drops at once is backed off like one that refuses.
  let failures = 0;
  let reconnects = 0;

  for (;;) {
    await whenVisible(page, stopped);
    if (stopped.aborted) return;
    const outcome = await connect(session);
    const { openedAt } = session;
    if (policy && openedAt !== undefined && Date.now() - openedAt >= policy.minUptime) {
      failures = 0;
      reconnects = 0;
    }
    if (stopped.aborted || outcome === 'stop') return;
    if (outcome === 'paused') continue;
    let failed = outcome !== 'closed';
    let error: unknown = failed ? outcome : undefined;
    if (!failed) {
      try {
        await unlessAborted(callbacks.onclose?.(), stopped);
      } catch (thrown) {
        if (stopped.aborted) return;
        // Kept from `@microsoft/fetch-event-source`: throwing in `onclose` asks for a retry.
        failed = true;
        error = thrown;
      }
      if (!failed && (!options.reconnectOnClose || !policy)) return;
    }
    // A clean close is no failure, so it does not count toward maxRetries; but one that came
    // too soon grows the delay.
    reconnects += 1;
    const retryAfter = error instanceof HttpError ? error.retryAfter : undefined;
    let wait = policy ? retryDelay(reconnects, policy, session.serverRetry, retryAfter, random) : 0;
    if (failed) {
      failures += 1;
      wait = decideFailure(error, failures, policy, callbacks.onerror?.(error), wait, label);
      // We are retrying, so a response the error carried will not be read by anyone.
      if (error instanceof HttpError || error instanceof ContentTypeError) discardBody(error.response);
    }
    if (stopped.aborted) return;
    callbacks.onretry?.({ failures, delay: wait, error });
    // A page hidden during the wait ends it: the loop then waits for the page instead.
    await delay(wait, stopped, (done) => page.onChange(() => page.hidden && done()));
    if (stopped.aborted) return;
    if (!page.hidden) await whenOnline(stopped, sources.online);
  }
}
