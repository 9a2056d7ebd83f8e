import { ContentTypeError, HttpError } from './errors.js';
import { retryAfterStatuses } from './policy.js';
import { parseRetryAfter } from './retry.js';

/** The MIME type of an event stream; exported under the name `@microsoft/fetch-event-source` used. */
export const EventStreamContentType = 'text/event-stream';

/**
 * What a response means for the stream: `'open'` (read it), `'stop'` (204: nothing to read), or
 * the error it fails with; whether that error is retried is `isFatal`'s (policy.ts) to say.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
 * a 200 with `text/event-stream` announces the connection; anything else fails it.
 * Deviation from spec: any 2xx opens and 204 stops cleanly.
 */
export function classifyResponse(
  response: Response,
  label: string,
  now = Date.now(),
): 'open' | 'stop' | HttpError | ContentTypeError {
  const { status } = response;
  if (status === 204) return 'stop';
  if (!response.ok) {
    const retryAfter = retryAfterStatuses.includes(status)
      ? parseRetryAfter(response.headers.get('retry-after'), now)
      : undefined;
    return new HttpError(response, label, retryAfter);
  }
  // The MIME type's essence is `text/event-stream`, parameters (`; charset=utf-8`) allowed.
  const essence = response.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  return essence === EventStreamContentType ? 'open' : new ContentTypeError(response, label);
}

/** Frees a response body nobody will read. */
export function discardBody(response: Response): void {
  // A body being read is locked: its cancel() rejects, and the reader frees it.
  response.body?.cancel().catch(() => {});
}
