import { connect } from './attempt.js';
import { ContentTypeError, HttpError } from './errors.js';
import { watchHandlers } from './handlers.js';
import { defaults, normalizeOptions, type NormalizedOptions } from './options.js';
import { decide, failureOf, initialState, type Ending } from './policy.js';
import { planAttempt, type AttemptPlan } from './request.js';
import { discardBody } from './response.js';
import type { FetchEventSourceInit, RetryReason } from './types.js';
import { watchPage, type OnlineSource, type VisibilitySource } from './visibility.js';
import { delay, unlessAborted, waitFor } from './wait.js';

/**
 * Streams Server-Sent Events from `input` with `fetch`: resolves when the stream is complete
 * (or `signal` aborts, or a 204 says there is nothing), reconnects with backoff and
 * `Last-Event-ID` on failures worth retrying, and rejects with a typed error on the rest
 * (see the policy table in docs/policy.md).
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
 * The connection loop: connect → read → decide → wait → reconnect. What to do after each attempt is
 * `decide`'s (policy.ts, the policy table of docs/policy.md); the loop performs it: it calls the handlers,
 * waits, and owns every timer and listener it creates, removing them all before it settles.
 * `random` (for jitter) and the page's sources are parameters so tests can pass their own.
 */
export async function runStream(
  options: NormalizedOptions,
  random = Math.random,
  sources: PageSources = {},
): Promise<void> {
  const page = watchPage(sources.document, sources.online);
  // The first promise from `onmessage` to reject fails the call as a throw would: `halt` ends
  // whatever the loop is doing, and the call rejects with `failure`.
  let failure: { error: unknown } | undefined;
  const halt = new AbortController();
  const handlers = watchHandlers((error) => {
    failure ??= { error };
    halt.abort();
  });
  // The loop's signal follows the caller's through a listener, removed when the call settles (not
  // `AbortSignal.any`, which the edge runtime's sandbox lacks).
  const { signal } = halt;
  const stopWithCaller = () => halt.abort();
  if (options.signal.aborted) stopWithCaller();
  options.signal.addEventListener('abort', stopWithCaller);
  // True once the caller aborted (the call resolves); throws a handler's late failure.
  const over = () => {
    if (options.signal.aborted) return true;
    if (failure) throw failure.error;
    return false;
  };
  let state = initialState(options.lastEventId);
  // The failure behind the reconnect under way, for what `onretry` is told.
  let lastError: unknown;
  const report = (reason: RetryReason, delay: number, jitter: number) =>
    options.onretry?.({
      failures: state.failures,
      delay,
      reason,
      step: state.reconnects,
      jitter,
      error: lastError,
      lastEventId: state.lastEventId,
    });

  try {
    for (;;) {
      const context = { attempt: state.attempt + 1, lastEventId: state.lastEventId };
      let plan: AttemptPlan;
      try {
        plan = planAttempt(options.call, await unlessAborted(options.request?.(context), signal), options.checkUrl);
      } catch (error) {
        if (signal.aborted && over()) return;
        throw error;
      }
      const pauses = !(options.openWhenHidden ?? defaults.openWhenHidden(plan.method));
      // A reconnect waits for the network too; the first request is always sent (a page on a plane
      // may still reach a server on localhost).
      const blockedBy = () =>
        pauses && page.hidden ? 'hidden' : state.attempt && page.offline ? 'offline' : undefined;
      const blocked = blockedBy();
      if (blocked) {
        if (state.attempt) report(blocked, Infinity, 0);
        await waitFor(signal, (done) =>
          page.onChange(() => {
            if (!blockedBy()) done();
          }, pauses),
        );
      }
      // A wait that ended early (the page hidden and shown, the network back) still keeps the floor.
      const untilFloor = options.retry ? state.requestedAt + options.retry.minInterval - Date.now() : 0;
      if (untilFloor > 0) await delay(untilFloor, signal);
      if (over()) return;

      state = { ...state, attempt: context.attempt, requestedAt: Date.now() };
      const result = await connect({ options, plan, context, page, pauses, signal, onReturned: handlers.watch });
      if (over()) return;
      const ended = result.outcome;
      // (An `aborted` attempt ended the call just above.)
      let outcome = typeof ended === 'string' ? (ended as Ending['outcome']) : 'failed';
      let error = outcome === 'failed' ? failureOf(ended, { ...plan, ...result }) : undefined;
      if (outcome === 'closed') {
        try {
          await unlessAborted(options.onclose?.(), signal);
        } catch (thrown) {
          if (over()) return;
          // Kept from `@microsoft/fetch-event-source`: throwing in `onclose` asks for a retry.
          outcome = 'failed';
          error = thrown;
        }
      }
      const answer = outcome === 'failed' ? options.onerror?.(error) : undefined;
      const ending = { ...result, outcome, error, answer, label: plan.label };
      const decision = decide(state, ending, options, Date.now(), random);
      if (decision.action === 'throw') throw decision.error;
      if (decision.action === 'stop') {
        // The call settles once every promise `onmessage` returned has.
        await waitFor(signal, (done) => {
          void handlers.settled().then(done);
          return () => {};
        });
        // (Throws if one of them rejected meanwhile.)
        over();
        return;
      }
      state = decision.state;
      if (decision.action === 'pause') {
        // A pause follows no failure: what `onretry` is told of the wait for the page names none.
        lastError = undefined;
        continue;
      }
      // We are retrying, so a response the error carried will not be read by anyone.
      if (error instanceof HttpError || error instanceof ContentTypeError) discardBody(error.response);
      if (over()) return;
      lastError = error;
      report(decision.reason, decision.delay, decision.jitter);
      // A page hidden during the wait ends it when this request pauses (the loop then waits for the
      // page instead), and so does the network coming back: the wait was spent offline, so the backoff
      // it served says nothing of the server.
      await delay(decision.delay, signal, (done) =>
        page.onChange((event) => {
          if ((pauses && page.hidden) || event?.type === 'online') done();
        }, pauses),
      );
    }
  } finally {
    options.signal.removeEventListener('abort', stopWithCaller);
  }
}
