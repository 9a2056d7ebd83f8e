// What the errors (src/errors.ts) say.
import { describe, expect, test, vi } from 'vitest';
import * as errors from '../../src/errors.js';
import {
  ContentTypeError,
  FetchEventSourceError,
  HttpError,
  isFetchEventSourceError,
  isHttpError,
} from '../../src/errors.js';

const label = 'GET https://api.example.com/events';

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

describe('the guards: also for errors of a second copy of the library (another realm, both builds loaded)', () => {
  const response = new Response(null, { status: 401 });
  const make = (module: typeof import('../../src/errors.js')) => [
    new module.HttpError(response, label),
    new module.ContentTypeError(response, label),
    new module.NetworkError('could not connect to', label, undefined),
    new module.RetryLimitError(3, label, undefined),
    new module.NotResumableError(2, label, undefined),
    new module.EventTooLargeError(10, label),
    new module.IdleTimeoutError(10, label),
  ];

  test('every class of a copy is a FetchEventSourceError to our guard, and only its HttpError an HttpError', async () => {
    vi.resetModules();
    const copy = await import('../../src/errors.js');
    expect(copy.HttpError).not.toBe(HttpError);
    for (const error of make(copy)) {
      expect(error).not.toBeInstanceOf(FetchEventSourceError);
      expect(isFetchEventSourceError(error)).toBe(true);
      expect(isHttpError(error)).toBe(error.name === 'HttpError');
    }
  });

  test('every class of ours says its own name and the family name', () => {
    for (const error of make({ ...errors })) {
      expect(String(error)).toMatch(/^[A-Za-z]+Error: /);
      expect(Object.getPrototypeOf(Object.getPrototypeOf(error)).name).toBe('FetchEventSourceError');
    }
  });

  test.each([
    ['a TypeError', new TypeError('x')],
    ['null', null],
    ['a string', 'HttpError'],
    ['an error named otherwise', Object.assign(new Error('x'), { name: 'HTTPError' })],
  ])('%s is neither', (_case, value) => {
    expect(isFetchEventSourceError(value)).toBe(false);
    expect(isHttpError(value)).toBe(false);
  });
});
