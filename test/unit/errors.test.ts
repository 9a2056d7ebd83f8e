// What the errors (src/errors.ts) say.
import { describe, expect, test } from 'vitest';
import { ContentTypeError, HttpError } from '../../src/errors.js';

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
