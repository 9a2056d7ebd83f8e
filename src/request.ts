import type { RequestLabel } from './errors.js';
import type { NormalizedOptions } from './options.js';
import type { HeadersContext } from './types.js';

/**
 * Method and URL for error messages, after refusing up front what fetch would refuse on every
 * attempt (so it is not retried). The URL is its origin and path only: credentials, the query and
 * the fragment are left out, since apps that once had only the native `EventSource` put tokens
 * there (`?token=…`), and messages end up in logs and error trackers.
 */
export function requestLabel(
  input: RequestInfo | URL,
  method: string | undefined,
  body: BodyInit | null | undefined,
): RequestLabel {
  const upper = (method ?? (isRequest(input) ? input.method : 'GET')).toUpperCase();
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = URL.canParse(href) ? new URL(href) : undefined;
  const label = { method: upper, url: url ? url.origin + url.pathname : (href.split(/[?#]/, 1)[0] ?? '') };
  if (url?.username || url?.password) {
    throw new TypeError(`fetch refuses a URL with credentials (${label.url}); send them in an Authorization header`);
  }
  if (body != null && (upper === 'GET' || upper === 'HEAD')) {
    throw new TypeError(`a ${upper} request cannot have a body; set \`method: 'POST'\``);
  }
  return label;
}

/**
 * The arguments of one attempt's `fetch`. A `Request` input is cloned so its body
 * can be sent again; its headers are the base that `headers` adds to.
 */
export function buildAttempt(
  options: Pick<NormalizedOptions, 'input' | 'request'>,
  own: HeadersInit | undefined,
  context: HeadersContext,
  signal: AbortSignal,
): [RequestInfo | URL, RequestInit] {
  const { input } = options;
  const headers = new Headers();
  // Copied pair by pair: with msw 2 installed, `new Headers(request.headers)` lost a
  // Request's own headers in our tests.
  for (const source of [isRequest(input) ? input.headers : undefined, new Headers(own)]) {
    source?.forEach((value, name) => headers.set(name, value));
  }
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#dom-eventsource (step 13):
  // the request's Accept is `text/event-stream`; a caller's own Accept is kept.
  if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
  // (step 5.4): a non-empty last event ID string is sent as `Last-Event-ID`.
  if (context.lastEventId !== '') headers.set('last-event-id', utf8ByteString(context.lastEventId));
  return [isRequest(input) ? input.clone() : input, { ...options.request, headers, signal }];
}

/**
 * The spec sends the id "encoded as UTF-8", but a `Headers` value is a byte string (one char per
 * byte, ≤ U+00FF) and throws on anything else: hand it the UTF-8 bytes one per char.
 */
function utf8ByteString(value: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII needs no work: the common case stays a no-op
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  let bytes = '';
  for (const byte of new TextEncoder().encode(value)) bytes += String.fromCharCode(byte);
  return bytes;
}

function isRequest(input: RequestInfo | URL): input is Request {
  return typeof Request !== 'undefined' && input instanceof Request;
}
