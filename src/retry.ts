import type { ResolvedRetryPolicy } from './options.js';
import type { RetryReason } from './types.js';

/** One reconnect's wait: how long, which rule set it, and how much of it is jitter. */
export interface Wait {
  delay: number;
  reason: RetryReason;
  jitter: number;
}

/**
 * The wait before reconnect number `step` (1 for the first since the last connection that made
 * progress), given what the server asked for (in ms: its latest `retry:`, a failed response's
 * `Retry-After`); `random` gives a number in [0, 1).
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
): Wait {
  const stretch = 1 + random() * policy.jitter;
  const reconnectionTime = step <= 1 && serverRetry !== undefined;
  const base = reconnectionTime
    ? serverRetry
    : Math.max(serverRetry ?? 0, policy.initialDelay) * policy.factor ** (step - 1);
  // Never shorter than the server asked for, even when maxDelay is smaller.
  const backoff = Math.min(base, Math.max(policy.maxDelay, serverRetry ?? 0));
  if (retryAfter > backoff) return stretched(retryAfter, stretch, 'retry-after');
  return stretched(backoff, stretch, reconnectionTime ? 'server-retry' : 'backoff');
}

function stretched(base: number, stretch: number, reason: RetryReason): Wait {
  return { delay: base * stretch, reason, jitter: base * stretch - base };
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
