import type { AttemptContext, AttemptRequest, FetchEventSourceInit } from './types.js';

/**
 * RFC 9110 §9.2.1: requests a server must treat as read-only, so sending one again costs nothing and
 * starts nothing: they pause while the page is hidden, and are re-sent after a drop with no id to
 * resume from.
 */
export const safeMethods: readonly string[] = ['GET', 'HEAD'];

/** One attempt's request: where it goes, how, and its name in messages. */
export interface AttemptPlan {
  input: RequestInfo | URL;
  /** Upper-cased, as fetch sends it. */
  method: string;
  /** `METHOD origin/path` for messages: no credentials, no query, no fragment. */
  label: string;
  /** What is passed to `fetch` as it is: method, body, credentials, … */
  init: Omit<RequestInit, 'headers' | 'signal' | 'body'> & Pick<FetchEventSourceInit, 'body'>;
  /** Headers `request` set for this attempt, added over the call's. */
  headers?: HeadersInit | undefined;
}

/**
 * The call's request as `change` (what `request(context)` returned) alters it for one attempt; what
 * `change` leaves out is the call's, but a GET or HEAD sends no body unless `change` gives one.
 * `checkUrl`: see `checkRequest`.
 */
export function planAttempt(call: AttemptPlan, change: AttemptRequest | undefined | void, checkUrl: boolean) {
  if (!change) return call;
  const input = change.input ?? call.input;
  const method = (change.method ?? call.method).toUpperCase();
  const body = 'body' in change ? change.body : safeMethods.includes(method) ? undefined : call.init.body;
  const label = checkRequest(input, method, body, checkUrl);
  return { input, method, label, init: { ...call.init, method, body }, headers: change.headers };
}

/**
 * What fetch would refuse on every attempt, refused once with a `TypeError` that says what is wrong,
 * so it is never retried; returns the request's label. With the platform's fetch (`checkUrl`), a URL
 * it cannot fetch is refused too: a malformed one, a relative one where there is no page to resolve
 * it against (Node, a server-side render), a scheme other than http(s). A custom `fetch` decides
 * for itself what it can fetch (a test double answering `/api/chat` in Node, say).
 */
export function checkRequest(
  input: RequestInfo | URL,
  method: string,
  body: BodyInit | null | undefined,
  checkUrl: boolean,
): string {
  if (body instanceof ReadableStream) {
    throw new TypeError(
      '`body` is a ReadableStream and cannot be re-sent on reconnect; pass a string, Blob or FormData',
    );
  }
  // Credentials, the query and the fragment are left out of the label, since apps that once had
  // only the native `EventSource` put tokens there (`?token=…`), and messages end up in logs.
  const href = input instanceof Request ? input.url : String(input);
  const url = URL.canParse(href) ? new URL(href) : undefined;
  const label = `${method} ${url ? `${url.protocol}//${url.host}${url.pathname}` : href.split(/[?#]/, 1)[0]}`;
  if (url?.username || url?.password) {
    throw new TypeError(`fetch refuses a URL with credentials (${label}); send them in an Authorization header`);
  }
  if (checkUrl) {
    const base = url ? undefined : pageUrl();
    const resolved = url ?? (URL.canParse(href, base) ? new URL(href, base) : undefined);
    if (!resolved) {
      const relative = URL.canParse(href, 'http://relative.invalid/');
      throw new TypeError(
        `cannot fetch ${label}: ${relative ? 'a relative URL with no page to resolve it' : 'invalid URL'}`,
      );
    }
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') {
      throw new TypeError(`cannot fetch ${label}: ${resolved.protocol} is not http: or https:`);
    }
  }
  if (body != null && safeMethods.includes(method)) {
    throw new TypeError(`a ${method} request cannot have a body; set \`method: 'POST'\``);
  }
  return label;
}

/** The URL of the page or worker this runs in, which fetch resolves a relative URL against; none in Node. */
export function pageUrl(): string | undefined {
  try {
    return (globalThis as { location?: { href?: string } }).location?.href;
  } catch {
    // Deno without `--location` throws on reading `location`.
    return undefined;
  }
}

/**
 * The arguments of one attempt's `fetch`. A `Request` input is cloned so its body can be sent
 * again; its headers are the base that the call's `headers` (`own`) and the attempt's add to.
 */
export function buildAttempt(
  plan: AttemptPlan,
  own: HeadersInit | undefined,
  context: AttemptContext & { idempotencyKey: string | undefined },
  signal: AbortSignal,
): [RequestInfo | URL, RequestInit] {
  const { input } = plan;
  const headers = new Headers();
  // Copied pair by pair: with msw 2 installed, `new Headers(request.headers)` lost a
  // Request's own headers in our tests.
  for (const source of [
    input instanceof Request ? input.headers : undefined,
    new Headers(own),
    new Headers(plan.headers),
  ]) {
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
  if (context.idempotencyKey && !headers.has('idempotency-key')) {
    headers.set('idempotency-key', context.idempotencyKey);
  }
  // Deviation from spec: the spec's request is a GET with no body and only Accept, Last-Event-ID and
  // the credentials mode; here the caller's method, body and headers go too (what POST chat APIs need).
  // (`body: undefined`, which the options allow, is no body to fetch as well.)
  return [input instanceof Request ? input.clone() : input, { ...plan.init, headers, signal } as RequestInit];
}

/**
 * A random key for `idempotencyKey: true`: 128 bits as 32 hex digits (any unique string is a valid
 * key). From `getRandomValues`, which every runtime has, since `crypto.randomUUID` is missing on
 * pages served over plain http.
 */
export function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
