// The backoff schedule through the loop: what counts as progress, and what no server can shorten.
import { describe, expect, test, vi } from 'vitest';
import { fetchEventSource, type RetryInfo } from '../src/index.js';
import { status, TEST_URL } from './helpers/event-server.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

/** A stream on a fake clock, without jitter, recording every reconnect it schedules. */
function startRecording() {
  useFakeClock();
  const retries: RetryInfo[] = [];
  const controller = new AbortController();
  const done = fetchEventSource(TEST_URL, {
    signal: controller.signal,
    retry: { jitter: 0 },
    onretry: (info) => void retries.push(info),
  });
  return { retries, controller, done };
}

describe('progress, and only progress, starts the backoff over (after two 503s)', () => {
  test.each([
    // [case, what the third connection sends, ms it stays up before it drops, [failures, delay, reason] of the next reconnect]
    ['a 200 that drops at once', '', 0, [3, 4000, 'backoff']],
    ['comments only', ': ping\n\n', 0, [3, 4000, 'backoff']],
    ['a retry: alone', 'retry: 50\n\n', 0, [3, 4000, 'backoff']],
    ['an event without an id (a crash loop replays the same start)', 'data: x\n\n', 0, [3, 4000, 'backoff']],
    ['comments for just short of minUptime', ': ping\n\n', 4999, [3, 4000, 'backoff']],
    ['comments for minUptime', ': ping\n\n', 5000, [1, 1000, 'backoff']],
    ['a block with a new id and no data', 'id: 7\n\n', 0, [1, 1000, 'backoff']],
    ['an event with a new id, then a drop at once', 'id: 7\ndata: x\n\n', 0, [1, 1000, 'backoff']],
    ['an event with a new id after retry: 300', 'retry: 300\nid: 7\ndata: x\n\n', 0, [1, 300, 'server-retry']],
    ['the same after retry: 0, a drop at once: the floor', 'retry: 0\nid: 7\ndata: x\n\n', 0, [1, 100, 'min-interval']],
    ['the same after retry: 0, a drop later', 'retry: 0\nid: 7\ndata: x\n\n', 100, [1, 0, 'server-retry']],
  ])('after two 503s, %s', async (_case, sent, uptime, expected) => {
    useFakeClock();
    api.reply(status(503), status(503));
    const retries: RetryInfo[] = [];
    const controller = new AbortController();
    const done = fetchEventSource('https://api.example.com/chat', {
      signal: controller.signal,
      retry: { jitter: 0 },
      onretry: (info) => void retries.push(info),
    });
    await vi.advanceTimersByTimeAsync(1000 + 2000);
    const stream = await api.stream(0);
    stream.push(sent);
    await vi.advanceTimersByTimeAsync(uptime);
    stream.fail();
    await settle();
    expect(retries.map((r) => [r.failures, r.delay, r.reason])).toEqual([
      [1, 1000, 'backoff'],
      [2, 2000, 'backoff'],
      expected,
    ]);
    controller.abort();
    await done;
  });
});

describe('a server that opens and fails at once cannot reset the backoff', () => {
  test('the backoff grows across drops that did not move the id on, and starts over after a new id or minUptime', async () => {
    const { retries, controller, done } = startRecording();
    let elapsed = 0;
    // What each connection sends before it drops, and how long it stays up.
    const connections: Array<[string, number]> = [
      [': heartbeat\n\n', 0],
      ['retry: 10\n\n', 0],
      [': heartbeat\n\n', 0],
      [': heartbeat\n\n', 5000], // up for minUptime: progress
      [': heartbeat\n\n', 0],
      ['id: 5\ndata: x\n\n', 0], // a new id: progress, however short
      ['id: 5\ndata: x\n\n', 0], // the same id again: the stream did not move on
      ['data: x\n\n', 0], // an event without an id proves nothing
    ];
    for (const [index, [sent, uptime]] of connections.entries()) {
      const stream = await api.stream(index);
      stream.push(sent);
      await vi.advanceTimersByTimeAsync(uptime);
      stream.fail();
      await settle();
      const wait = retries.at(-1)!.delay;
      elapsed += uptime + wait;
      await vi.advanceTimersByTimeAsync(wait);
    }
    await api.stream(connections.length);
    controller.abort();
    await done;
    expect(retries.map((r) => [r.failures, r.delay, r.reason])).toEqual([
      [1, 1000, 'backoff'],
      [2, 2000, 'backoff'],
      [3, 4000, 'backoff'],
      [1, 10, 'server-retry'], // the server's retry: after progress
      [2, 2000, 'backoff'],
      [1, 100, 'min-interval'], // the same, raised to the floor: the request before started 0 ms earlier
      [2, 2000, 'backoff'],
      [3, 4000, 'backoff'],
    ]);
    expect(elapsed).toBe(20_110);
  });
});

