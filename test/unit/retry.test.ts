import { describe, expect, test } from 'vitest';
import { defaults } from '../../src/options.js';
import { parseRetryAfter, retryDelay } from '../../src/retry.js';

const policy = { ...defaults.retry };

describe('retryDelay', () => {
  test.each([
    // [step, serverRetry, retryAfter, random, expected ms, the rule that set it, of which jitter]
    [1, undefined, undefined, 0, 1000, 'backoff', 0],
    [2, undefined, undefined, 0, 2000, 'backoff', 0],
    [3, undefined, undefined, 0, 4000, 'backoff', 0],
    [5, undefined, undefined, 0, 16_000, 'backoff', 0],
    [6, undefined, undefined, 0, 30_000, 'backoff', 0], // capped at maxDelay
    [20, undefined, undefined, 0, 30_000, 'backoff', 0],
    [1, undefined, undefined, 0.5, 1150, 'backoff', 150], // stretched by half of the 0.3 jitter
    [1, undefined, undefined, 0.99, 1297, 'backoff', 297],
    [6, undefined, undefined, 0.5, 34_500, 'backoff', 4500], // jitter applies past the cap too
    [1, 3000, undefined, 0, 3000, 'server-retry', 0], // the server's retry: is the first reconnect's delay
    [2, 3000, undefined, 0, 6000, 'backoff', 0], // and the base the backoff grows from
    [1, 60_000, undefined, 0, 60_000, 'server-retry', 0], // never shorter than the server asked, even past maxDelay
    [1, 0, undefined, 0, 0, 'server-retry', 0], // retry: 0 is honoured for the first reconnect after progress
    [2, 0, undefined, 0, 2000, 'backoff', 0], // but the backoff after it grows from initialDelay, never from 0
    [3, 0, undefined, 0, 4000, 'backoff', 0],
    [2, 200, undefined, 0, 2000, 'backoff', 0], // a retry: below initialDelay cannot shorten the backoff
    [1, undefined, 120_000, 0, 120_000, 'retry-after', 0], // Retry-After lengthens a wait, past maxDelay too
    [4, undefined, 2000, 0, 8000, 'backoff', 0], // but never shortens the backoff
    [1, undefined, 2000, 0.5, 2300, 'retry-after', 300], // stretched upward by jitter
    [1, 0, 5000, 0, 5000, 'retry-after', 0], // the longer of retry: and Retry-After
  ] as const)(
    'reconnect %i, server retry %s, Retry-After %s, random %s → %i ms (%s)',
    (step, serverRetry, retryAfter, random, expected, reason, jitter) => {
      const wait = retryDelay(step, policy, { serverRetry, retryAfter }, () => random);
      expect({ ...wait, delay: Math.round(wait.delay), jitter: Math.round(wait.jitter) }).toEqual({
        delay: expected,
        reason,
        jitter,
      });
    },
  );

  test('follows a custom policy', () => {
    const custom = { ...policy, initialDelay: 100, maxDelay: 500, factor: 3, jitter: 0 };
    const delays = [1, 2, 3, 4].map((step) => retryDelay(step, custom, {}, () => 0.9).delay);
    expect(delays).toEqual([100, 300, 500, 500]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  test.each([
    [null, undefined],
    ['120', 120_000],
    [' 5 ', 5000],
    ['0', undefined], // it may only lengthen a wait: 0 says nothing
    ['Sun, 22 Nov 2026 12:00:30 GMT', 30_000],
    ['Sun, 22 Nov 2026 11:00:00 GMT', undefined], // a date in the past is ignored
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('%j → %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
