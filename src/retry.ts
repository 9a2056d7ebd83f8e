import { ContentTypeError, EventTooLargeError, HttpError, NotResumableError, RetryLimitError } from './errors.js';
import { retryStatuses, type ResolvedRetryPolicy } from './options.js';

/**
 * Milliseconds to wait before reconnect number `step` (1 for the first since the last connection
 * that made progress), given what the server asked for (in ms: its latest `retry:`, a failed
 * response's `Retry-After`); `random` gives a number in [0, 1).
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-reconnection-time:
 * the first reconnect after a connection that made progress waits the reconnection time, which a
 * server's `retry:` sets (0 included).
 * Deviation from spec: the spec waits that same time every time; later consecutive reconnects grow
 * exponentially from the larger of `retry:` and `initialDelay`, with jitter, and a server's `retry:`
 * or `Retry-After` only ever lengthens a wait. So no server can make a client hammer it, and a fleet
 * of clients does not reconnect in the same millisecond.
 */
export function retryDelay(
  step: number,
  policy: ResolvedRetryPolicy,
  { serverRetry, retryAfter = 0 }: { serverRetry?: number | undefined; retryAfter?: number | undefined },
  random: () => number,
): number {
  const stretch = 1 + random() * policy.jitter;
  const base =
    step <= 1
      ? (serverRetry ?? policy.initialDelay)
      : Math.max(serverRetry ?? 0, policy.initialDelay) * policy.factor ** (step - 1);
  // Never shorter than the server asked for, even when maxDelay is smaller.
  const backoff = Math.min(base, Math.max(policy.maxDelay, serverRetry ?? 0)) * stretch;
  return Math.max(backoff, retryAfter * stretch);
}

/**
 * A retry would meet the same answer: a wrong content type, an oversized event, or a 4xx but
 * 408/429 (408, 429 and 5xx are temporary by definition; a 401 retried forever is the bug we
 * exist to avoid); or it would start over a stream that cannot resume (`NotResumableError`).
 * Dropped connections, idle timeouts and anything `onclose` throws are retried.
 */
// Deviation from spec: the spec fails the connection on any status but 200; here 408, 429 and 5xx
// are retried with backoff, as temporary by definition.
export function isFatal(error: unknown): boolean {
  if (error instanceof HttpError) return error.status < 500 && !retryStatuses.includes(error.status);
  return error instanceof ContentTypeError || error instanceof EventTooLargeError || error instanceof NotResumableError;
}

/**
 * Throws what ends the call after the failure `error` (the policy table in the README): the failure
 * itself when a retry would meet it again (`isFatal`), a `RetryLimitError` when it is one more than
 * `maxRetries` allows. `failures` counts consecutive failures, this one included.
 */
export function throwIfFinal(error: unknown, failures: number, policy: ResolvedRetryPolicy, label: string): void {
  if (isFatal(error)) throw error;
  if (failures > policy.maxRetries) throw new RetryLimitError(failures, label, error);
}

/**
 * `Retry-After` as ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent,
 * unreadable, zero or in the past, since it may only lengthen a wait.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const trimmed = value?.trim() ?? '';
  // Every HTTP-date form names its month; Date.parse alone would also take "-5" or "1.5".
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : /[a-z]{3}/i.test(trimmed) ? Date.parse(trimmed) - now : 0;
  return ms > 0 ? ms : undefined;
}