describe('nothing a server sends can shorten the schedule', () => {
  test.each([
    ['Retry-After: 0', '0'],
    ['a Retry-After date in the past', 'Sun, 22 Nov 2026 11:00:00 GMT'],
    ['an unreadable Retry-After', 'soon'],
  ])('503 with %s, with default options: at most 6 requests in the first minute', async (_name, retryAfter) => {
    useFakeClock();
    vi.setSystemTime(Date.UTC(2026, 10, 22, 12, 0, 0));
    for (let i = 0; i < 40; i++) api.reply(status(503, { headers: { 'retry-after': retryAfter } }));
    const controller = new AbortController();
    const done = fetchEventSource(TEST_URL, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(60_000);
    // The schedule: 1, 2, 4, 8, 16 s (+ up to 30 % jitter) → requests at 0, ≥1, ≥3, ≥7, ≥15, ≥31 s.
    expect(api.requests.length).toBeGreaterThanOrEqual(4);
    expect(api.requests.length).toBeLessThanOrEqual(6);
    const firstMinute = api.requests.length;
    // Then at most one request per maxDelay (30 s, stretched by jitter up to 39 s).
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    const perMinuteAfter = ((api.requests.length - firstMinute) / 9).toFixed(1);
    console.info(`503 with ${_name}: ${firstMinute} requests in the first minute, then ${perMinuteAfter} a minute`);
    expect(api.requests.length - firstMinute).toBeLessThanOrEqual(18);
    controller.abort();
    await done;
  });

  test('retry: 0 is honoured once after a healthy connection, then the backoff grows from initialDelay', async () => {
    const { retries, controller, done } = startRecording();
    const first = await api.stream(0);
    first.push('retry: 0\ndata: x\n\n');
    await vi.advanceTimersByTimeAsync(5000);
    first.fail();
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 1; i <= 2; i++) {
      (await api.stream(i)).fail();
      await settle();
      await vi.advanceTimersByTimeAsync(retries.at(-1)!.delay);
    }
    await api.stream(3);
    controller.abort();
    await done;
    expect(retries.map((r) => r.delay)).toEqual([0, 2000, 4000]);
  });

  test('onerror returning 0 is honoured down to the floor: requests start minInterval apart', async () => {
    useFakeClock();
    api.reply(status(503), status(503), status(503));
    const retries: RetryInfo[] = [];
    let calls = 0;
    const done = fetchEventSource(TEST_URL, {
      onerror: () => (++calls < 3 ? 0 : undefined),
      onretry: (info) => void retries.push(info),
      retry: { maxRetries: 2 },
    }).catch(() => {});
    await vi.advanceTimersByTimeAsync(99);
    expect(api.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(api.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(retries.slice(0, 2).map((r) => r.delay)).toEqual([100, 100]);
  });

  test('with minInterval: 0, onerror returning 0 retries at once', async () => {
    api.reply(status(503), status(503), status(503));
    const retries: RetryInfo[] = [];
    let calls = 0;
    await fetchEventSource(TEST_URL, {
      onerror: () => (++calls < 3 ? 0 : undefined),
      onretry: (info) => void retries.push(info),
      retry: { maxRetries: 2, minInterval: 0 },
    }).catch(() => {});
    expect(retries.slice(0, 2).map((r) => r.delay)).toEqual([0, 0]);
  });
});
