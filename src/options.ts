import { safeMethods } from './request.js';
import type { EventSourceMessage, FetchEventSourceInit, RetryPolicy } from './types.js';

/**
 * The status policy as data (the README's policy table): a 2xx `text/event-stream` opens, 204 stops,
 * these are retried (408 and 429 say "come back later"; 5xx is the server's own trouble), every
 * other status is fatal; and these carry a `Retry-After` worth reading (RFC 9110 §10.2.3: 503; RFC
 * 6585: 429).
 */
export const retryStatuses: readonly number[] = [408, 429];
export const retryAfterStatuses: readonly number[] = [429, 503];

/** Every default in one place; the TSDoc `@default` of each option says the same. */
export const defaults = {
  retry: {
    initialDelay: 1000,
    maxDelay: 30_000,
    factor: 2,
    jitter: 0.3,
    maxRetries: Infinity,
    minUptime: 5000,
    minInterval: 100,
  },
  maxEventSize: 16 * 1024 * 1024,
  idleTimeout: 0,
  reconnectOnClose: false,
  lastEventId: '',
  /**
   * By HTTP semantics: GET and HEAD are safe to re-send, so they pause while the page is hidden;
   * every other method (a billed POST) stays open.
   * Deviation from `@microsoft/fetch-event-source`, which re-sent every stream on a tab switch.
   */
  openWhenHidden: (method: string): boolean => !safeMethods.includes(method),
} as const;

export type ResolvedRetryPolicy = Required<{ [K in keyof RetryPolicy]: number }>;

/**
 * The options with defaults applied and every mistake reported up front; the callbacks as given, and
 * two that only this library's own readers set.
 */
export interface NormalizedOptions extends Pick<
  FetchEventSourceInit,
  'headers' | 'onopen' | 'onclose' | 'onerror' | 'onretry'
> {
  /** The caller's signal, or one that never aborts. */
  signal: AbortSignal;
  /** Takes each event; `lastEventId` is the spec's last event ID string as of it (`MessageEvent.lastEventId`). */
  onmessage?: ((message: EventSourceMessage, lastEventId: string) => void) | undefined;
  /**
   * Called after each chunk's events, before the next read, which waits for what it returns: so a
   * slow reader (`fetchEvents`) holds the body, and through it the server, back.
   */
  afterChunk?: (() => Promise<void> | undefined) | undefined;
  input: RequestInfo | URL;
  /** Upper-cased, as fetch sends it. */
  method: string;
  /** `METHOD origin/path` for messages: no credentials, no query, no fragment. */
  label: string;
  /** What is passed to `fetch` as it is: method, body, credentials, … */
  request: Omit<RequestInit, 'headers' | 'signal' | 'body'> & Pick<FetchEventSourceInit, 'body'>;
  fetch: typeof fetch;
  /** `false`: never reconnect. */
  retry: ResolvedRetryPolicy | false;
  reconnectOnClose: boolean;
  lastEventId: string;
  openWhenHidden: boolean;
  maxEventSize: number;
  idleTimeout: number;
}

export function normalizeOptions(input: RequestInfo | URL, init: FetchEventSourceInit = {}): NormalizedOptions {
  const {
    headers,
    signal,
    fetch: customFetch,
    retry,
    reconnectOnClose = defaults.reconnectOnClose,
    lastEventId = defaults.lastEventId,
    openWhenHidden,
    maxEventSize = defaults.maxEventSize,
    idleTimeout = defaults.idleTimeout,
    onopen,
    onmessage,
    onclose,
    onerror,
    onretry,
    ...request // what fetch takes as it is; the callbacks above stay out of it
  } = init;

  if (request.body instanceof ReadableStream) {
    throw new TypeError(
      '`body` is a ReadableStream and cannot be re-sent on reconnect; pass a string, Blob or FormData',
    );
  }
  if (/[\r\n\0]/.test(lastEventId)) throw new TypeError('`lastEventId` must not contain CR, LF or NUL');
  if (retry === false && reconnectOnClose) {
    throw new TypeError('`retry: false` cannot be combined with `reconnectOnClose: true`');
  }
  // Called as a plain function: a browser's fetch throws "Illegal invocation" when `this` is
  // anything but the global object, such as an options object it was stored on.
  const fetch = customFetch ?? globalThis.fetch?.bind(globalThis);

  // The method upper-cased as fetch sends it; the label, `METHOD origin/path`, for error messages.
  // Credentials, the query and the fragment are left out of the label, since apps that once had
  // only the native `EventSource` put tokens there (`?token=…`), and messages end up in logs.
  const method = (request.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const href = input instanceof Request ? input.url : String(input);
  const url = URL.canParse(href) ? new URL(href) : undefined;
  const label = `${method} ${url ? url.origin + url.pathname : href.split(/[?#]/, 1)[0]}`;
  // What fetch would refuse on every attempt is refused once, here, so it is not retried.
  if (url?.username || url?.password) {
    throw new TypeError(`fetch refuses a URL with credentials (${label}); send them in an Authorization header`);
  }
  if (request.body != null && safeMethods.includes(method)) {
    throw new TypeError(`a ${method} request cannot have a body; set \`method: 'POST'\``);
  }
  return {
    ...init,
    input,
    method,
    label,
    request,
    // Every listener the call adds to the caller's signal is removed by whoever added it.
    signal: signal ?? new AbortController().signal,
    fetch,
    retry: retry === false ? false : normalizeRetry(retry),
    reconnectOnClose,
    lastEventId,
    openWhenHidden: openWhenHidden ?? defaults.openWhenHidden(method),
    maxEventSize: atLeast('maxEventSize', maxEventSize, 1),
    idleTimeout: atLeast('idleTimeout', idleTimeout, 0),
  };
}

function normalizeRetry(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const resolved: ResolvedRetryPolicy = { ...defaults.retry };
  for (const name of Object.keys(resolved) as Array<keyof ResolvedRetryPolicy>) {
    // A factor below 1 would shrink the backoff: hammering the server.
    resolved[name] = atLeast(`retry.${name}`, policy[name] ?? resolved[name], name === 'factor' ? 1 : 0);
  }
  return resolved;
}

/** `value`, or a `TypeError` naming the option when it is not a number ≥ `least` (NaN included). */
function atLeast(name: string, value: number, least: number): number {
  if (!(value >= least)) throw new TypeError(`\`${name}\` must be a number ≥ ${least}, got ${value}`);
  return value;
}
