import { ContentTypeError, HttpError, type RequestLabel } from './errors.js';
import { parseRetryAfter } from './retry.js';

export type ResponseVerdict =
  | { kind: 'open' }
  | { kind: 'stop' }
  | { kind: 'retry'; error: HttpError }
  | { kind: 'fatal'; error: HttpError | ContentTypeError };

/**
 * What a response means for the stream (the policy table in the README).
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model:
 * a 200 with `text/event-stream` announces the connection; anything else fails it.
 * Deviation from spec: any 2xx opens, 204 stops cleanly, and 408/429/5xx are retried
 * because they are temporary by definition, while other 4xx are fatal (a retry would
 * meet the same answer, and a 401 retried forever is the bug we exist to avoid).
 */
export function classifyResponse(response: Response, request: RequestLabel, now: number): ResponseVerdict {
  const { status } = response;
  if (status === 204) return { kind: 'stop' };
  if (status >= 200 && status < 300) {
    return isEventStream(response.headers.get('content-type'))
      ? { kind: 'open' }
      : { kind: 'fatal', error: new ContentTypeError(response, request) };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfter =
      status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined;
    return { kind: 'retry', error: new HttpError(response, request, retryAfter) };
  }
  return { kind: 'fatal', error: new HttpError(response, request) };
}

/** The MIME type of an event stream; exported under the name `@microsoft/fetch-event-source` used. */
export const EventStreamContentType = 'text/event-stream';

/** The MIME type's essence is `text/event-stream`, parameters (`; charset=utf-8`) allowed. */
function isEventStream(contentType: string | null): boolean {
  const essence = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return essence === EventStreamContentType;
}
