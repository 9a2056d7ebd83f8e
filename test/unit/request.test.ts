// One attempt's fetch arguments (src/request.ts).
import { describe, expect, test } from 'vitest';
import { buildAttempt, checkRequest, planAttempt, type AttemptPlan } from '../../src/request.js';

const plan = (input: RequestInfo | URL, init: AttemptPlan['init'] = {}): AttemptPlan => {
  const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  return { input, method, label: checkRequest(input, method, init.body, true), init };
};

describe('checkRequest: the label, and what fetch could never send', () => {
  test.each([
    ['https://api.example.com/chat?token=s3cr3t#frag', 'GET', 'GET https://api.example.com/chat'],
    ['https://api.example.com/a/b/', 'POST', 'POST https://api.example.com/a/b/'],
    [new URL('https://api.example.com/x?y=1'), 'PUT', 'PUT https://api.example.com/x'],
    [new Request('https://api.example.com/r?q=1', { method: 'DELETE' }), 'DELETE', 'DELETE https://api.example.com/r'],
  ] as const)('%s (%s) → %s', (input, method, expected) => {
    expect(checkRequest(input, method, undefined, true)).toBe(expected);
  });

  test.each([
    [
      'a relative URL with no page to resolve it against',
      '/api/chat?token=s3cr3t',
      'cannot fetch GET /api/chat: a relative URL with no page to resolve it',
    ],
    ['a malformed URL', 'http://exa mple.com/x', 'cannot fetch GET http://exa mple.com/x: invalid URL'],
    [
      'ftp:',
      'ftp://files.example.com/feed',
      'cannot fetch GET ftp://files.example.com/feed: ftp: is not http: or https:',
    ],
    ['ws:', 'ws://api.example.com/socket', 'ws: is not http: or https:'],
    [
      'a URL with credentials',
      'https://user:hunter2@api.example.com/',
      'fetch refuses a URL with credentials (GET https://api.example.com/)',
    ],
  ])('%s is a TypeError before any request', (_case, input, message) => {
    expect(() => checkRequest(input, 'GET', undefined, true)).toThrow(TypeError);
    expect(() => checkRequest(input, 'GET', undefined, true)).toThrow(message);
  });

  test('with a custom fetch, which decides what it can fetch, a relative URL or another scheme passes', () => {
    expect(checkRequest('/api/chat?x=1', 'POST', '{}', false)).toBe('POST /api/chat');
    expect(checkRequest('mock://chat', 'GET', undefined, false)).toBe('GET mock://chat');
  });

  test('a relative URL resolves against the page where there is one', () => {
    const location = { href: 'https://app.example.com/chat/1' };
    Object.defineProperty(globalThis, 'location', { value: location, configurable: true });
    try {
      expect(checkRequest('/api/chat', 'POST', '{}', true)).toBe('POST /api/chat');
      expect(() => checkRequest('ftp:/x', 'GET', undefined, true)).toThrow('ftp: is not http');
    } finally {
      Reflect.deleteProperty(globalThis, 'location');
    }
  });
});

describe('planAttempt: what request(context) changes for one attempt', () => {
  const call = plan('https://api.example.com/chat', {
    method: 'POST',
    body: '{"messages":[]}',
    credentials: 'include',
  });

  test('nothing returned: the call as it is', () => {
    expect(planAttempt(call, undefined, true)).toBe(call);
  });

  test('a GET resume drops the POST body and keeps the other fields', () => {
    const resume = planAttempt(call, { method: 'get', input: 'https://api.example.com/chat/7/stream' }, true);
    expect(resume).toEqual({
      input: 'https://api.example.com/chat/7/stream',
      method: 'GET',
      label: 'GET https://api.example.com/chat/7/stream',
      init: { method: 'GET', body: undefined, credentials: 'include' },
      headers: undefined,
    });
  });

  test("a new body and headers for one attempt; the method stays the call's", () => {
    const next = planAttempt(call, { body: '{"resume":true}', headers: { 'x-turn': '2' } }, true);
    expect(next).toMatchObject({ method: 'POST', init: { body: '{"resume":true}' }, headers: { 'x-turn': '2' } });
  });

  test.each([
    ['a GET with a body', { method: 'GET', body: 'x' }, 'a GET request cannot have a body'],
    ['a ReadableStream body', { body: new ReadableStream() }, 'ReadableStream and cannot be re-sent'],
    ['a URL fetch cannot request', { input: 'ws://api.example.com/' }, 'ws: is not http: or https:'],
  ])('%s is a TypeError', (_case, change, message) => {
    expect(() => planAttempt(call, change, true)).toThrow(message);
  });
});

describe('buildAttempt: the request of one attempt', () => {
  const signal = new AbortController().signal;
  const build = (
    input: RequestInfo | URL,
    own?: HeadersInit,
    lastEventId = '',
    init: AttemptPlan['init'] = {},
    extra: { headers?: HeadersInit; idempotencyKey?: string } = {},
  ) =>
    buildAttempt(
      { ...plan(input, init), headers: extra.headers },
      own,
      { attempt: 1, lastEventId, idempotencyKey: extra.idempotencyKey },
      signal,
    );

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

  test("request()'s headers go over the call's; the Idempotency-Key is added unless a header sets one", () => {
    const headersOf = (extra: { headers?: HeadersInit; idempotencyKey?: string }) =>
      Object.fromEntries(
        new Headers(build('https://api.example.com/', { 'x-a': 'call', 'x-b': 'call' }, '', {}, extra)[1].headers),
      );
    expect(headersOf({ headers: { 'x-b': 'attempt' }, idempotencyKey: 'k1' })).toEqual({
      accept: 'text/event-stream',
      'x-a': 'call',
      'x-b': 'attempt',
      'idempotency-key': 'k1',
    });
    expect(headersOf({ headers: { 'Idempotency-Key': 'mine' }, idempotencyKey: 'k1' })).toMatchObject({
      'idempotency-key': 'mine',
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
