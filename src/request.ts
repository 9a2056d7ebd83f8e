import type { HeadersContext } from './types.js';

/**
 * RFC 9110 §9.2.1: requests a server must treat as read-only, so sending one again costs nothing and
 * starts nothing: they pause while the page is hidden, and are re-sent after a drop with no id to
 * resume from.
 */
export const safeMethods: readonly string[] = ['GET', 'HEAD'];

/**
 * The arguments of one attempt's `fetch`. A `Request` input is cloned so its body
 * can be sent again; its headers are the base that `headers` adds to.
 */
export function buildAttempt(
  options: { input: RequestInfo | URL; request: Omit<RequestInit, 'body'> & { body?: BodyInit | null | undefined } },
  own: HeadersInit | undefined,
  context: HeadersContext,
  signal: AbortSignal,
): [RequestInfo | URL, RequestInit] {
  const { input } = options;
  const headers = new Headers();
  // Copied pair by pair: with msw 2 installed, `new Headers(request.headers)` lost a
  // Request's own headers in our tests.
  for (const source of [input instanceof Request ? input.headers : undefined, new Headers(own)]) {
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
  // Deviation from spec: the spec's request is a GET with no body and only Accept, Last-Event-ID and
  // the credentials mode; here the caller's method, body and headers go too (what POST chat APIs need).
  // (`body: undefined`, which the options allow, is no body to fetch as well.)
  return [input instanceof Request ? input.clone() : input, { ...options.request, headers, signal } as RequestInit];
}
