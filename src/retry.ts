import { HttpError, RetryLimitError, type RequestLabel } from './errors.js';
import type { ResolvedRetryPolicy } from './options.js';

export interface DelayInput {
  /** Consecutive reconnects since the last healthy connection, counting this one: 1 for the first. */
  step: number;
  policy: ResolvedRetryPolicy;
  /** The stream's latest `retry:` value (ms), if the server sent one. */
  serverRetry: number | undefined;
  /** The failed response's `Retry-After` (ms), if it had a readable one. */
  retryAfter: number | undefined;
  /** A number in [0, 1). */
  random: () => number;
}

/**
 * Milliseconds to wait before the next request.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-reconnection-time:
 * the first reconnect after a healthy connection waits the reconnection time, which a server's
 * `retry:` sets (0 included).
 * Deviation from spec: the spec waits that same time every time; later consecutive reconnects grow
 * exponentially from the larger of `retry:` and `initialDelay`, with jitter, and a server's `retry:`
 * or `Retry-After` only ever lengthens a wait. So no server can make a client hammer it, and a fleet
 * of clients does not reconnect in the same millisecond.
 */
export function retryDelay({ step, policy, serverRetry, retryAfter, random }: DelayInput): number {
  const stretch = 1 + random() * policy.jitter;
  const base =
    step <= 1
      ? (serverRetry ?? policy.initialDelay)
      : Math.max(serverRetry ?? 0, policy.initialDelay) * policy.factor ** (step - 1);
  // Never shorter than the server asked for, even when maxDelay is smaller.
  const backoff = Math.min(base, Math.max(policy.maxDelay, serverRetry ?? 0)) * stretch;
  return Math.max(backoff, (retryAfter ?? 0) * stretch);
}

export interface FailureInput {
  error: unknown;
  /** A retry would meet the same answer (a 4xx, a wrong content type, an oversized event). */
  fatal: boolean;
  /** Consecutive failures, counting this one. */
  failures: number;
  /** `false`: never reconnect. */
  policy: ResolvedRetryPolicy | false;
  /** What `onerror` returned: a number of ms overrides the policy. */
  answer: unknown;
  /** The delay the schedule gives (`retryDelay`). */
  scheduled: number;
  request: RequestLabel;
}

export type Decision = { retry: true; delay: number } | { retry: false; error: unknown };

/** Whether, and after how long, a failure is retried (the policy table in the README). */
export function decideFailure({ error, fatal, failures, policy, answer, scheduled, request }: FailureInput): Decision {
  if (policy === false) return { retry: false, error };
  // Deviation from spec: `onerror` may override the policy; a number is honoured exactly, 0 included.
  if (typeof answer === 'number') return { retry: true, delay: answer };
  if (fatal) return { retry: false, error };
  if (failures > policy.maxRetries) return { retry: false, error: new RetryLimitError(failures, request, error) };
  return { retry: true, delay: scheduled };
}

/** The `Retry-After` of a failure that carried one. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof HttpError ? error.retryAfter : undefined;
}

/**
 * `Retry-After` as ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent,
 * unreadable, zero or in the past, since it may only lengthen a wait.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  // Every HTTP-date form names its month; Date.parse alone would also take "-5" or "1.5".
  const ms = /^\d+$/.test(trimmed)
    ? Number(trimmed) * 1000
    : /[a-z]{3}/i.test(trimmed)
      ? Date.parse(trimmed) - now
      : Number.NaN;
  return ms > 0 ? ms : undefined;
}
