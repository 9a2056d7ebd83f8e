// The response verdict (src/response.ts): status × content type × Retry-After.
import { describe, expect, test } from 'vitest';
import { ContentTypeError, HttpError } from '../../src/errors.js';
import { classifyResponse } from '../../src/response.js';
import { isFatal } from '../../src/policy.js';

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
