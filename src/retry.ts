import type { ResolvedRetryPolicy } from './options.js';

export interface DelayInput {
  /** Consecutive failures, counting the one being retried; 0 for a reconnect after a clean close. */
  failures: number;
  policy: ResolvedRetryPolicy;
  /** The stream's latest `retry:` value (ms), if the server sent one. */
  serverRetry: number | undefined;
  /** The failed response's `Retry-After` (ms), if it had one. */
  retryAfter: number | undefined;
  /** A number in [0, 1). */
  random: () => number;
}

/**
 * Milliseconds to wait before the next request.
 *
 * Deviation from spec: the WHATWG model waits the plain reconnection time every time
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
 * allows "some time" more); we back off exponentially and add jitter so a fleet of clients
 * neither hammers a failing server nor reconnects in the same millisecond.
 */
export function retryDelay({ failures, policy, serverRetry, retryAfter, random }: DelayInput): number {
  const stretch = 1 + random() * policy.jitter;
  // Retry-After replaces the schedule, even past maxDelay: the server said when to come back.
  if (retryAfter !== undefined) return retryAfter * stretch;
  const base = serverRetry ?? policy.initialDelay;
  const grown = base * policy.factor ** Math.max(0, failures - 1);
  // Never shorter than the server asked for, even when maxDelay is smaller.
  return Math.max(Math.min(policy.maxDelay, grown) * stretch, serverRetry ?? 0);
}

/** `Retry-After` as ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form names its month; Date.parse alone would also take "-5" or "1.5".
  const date = /[a-z]{3}/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
