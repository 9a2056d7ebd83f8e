import { ContentTypeError, EventTooLargeError, HttpError, RetryLimitError } from './errors.js';
import type { ResolvedRetryPolicy } from './options.js';

/**
 * Milliseconds to wait before reconnect number `step` (1 for the first since the last healthy
 * connection). `serverRetry` is the stream's latest `retry:`, `retryAfter` the failed response's
 * `Retry-After` (both ms, if any), `random` a number in [0, 1).
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-reconnection-time:
 * the first reconnect after a healthy connection waits the reconnection time, which a server's
 * `retry:` sets (0 included).
 * Deviation from spec: the spec waits that same time every time; later consecutive reconnects grow
 * exponentially from the larger of `retry:` and `initialDelay`, with jitter, and a server's `retry:`
 * or `Retry-After` only ever lengthens a wait. So no server can make a client hammer it, and a fleet
 * of clients does not reconnect in the same millisecond.
 */
export function retryDelay(
  step: number,
  policy: ResolvedRetryPolicy,
  serverRetry: number | undefined,
  retryAfter: number | undefined,
  random: () => number,
): number {
  const stretch = 1 + random() * policy.jitter;
  const base =
    step <= 1
      ? (serverRetry ?? policy.initialDelay)
      : Math.max(serverRetry ?? 0, policy.initialDelay) * policy.factor ** (step - 1);
  // Never shorter than the server asked for, even when maxDelay is smaller.
  const backoff = Math.min(base, Math.max(policy.maxDelay, serverRetry ?? 0)) * stretch;
  return Math.max(backoff, (retryAfter ?? 0) * stretch);
}

/**
 * A retry would meet the same answer: a wrong content type, an oversized event, or a 4xx but
 * 408/429 (408, 429 and 5xx are temporary by definition; a 401 retried forever is the bug we
 * exist to avoid). Dropped connections, idle timeouts and anything `onclose` throws are retried.
 */
export function isFatal(error: unknown): boolean {
  if (error instanceof HttpError) return error.status !== 408 && error.status !== 429 && error.status < 500;
  return error instanceof ContentTypeError || error instanceof EventTooLargeError;
}

/**
 * The delay before retrying the failure `error`, or a throw that ends the call (the policy table in
 * the README). `failures` counts consecutive failures, this one included; `answer` is what `onerror`
 * returned; `scheduled` is what `retryDelay` gives.
 */
export function decideFailure(
  error: unknown,
  failures: number,
  policy: ResolvedRetryPolicy | false,
  answer: unknown,
  scheduled: number,
  label: string,
): number {
  if (policy === false) throw error;
  // Deviation from spec: `onerror` may override the policy; a number is honoured exactly, 0 included.
  if (typeof answer === 'number') return answer;
  if (isFatal(error)) throw error;
  if (failures > policy.maxRetries) throw new RetryLimitError(failures, label, error);
  return scheduled;
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
