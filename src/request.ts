import type { NormalizedOptions } from './options.js';
import type { HeadersContext } from './types.js';

/**
 * `METHOD origin/path` for error messages, after refusing up front what fetch would refuse on
 * every attempt (so it is not retried). Credentials, the query and the fragment are left out,
 * since apps that once had only the native `EventSource` put tokens there (`?token=…`), and
 * messages end up in logs and error trackers.
 */
export function requestLabel(input: RequestInfo | URL, method: string, body: BodyInit | null | undefined): string {
  const href = isRequest(input) ? input.url : String(input);
  const url = URL.canParse(href) ? new URL(href) : undefined;
  const label = `${method} ${url ? url.origin + url.pathname : href.split(/[?#]/, 1)[0]}`;
  if (url?.username || url?.password) {
    throw new TypeError(`fetch refuses a URL with credentials (${label}); send them in an Authorization header`);
  }
  if (body != null && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(`a ${method} request cannot have a body; set \`method: 'POST'\``);
  }
  return label;
}

/** The request's method, upper-cased as fetch normalizes it: `init.method`, else the `Request`'s, else GET. */
export function requestMethod(input: RequestInfo | URL, method: string | undefined): string {
  return (method ?? (isRequest(input) ? input.method : 'GET')).toUpperCase();
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
  // (step 5.4): a non-empty last event ID string is sent as `Last-Event-ID`, "encoded as UTF-8".
  // A `Headers` value is a byte string (one char per byte) that throws on anything above U+00FF,
  // so it is handed the UTF-8 bytes one per char.
  let id = '';
  for (const byte of new TextEncoder().encode(context.lastEventId)) id += String.fromCharCode(byte);
  if (id) headers.set('last-event-id', id);
  // (`body: undefined`, which the options allow, is no body to fetch as well.)
  return [isRequest(input) ? input.clone() : input, { ...options.request, headers, signal } as RequestInit];
}

function isRequest(input: RequestInfo | URL): input is Request {
  return typeof Request !== 'undefined' && input instanceof Request;
}
