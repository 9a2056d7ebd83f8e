// The reconnect policy (src/policy.ts): the README's policy table, row by row, as one pure function.
import { describe, expect, test } from 'vitest';
import {
  ContentTypeError,
  EventTooLargeError,
  HttpError,
  IdleTimeoutError,
  NetworkError,
  NotResumableError,
} from '../../src/errors.js';
import { defaults } from '../../src/options.js';
import {
  decide,
  failureOf,
  initialState,
  isFatal,
  type Decision,
  type Ending,
  type LoopState,
  type Rules,
} from '../../src/policy.js';

const label = 'POST https://api.example.com/chat';
const now = 100_000;
const status = (code: number, retryAfter?: number) =>
  new HttpError(new Response(null, { status: code }), label, retryAfter);
const drop = new NetworkError('connection dropped while reading', label, undefined);

/** One line per decision, as the README's table says it. */
function said(decision: Decision): string {
  switch (decision.action) {
    case 'stop':
      return 'stop';
    case 'throw':
      return `throw ${(decision.error as Error).name}`;
    case 'pause':
      return `pause, failures ${decision.state.failures}`;
    case 'wait':
      return `wait ${Math.round(decision.delay)} ms (${decision.reason}), failures ${decision.state.failures}`;
  }
}

describe('decide: what the loop does after an attempt', () => {
  test.each<[string, Partial<LoopState>, Partial<Ending>, Partial<Rules> | undefined, string]>([
    // [what happened, the state before (besides: request sent 50 ms ago), how the attempt ended, rules, decision]
    ['204 No Content', {}, { outcome: 'stop' }, undefined, 'stop'],
    ['a clean end of the stream', {}, { outcome: 'closed', lastEventId: '5' }, undefined, 'stop'],
    [
      'a clean end, reconnectOnClose, after a new id',
      {},
      { outcome: 'closed', lastEventId: '5' },
      { reconnectOnClose: true },
      'wait 1000 ms (backoff), failures 0',
    ],
    [
      'a clean end, reconnectOnClose, no progress, the 2nd in a row',
      { reconnects: 1 },
      { outcome: 'closed' },
      { reconnectOnClose: true },
      'wait 2000 ms (backoff), failures 0',
    ],
    ['401 (every 4xx but 408 and 429)', {}, { error: status(401) }, undefined, 'throw HttpError'],
    [
      '2xx with another content type',
      {},
      { error: new ContentTypeError(new Response(''), label) },
      undefined,
      'throw ContentTypeError',
    ],
    ['an oversized event', {}, { error: new EventTooLargeError(10, label) }, undefined, 'throw EventTooLargeError'],
    [
      'a POST that cannot resume',
      {},
      { error: new NotResumableError(3, label, drop) },
      undefined,
      'throw NotResumableError',
    ],
    ['503, the first failure', {}, { error: status(503) }, undefined, 'wait 1000 ms (backoff), failures 1'],
    [
      '503 with Retry-After: 2 s',
      {},
      { error: status(503, 2000) },
      undefined,
      'wait 2000 ms (retry-after), failures 1',
    ],
    [
      '429 with a Retry-After shorter than the backoff',
      { failures: 2, reconnects: 2 },
      { error: status(429, 1000) },
      undefined,
      'wait 4000 ms (backoff), failures 3',
    ],
    [
      '408, the 3rd failure in a row',
      { failures: 2, reconnects: 2 },
      { error: status(408) },
      undefined,
      'wait 4000 ms (backoff), failures 3',
    ],
    [
      'a drop after a new id: progress',
      { failures: 3, reconnects: 3, lastEventId: '4' },
      { error: drop, lastEventId: '5' },
      undefined,
      'wait 1000 ms (backoff), failures 1',
    ],
    [
      'the same, the server sent retry: 300',
      { failures: 3, reconnects: 3 },
      { error: drop, lastEventId: '5', serverRetry: 300 },
      undefined,
      'wait 300 ms (server-retry), failures 1',
    ],
    [
      'the same with retry: 0: the floor',
      {},
      { error: drop, lastEventId: '5', serverRetry: 0 },
      undefined,
      'wait 50 ms (min-interval), failures 1',
    ],
    [
      'a drop with the id it resumed from: no progress',
      { failures: 1, reconnects: 1, lastEventId: '5' },
      { error: drop, lastEventId: '5' },
      undefined,
      'wait 2000 ms (backoff), failures 2',
    ],
    [
      'a drop after events without ids: no progress',
      { failures: 1, reconnects: 1 },
      { error: drop, lastEventId: '' },
      undefined,
      'wait 2000 ms (backoff), failures 2',
    ],
    [
      'a drop after minUptime of heartbeats: progress',
      { failures: 3, reconnects: 3 },
      { error: drop, openedAt: now - 5000 },
      undefined,
      'wait 1000 ms (backoff), failures 1',
    ],
    [
      'a drop just short of minUptime',
      { failures: 3, reconnects: 3 },
      { error: drop, openedAt: now - 4999 },
      undefined,
      'wait 8000 ms (backoff), failures 4',
    ],
    [
      'a failure past maxRetries',
      { failures: 2, reconnects: 2 },
      { error: drop },
      { retry: { ...defaults.retry, maxRetries: 2 } },
      'throw RetryLimitError',
    ],
    [
      'the last failure maxRetries allows',
      { failures: 1, reconnects: 1 },
      { error: drop },
      { retry: { ...defaults.retry, maxRetries: 2 } },
      'wait 2000 ms (backoff), failures 2',
    ],
    [
      'onerror returned 500, even for a 401',
      {},
      { error: status(401), answer: 500 },
      undefined,
      'wait 500 ms (onerror), failures 1',
    ],
    [
      'onerror returned 0: the floor',
      {},
      { error: drop, answer: 0 },
      undefined,
      'wait 50 ms (min-interval), failures 1',
    ],
    ['retry: false, a drop', {}, { error: drop }, { retry: false }, 'throw NetworkError'],
    ['the page was hidden', { failures: 2 }, { outcome: 'paused' }, undefined, 'pause, failures 2'],
  ])('%s → %s', (_case, before, ending, rules, expected) => {
    const state = { ...initialState(''), attempt: 1, requestedAt: now - 50, ...before };
    const full: Ending = { outcome: 'failed', lastEventId: state.lastEventId, label, ...ending };
    const chosen: Rules = { retry: { ...defaults.retry }, reconnectOnClose: false, ...rules };
    expect(said(decide(state, full, chosen, now, () => 0))).toBe(expected);
  });

  test('a RetryLimitError counts the failures and carries the last one as its cause', () => {
    const state = { ...initialState(''), failures: 2, reconnects: 2 };
    const rules = { retry: { ...defaults.retry, maxRetries: 2 }, reconnectOnClose: false };
    const decision = decide(state, { outcome: 'failed', error: drop, lastEventId: '', label }, rules, now, () => 0);
    expect(decision).toMatchObject({ action: 'throw', error: { name: 'RetryLimitError', failures: 3, cause: drop } });
  });

  test('the next state keeps the id and the server retry: for the next attempt', () => {
    const state = { ...initialState('3'), serverRetry: 700 };
    const ending: Ending = { outcome: 'failed', error: drop, lastEventId: '9', label };
    const rules = { retry: { ...defaults.retry, jitter: 0.3 }, reconnectOnClose: false };
    const decision = decide(state, ending, rules, now, () => 0.5);
    expect(decision).toMatchObject({
      action: 'wait',
      delay: expect.closeTo(805) as number,
      reason: 'server-retry',
      state: { lastEventId: '9', serverRetry: 700, failures: 1, reconnects: 1 },
    });
    expect((decision as { jitter: number }).jitter).toBeCloseTo(105);
  });
});

