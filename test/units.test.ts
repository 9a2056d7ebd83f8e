// Tables for the pure parts of one attempt: the response verdict, the request, the options.
// The msw round trips in policy.test.ts and options.test.ts show the same rules end to end.
import { describe, expect, test } from 'vitest';
import { ContentTypeError, HttpError } from '../src/errors.js';
import { defaults, normalizeOptions } from '../src/options.js';
import { buildAttempt } from '../src/request.js';
import { classifyResponse } from '../src/response.js';
import { isFatal } from '../src/retry.js';

const label = 'GET https://api.example.com/events';
const now = Date.parse('2026-11-22T12:00:00Z');

describe('classifyResponse: status × content type × Retry-After', () => {
  const SSE = 'text/event-stream';
  test.each([
    // [status, content type, Retry-After, verdict, error class, retryAfter]
    [200, SSE, null, 'open', undefined, undefined],
    [200, 'Text/Event-Stream; charset=utf-8', null, 'open', undefined, undefined],
    [201, SSE, null, 'open', undefined, undefined],
    [204, null, null, 'stop', undefined, undefined],
    [200, 'application/json', null, 'fatal', ContentTypeError, undefined],
    [200, null, null, 'fatal', ContentTypeError, undefined],
    [200, 'text/event-streamx', null, 'fatal', ContentTypeError, undefined],
    [400, SSE, null, 'fatal', HttpError, undefined],
    [401, null, null, 'fatal', HttpError, undefined],
    [403, null, null, 'fatal', HttpError, undefined],
    [404, null, null, 'fatal', HttpError, undefined],
    [410, null, null, 'fatal', HttpError, undefined],
    [408, null, null, 'retry', HttpError, undefined],
    [429, null, '7', 'retry', HttpError, 7000],
    [429, null, 'Sun, 22 Nov 2026 12:00:30 GMT', 'retry', HttpError, 30_000],
    [429, null, '0', 'retry', HttpError, undefined],
    [503, null, '2', 'retry', HttpError, 2000],
    [503, null, 'Sun, 22 Nov 2026 11:00:00 GMT', 'retry', HttpError, undefined],
    [503, null, 'soon', 'retry', HttpError, undefined],
    [500, null, '5', 'retry', HttpError, undefined], // Retry-After counts on 429 and 503 only
    [502, null, null, 'retry', HttpError, undefined],
  ] as const)('%i, %s, Retry-After %s → %s', (status, contentType, retryAfter, kind, errorClass, wait) => {
    const headers = new Headers();
    if (contentType) headers.set('content-type', contentType);
    if (retryAfter) headers.set('retry-after', retryAfter);
    const verdict = classifyResponse(new Response(status === 204 ? null : '', { status, headers }), label, now);
    if (typeof verdict === 'string') expect(verdict).toBe(kind);
    else expect(isFatal(verdict) ? 'fatal' : 'retry').toBe(kind);
    if (errorClass) expect(verdict).toBeInstanceOf(errorClass);
    else expect(typeof verdict).toBe('string');
    if (verdict instanceof HttpError) expect(verdict.retryAfter).toBe(wait);
  });
});

