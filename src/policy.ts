/**
 * The reconnect policy, the policy table of docs/policy.md as code: the status policy as data, and what the
 * loop does after each attempt as a pure function of (state, how the attempt ended, now). The loop
 * in client.ts only performs what `decide` returns.
 */
import {
  ContentTypeError,
  EventTooLargeError,
  HttpError,
  IdleTimeoutError,
  NetworkError,
  NotResumableError,
  RetryLimitError,
} from './errors.js';
import type { ResolvedRetryPolicy } from './options.js';
import { safeMethods } from './request.js';
import { retryDelay, type Wait } from './retry.js';

/**
 * The status policy: a 2xx `text/event-stream` opens, 204 stops, these are retried (408 and 429 say
 * "come back later"; every 5xx is the server's own trouble), every other status is fatal; and these
 * carry a `Retry-After` worth reading (RFC 9110 §10.2.3: 503; RFC 6585: 429).
 */
export const retryStatuses: readonly number[] = [408, 429];
export const retryAfterStatuses: readonly number[] = [429, 503];

/**
 * A retry would meet the same answer: a wrong content type, an oversized event, or a 4xx but
 * 408/429 (a 401 retried forever is the bug we exist to avoid); or it would start over a stream that
 * cannot resume (`NotResumableError`). Dropped connections, idle timeouts and anything `onclose`
 * throws are retried.
 */
// Deviation from spec: the spec fails the connection on any status but 200; here 408, 429 and 5xx
// are retried with backoff, as temporary by definition.
export function isFatal(error: unknown): boolean {
  if (error instanceof HttpError) return error.status < 500 && !retryStatuses.includes(error.status);
  return error instanceof ContentTypeError || error instanceof EventTooLargeError || error instanceof NotResumableError;
}

/** What the loop carries from one attempt to the next. */
export interface LoopState {
  /** Requests sent so far. */
  attempt: number;
  /** Consecutive failures: what `maxRetries` counts. */
  failures: number;
  /** Consecutive reconnects, clean closes included: the backoff's step. */
  reconnects: number;
  /** The spec's last event ID string, sent as `Last-Event-ID`. */
  lastEventId: string;
  /** The server's latest `retry:` (ms). */
  serverRetry: number | undefined;
  /** When the latest request started; the next one waits until `minInterval` has passed. */
  requestedAt: number;
}

export function initialState(lastEventId: string): LoopState {
  return { attempt: 0, failures: 0, reconnects: 0, lastEventId, serverRetry: undefined, requestedAt: -Infinity };
}

/** How one attempt ended, once its handlers (`onclose`, `onerror`) had their say. */
export interface Ending {
  /**
   * `closed`: the server ended the stream and `onclose` accepted it; `stop`: a 204; `paused`: the page
   * was hidden; `failed`: `error` is the failure (see `failureOf`).
   */
  outcome: 'closed' | 'stop' | 'paused' | 'failed';
  error?: unknown;
  /** What `onerror` returned for the failure. */
  answer?: unknown;
  /** When the response opened the stream; undefined if it never did. */
  openedAt?: number | undefined;
  /** The last event ID string after the attempt, and the latest `retry:` it carried. */
  lastEventId: string;
  serverRetry?: number | undefined;
  /** `METHOD origin/path` of the attempt, for a `RetryLimitError`. */
  label: string;
}

/** What the loop does next. */
export type Decision =
  | { action: 'stop' }
  | { action: 'throw'; error: unknown }
  | { action: 'pause'; state: LoopState }
  | ({ action: 'wait'; state: LoopState } & Wait);

export interface Rules {
  retry: ResolvedRetryPolicy | false;
  reconnectOnClose: boolean;
}

/**
 * What to do after an attempt: one row of the policy table (docs/policy.md) per branch. `now` is the
 * clock when the attempt ended, `random` gives the jitter.
 */
export function decide(state: LoopState, ending: Ending, rules: Rules, now: number, random: () => number): Decision {
  const { retry: policy } = rules;
  const { outcome, error } = ending;
  // Progress starts the failure count and the backoff over: the attempt moved the last event ID to a
  // new id, or its stream stayed open `minUptime` (heartbeats). Events without ids prove nothing (a
  // crash loop replays the same start), so a server that opens, replays and drops is backed off,
  // while a stream that keeps resuming and moving on is never given up on. (A stream that never
  // opened was open for -∞ ms.)
  const movedOn = ending.lastEventId !== '' && ending.lastEventId !== state.lastEventId;
  const progressed = movedOn || (policy && now - (ending.openedAt ?? Infinity) >= policy.minUptime);
  const next: LoopState = {
    ...state,
    lastEventId: ending.lastEventId,
    serverRetry: ending.serverRetry ?? state.serverRetry,
    failures: progressed ? 0 : state.failures,
    reconnects: progressed ? 0 : state.reconnects,
  };
  if (outcome === 'stop') return { action: 'stop' };
  // A pause is no failure and no reconnect: the loop waits for the page, then goes at once.
  if (outcome === 'paused') return { action: 'pause', state: next };
  const failed = outcome === 'failed';
  // Deviation from spec: the spec reconnects after a clean end too; here the call resolves, since a
  // finished answer is the usual end of a fetch stream (`reconnectOnClose` opts in).
  if (!failed && !rules.reconnectOnClose) return { action: 'stop' };
  if (failed) next.failures += 1;
  // `retry: false` never reconnects (and is refused up front with `reconnectOnClose`, so only a
  // failure gets here).
  if (!policy) return { action: 'throw', error };
  // A clean close is no failure, so it does not count toward maxRetries; but one that made no
  // progress grows the delay.
  next.reconnects += 1;
  let wait: Wait;
  if (failed && typeof ending.answer === 'number') {
    // Deviation from spec: `onerror` may override the policy with a number of ms, 0 included.
    wait = { delay: ending.answer, reason: 'onerror', jitter: 0 };
  } else {
    if (failed && isFatal(error)) return { action: 'throw', error };
    if (failed && next.failures > policy.maxRetries) {
      return { action: 'throw', error: new RetryLimitError(next.failures, ending.label, error) };
    }
    const retryAfter = error instanceof HttpError ? error.retryAfter : undefined;
    wait = retryDelay(next.reconnects, policy, { serverRetry: next.serverRetry, retryAfter }, random);
  }
  // No server hint and no `onerror` number gets under the floor.
  const untilFloor = state.requestedAt + policy.minInterval - now;
  if (untilFloor > wait.delay) wait = { delay: untilFloor, reason: 'min-interval', jitter: 0 };
  return { action: 'wait', state: next, ...wait };
}

/**
 * The failure the policy decides on when an attempt ended with `error`.
 *
 * Deviation from spec: the spec reconnects after any drop (it only has GET). A drop of a request
 * that is not safe to send again, after it delivered events, with no `Last-Event-ID` to send, would
 * start the stream over after what was shown (a second, different answer from a model): that is a
 * `NotResumableError`. "No id ever set" is read as "nothing to send" (an empty `id:` counts as none).
 */
export function failureOf(
  error: unknown,
  attempt: { method: string; label: string; delivered: number; lastEventId: string },
): unknown {
  const dropped = error instanceof NetworkError || error instanceof IdleTimeoutError;
  if (dropped && attempt.delivered && !attempt.lastEventId && !safeMethods.includes(attempt.method)) {
    return new NotResumableError(attempt.delivered, attempt.label, error);
  }
  return error;
}