describe('isFatal: what a retry would meet again', () => {
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
    ['a dropped connection', drop, false],
    ['an idle timeout', new IdleTimeoutError(10, label), false],
    ['anything onclose throws', new Error('retry me'), false],
  ])('%s → %s', (_case, error, fatal) => {
    expect(isFatal(error)).toBe(fatal);
  });
});

describe('failureOf: only what can resume is sent again', () => {
  const idle = new IdleTimeoutError(10, label);
  test.each([
    // [case, the attempt's method, events delivered, last event id, the error, what the policy decides on]
    ['a POST dropped after 3 events, no id', 'POST', 3, '', drop, 'NotResumableError'],
    ['a POST stalled after 3 events, no id', 'POST', 3, '', idle, 'NotResumableError'],
    ['a POST dropped after events with an id', 'POST', 3, '7', drop, 'NetworkError'],
    ['a POST dropped before its first event', 'POST', 0, '', drop, 'NetworkError'],
    ['a GET dropped after events, no id', 'GET', 3, '', drop, 'NetworkError'],
    ['a POST answered 503', 'POST', 0, '', status(503), 'HttpError'],
  ] as const)('%s → %s', (_case, method, delivered, lastEventId, error, expected) => {
    const failure = failureOf(error, { method, label, delivered, lastEventId });
    expect((failure as Error).name).toBe(expected);
    if (expected === 'NotResumableError') expect(failure).toMatchObject({ events: 3, cause: error });
  });
});
