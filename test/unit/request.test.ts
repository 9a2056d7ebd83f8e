// One attempt's fetch arguments (src/request.ts).
import { describe, expect, test } from 'vitest';
import { buildAttempt } from '../../src/request.js';

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
