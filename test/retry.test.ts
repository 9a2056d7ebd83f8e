import { describe, expect, test } from 'vitest';
import { defaults } from '../src/options.js';
import { parseRetryAfter, retryDelay } from '../src/retry.js';

const policy = { ...defaults.retry };

describe('retryDelay', () => {
  test.each([
    // [failures, serverRetry, retryAfter, random, expected]
    [1, undefined, undefined, 0, 1000],
    [2, undefined, undefined, 0, 2000],
    [3, undefined, undefined, 0, 4000],
    [5, undefined, undefined, 0, 16_000],
    [6, undefined, undefined, 0, 30_000], // capped at maxDelay
    [20, undefined, undefined, 0, 30_000],
    [1, undefined, undefined, 0.5, 1150], // stretched by half of the 0.3 jitter
    [1, undefined, undefined, 0.99, 1297],
    [6, undefined, undefined, 0.5, 34_500], // jitter applies past the cap too
    [1, 3000, undefined, 0, 3000], // the server's retry: is the base
    [2, 3000, undefined, 0, 6000],
    [1, 60_000, undefined, 0, 60_000], // never shorter than the server asked, even past maxDelay
    [1, undefined, 120_000, 0, 120_000], // Retry-After replaces the schedule, past maxDelay
    [4, undefined, 2000, 0, 2000],
    [1, undefined, 2000, 0.5, 2300],
    [0, undefined, undefined, 0, 1000], // a clean close waits the base delay
    [0, 500, undefined, 0, 500],
  ])(
    'failure %i, server retry %s, Retry-After %s, random %s → %i ms',
    (failures, serverRetry, retryAfter, random, expected) => {
      const delay = retryDelay({ failures, policy, serverRetry, retryAfter, random: () => random });
      expect(Math.round(delay)).toBe(expected);
    },
  );

  test('follows a custom policy', () => {
    const custom = { initialDelay: 100, maxDelay: 500, factor: 3, jitter: 0, maxRetries: 5 };
    const delays = [1, 2, 3, 4].map((failures) =>
      retryDelay({ failures, policy: custom, serverRetry: undefined, retryAfter: undefined, random: () => 0.9 }),
    );
    expect(delays).toEqual([100, 300, 500, 500]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  test.each([
    [null, undefined],
    ['120', 120_000],
    [' 5 ', 5000],
    ['0', 0],
    ['Sun, 22 Nov 2026 12:00:30 GMT', 30_000],
    ['Sun, 22 Nov 2026 11:00:00 GMT', 0], // a date in the past means now
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('%j → %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
