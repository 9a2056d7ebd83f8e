// The options normalizer (src/options.ts): defaults, the label, every bad value and its message.
import { describe, expect, test } from 'vitest';
import { defaults, normalizeOptions } from '../../src/options.js';

describe('normalizeOptions: every bad value and its message', () => {
  const url = 'https://api.example.com/events';
  test.each([
    [
      'a ReadableStream body',
      { method: 'POST', body: new ReadableStream() },
      /ReadableStream and cannot be re-sent on reconnect; pass a string, Blob or FormData/,
    ],
    ['a body on a GET', { body: 'x' }, /a GET request cannot have a body; set `method: 'POST'`/],
    ['a body on a HEAD', { method: 'HEAD', body: 'x' }, /a HEAD request cannot have a body/],
    ['CR in lastEventId', { lastEventId: 'a\rb' }, /`lastEventId` must not contain CR, LF or NUL/],
    ['NUL in lastEventId', { lastEventId: 'a\0b' }, /`lastEventId` must not contain CR, LF or NUL/],
    [
      'retry: false with reconnectOnClose',
      { retry: false, reconnectOnClose: true },
      /cannot be combined with `reconnectOnClose: true`/,
    ],
    ['maxEventSize 0', { maxEventSize: 0 }, /`maxEventSize` must be a number ≥ 1, got 0/],
    ['a negative idleTimeout', { idleTimeout: -1 }, /`idleTimeout` must be a number ≥ 0, got -1/],
    ['a negative initialDelay', { retry: { initialDelay: -1 } }, /`retry.initialDelay` must be a number ≥ 0, got -1/],
    ['a NaN jitter', { retry: { jitter: Number.NaN } }, /`retry.jitter` must be a number ≥ 0, got NaN/],
    ['a negative minUptime', { retry: { minUptime: -5 } }, /`retry.minUptime` must be a number ≥ 0, got -5/],
    ['a shrinking factor', { retry: { factor: 0.5 } }, /`retry.factor` must be a number ≥ 1, got 0.5/],
    ['a negative minInterval', { retry: { minInterval: -1 } }, /`retry.minInterval` must be a number ≥ 0, got -1/],
  ] as const)('%s', (_case, init, message) => {
    expect(() => normalizeOptions(url, init as never)).toThrow(TypeError);
    expect(() => normalizeOptions(url, init as never)).toThrow(message);
  });

  test('a URL with credentials is refused without repeating them', () => {
    expect(() => normalizeOptions('https://user:hunter2@api.example.com/')).toThrow(
      'fetch refuses a URL with credentials (GET https://api.example.com/); send them in an Authorization header',
    );
  });

  test('every default, and the callbacks left out of what fetch is given', () => {
    const onmessage = () => {};
    const options = normalizeOptions(url, { method: 'POST', credentials: 'include', onmessage });
    expect(options).toMatchObject({
      call: { input: url, method: 'POST', label: `POST ${url}`, init: { method: 'POST', credentials: 'include' } },
      checkUrl: true,
      idempotencyKey: undefined,
      retry: defaults.retry,
      reconnectOnClose: false,
      lastEventId: '',
      openWhenHidden: undefined,
      maxEventSize: 16 * 1024 * 1024,
      idleTimeout: 0,
    });
    expect(options.call.init).not.toHaveProperty('onmessage');
    expect(options.onmessage).toBe(onmessage);
  });

  test.each([
    ['GET', false],
    ['HEAD', false],
    ['POST', true],
    ['PUT', true],
  ])('openWhenHidden defaults by method: %s → %s', (method, expected) => {
    expect(defaults.openWhenHidden(method)).toBe(expected);
    expect(normalizeOptions(url, { method, openWhenHidden: !expected }).openWhenHidden).toBe(!expected);
  });

  test('idempotencyKey: true is a random 128-bit key per call; a string is kept', () => {
    const first = normalizeOptions(url, { method: 'POST', idempotencyKey: true }).idempotencyKey;
    const second = normalizeOptions(url, { method: 'POST', idempotencyKey: true }).idempotencyKey;
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
    expect(normalizeOptions(url, { idempotencyKey: 'order-42' }).idempotencyKey).toBe('order-42');
    expect(normalizeOptions(url, { idempotencyKey: false }).idempotencyKey).toBeUndefined();
    expect(normalizeOptions(url, { idempotencyKey: '' }).idempotencyKey).toBeUndefined();
  });

  test('retry: false is kept as false; a partial policy is filled in', () => {
    expect(normalizeOptions(url, { retry: false }).retry).toBe(false);
    expect(normalizeOptions(url, { retry: { maxRetries: 2 } }).retry).toEqual({ ...defaults.retry, maxRetries: 2 });
  });
});