describe('buildAttempt: the request of one attempt', () => {
  const signal = new AbortController().signal;
  const build = (input: RequestInfo | URL, own?: HeadersInit, lastEventId = '', init: RequestInit = {}) =>
    buildAttempt({ input, request: init }, own, { attempt: 1, lastEventId }, signal);

  test.each([
    // [case, own headers, Last-Event-ID, expected headers]
    ['adds Accept', undefined, '', { accept: 'text/event-stream' }],
    ["keeps the caller's Accept", { Accept: 'text/event-stream, */*' }, '', { accept: 'text/event-stream, */*' }],
    ['merges a record', { authorization: 'Bearer t' }, '', { accept: 'text/event-stream', authorization: 'Bearer t' }],
    [
      'merges pairs, repeats joined',
      [
        ['x-a', '1'],
        ['x-a', '2'],
      ],
      '',
      { accept: 'text/event-stream', 'x-a': '1, 2' },
    ],
    ['sends an ASCII id as it is', undefined, '42', { accept: 'text/event-stream', 'last-event-id': '42' }],
    [
      'sends a non-ASCII id as its UTF-8 bytes',
      undefined,
      'é',
      { accept: 'text/event-stream', 'last-event-id': '\u00c3\u00a9' },
    ],
    ['sends no Last-Event-ID for ""', undefined, '', { accept: 'text/event-stream' }],
  ] as const)('%s', (_case, own, lastEventId, expected) => {
    const [, init] = build('https://api.example.com/events', own as HeadersInit | undefined, lastEventId);
    expect(Object.fromEntries(new Headers(init.headers))).toEqual(expected);
    expect(init.signal).toBe(signal);
  });

  test('a Request input is cloned each attempt, its headers the base the own headers add to', async () => {
    const input = new Request('https://api.example.com/chat', {
      method: 'POST',
      body: 'prompt',
      headers: { 'x-from': 'request', authorization: 'old' },
    });
    const [first, init] = build(input, { authorization: 'new' });
    const [second] = build(input);
    expect(first).not.toBe(input);
    expect(second).not.toBe(first);
    expect(await (first as Request).text()).toBe('prompt');
    expect(await (second as Request).text()).toBe('prompt');
    expect(Object.fromEntries(new Headers(init.headers))).toEqual({
      accept: 'text/event-stream',
      authorization: 'new',
      'content-type': 'text/plain;charset=UTF-8', // the Request's own, from its string body
      'x-from': 'request',
    });
  });

  test('the RequestInit fields are passed as they are', () => {
    const [, init] = build('https://api.example.com/chat', undefined, '', {
      method: 'POST',
      body: 'b',
      credentials: 'include',
    });
    expect(init).toMatchObject({ method: 'POST', body: 'b', credentials: 'include' });
  });
});

describe('the label: what error messages say of the request', () => {
  test.each([
    ['https://api.example.com/chat?token=s3cr3t#frag', undefined, 'GET https://api.example.com/chat'],
    ['https://api.example.com/a/b/', 'post', 'POST https://api.example.com/a/b/'],
    [new URL('https://api.example.com/x?y=1'), 'PUT', 'PUT https://api.example.com/x'],
    ['/relative/path?q=1#f', undefined, 'GET /relative/path'],
  ] as const)('%s (%s) → %s', (input, method, expected) => {
    expect(normalizeOptions(input, method ? { method } : {}).label).toBe(expected);
  });

  test('takes the method of a Request input', () => {
    expect(normalizeOptions(new Request('https://api.example.com/', { method: 'DELETE' })).method).toBe('DELETE');
  });
});

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
      label: `POST ${url}`,
      request: { method: 'POST', credentials: 'include' },
      retry: defaults.retry,
      reconnectOnClose: false,
      lastEventId: '',
      openWhenHidden: true,
      maxEventSize: 16 * 1024 * 1024,
      idleTimeout: 0,
    });
    expect(options.request).not.toHaveProperty('onmessage');
    expect(options.onmessage).toBe(onmessage);
  });

  test.each([
    ['GET', false],
    ['HEAD', false],
    ['POST', true],
    ['PUT', true],
  ])('openWhenHidden defaults by method: %s → %s', (method, expected) => {
    expect(normalizeOptions(url, { method }).openWhenHidden).toBe(expected);
    expect(normalizeOptions(url, { method, openWhenHidden: !expected }).openWhenHidden).toBe(!expected);
  });

  test('retry: false is kept as false; a partial policy is filled in', () => {
    expect(normalizeOptions(url, { retry: false }).retry).toBe(false);
    expect(normalizeOptions(url, { retry: { maxRetries: 2 } }).retry).toEqual({ ...defaults.retry, maxRetries: 2 });
  });
});

describe('HttpError and ContentTypeError: what their messages say', () => {
  test.each([
    [
      'with a status text',
      new Response(null, { status: 401, statusText: 'Unauthorized' }),
      '401 Unauthorized from GET https://api.example.com/events',
    ],
    ['without one', new Response(null, { status: 503 }), '503 from GET https://api.example.com/events'],
  ])('HttpError %s', (_case, response, message) => {
    expect(new HttpError(response, label).message).toBe(message);
  });

  test.each([
    [
      'text/html; charset=utf-8',
      'expected text/event-stream from GET https://api.example.com/events, got "text/html; charset=utf-8"',
    ],
    [null, 'expected text/event-stream from GET https://api.example.com/events, got no Content-Type'],
  ])('content type %s', (contentType, message) => {
    const response = new Response('', contentType ? { headers: { 'content-type': contentType } } : {});
    if (!contentType) response.headers.delete('content-type');
    expect(new ContentTypeError(response, label).message).toBe(message);
  });
});
