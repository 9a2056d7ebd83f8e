import { describe, expect, test } from 'vitest';
import { defaults } from '../../src/options.js';
import {
  ContentTypeError,
  EventTooLargeError,
  HttpError,
  IdleTimeoutError,
  NetworkError,
  NotResumableError,
  RetryLimitError,
} from '../../src/errors.js';
import { isFatal, parseRetryAfter, retryDelay, throwIfFinal } from '../../src/retry.js';

const policy = { ...defaults.retry };
const label = 'GET https://api.example.com/events';

describe('retryDelay', () => {
  test.each([
    // [step, serverRetry, retryAfter, random, expected]
    [1, undefined, undefined, 0, 1000],
    [2, undefined, undefined, 0, 2000],
    [3, undefined, undefined, 0, 4000],
    [5, undefined, undefined, 0, 16_000],
    [6, undefined, undefined, 0, 30_000], // capped at maxDelay
    [20, undefined, undefined, 0, 30_000],
    [1, undefined, undefined, 0.5, 1150], // stretched by half of the 0.3 jitter
    [1, undefined, undefined, 0.99, 1297],
    [6, undefined, undefined, 0.5, 34_500], // jitter applies past the cap too
    [1, 3000, undefined, 0, 3000], // the server's retry: is the first reconnect's delay
    [2, 3000, undefined, 0, 6000], // and the base the backoff grows from
    [1, 60_000, undefined, 0, 60_000], // never shorter than the server asked, even past maxDelay
    [1, 0, undefined, 0, 0], // retry: 0 is honoured for the first reconnect after a healthy connection
    [2, 0, undefined, 0, 2000], // but the backoff after it grows from initialDelay, never from 0
    [3, 0, undefined, 0, 4000],
    [2, 200, undefined, 0, 2000], // a retry: below initialDelay cannot shorten the backoff
    [1, undefined, 120_000, 0, 120_000], // Retry-After lengthens a wait, past maxDelay too
    [4, undefined, 2000, 0, 8000], // but never shortens the backoff
    [1, undefined, 2000, 0.5, 2300], // stretched upward by jitter
    [1, 0, 5000, 0, 5000], // the longer of retry: and Retry-After
  ])(
    'reconnect %i, server retry %s, Retry-After %s, random %s → %i ms',
    (step, serverRetry, retryAfter, random, expected) => {
      const delay = retryDelay(step, policy, { serverRetry, retryAfter }, () => random);
      expect(Math.round(delay)).toBe(expected);
    },
  );

  test('follows a custom policy', () => {
    const custom = { ...policy, initialDelay: 100, maxDelay: 500, factor: 3, jitter: 0 };
    const delays = [1, 2, 3, 4].map((step) => retryDelay(step, custom, {}, () => 0.9));
    expect(delays).toEqual([100, 300, 500, 500]);
  });
});

describe('isFatal: what a retry would meet again', () => {
  const status = (code: number) => new HttpError(new Response(null, { status: code }), label);
  test.each([
    ['a 400', status(400), true],
    ['a 401', status(401), true],
    ['a 404', status(404), true],
    ['a 3xx fetch did not follow', status(302), true],
    ['a 408', status(408), false],
    ['a 429', status(429), false],
    ['a 500', status(500), false],
    ['a 503', status(503), false],
    ['a wrong content type', new ContentTypeError(new Response(''), label), true],
    ['an oversized event', new EventTooLargeError(10, label), true],
    ['a drop that cannot resume', new NotResumableError(3, label, undefined), true],
    ['a dropped connection', new NetworkError('connection dropped while reading', label, undefined), false],
    ['an idle timeout', new IdleTimeoutError(10, label), false],
    ['anything onclose throws', new Error('retry me'), false],
  ])('%s → %s', (_case, error, fatal) => {
    expect(isFatal(error)).toBe(fatal);
  });
});

describe('throwIfFinal: what ends the call after a failure', () => {
  const retryable = new Error('the failure');
  const fatal = new EventTooLargeError(10, label);
  const limited = { ...policy, maxRetries: 2 };
  test.each([
    // [case, error, consecutive failures, policy, the error thrown (undefined: none, it is retried)]
    ['a retryable failure is retried', retryable, 1, policy, undefined],
    ['a fatal one ends it with its own error', fatal, 1, policy, fatal],
    ['the last failure maxRetries allows is retried', retryable, 2, limited, undefined],
  ] as const)('%s', (_case, error, failures, chosen, expected) => {
    const decide = () => throwIfFinal(error, failures, chosen, label);
    if (expected === undefined) expect(decide).not.toThrow();
    else expect(decide).toThrow(expected);
  });

  test('one failure past maxRetries ends it with RetryLimitError, the failure as its cause', () => {
    let stopped: unknown;
    try {
      throwIfFinal(retryable, 3, limited, label);
    } catch (error) {
      stopped = error;
    }
    expect(stopped).toBeInstanceOf(RetryLimitError);
    expect(stopped).toMatchObject({ failures: 3, cause: retryable });
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
