import { requestLabel, requestMethod } from './request.js';
import type { FetchEventSourceInit, HeadersOption, RetryPolicy } from './types.js';

/** Every default in one place; the TSDoc `@default` of each option says the same. */
export const defaults = {
  retry: { initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.3, maxRetries: Infinity, minUptime: 5000 },
  maxEventSize: 16 * 1024 * 1024,
  idleTimeout: 0,
  reconnectOnClose: false,
  lastEventId: '',
  /**
   * By HTTP semantics: GET and HEAD are safe to re-send, so they pause while the page is hidden;
   * every other method (a billed POST) stays open.
   * Deviation from `@microsoft/fetch-event-source`, which re-sent every stream on a tab switch.
   */
  openWhenHidden: (method: string): boolean => method !== 'GET' && method !== 'HEAD',
} as const;

export type ResolvedRetryPolicy = Required<{ [K in keyof RetryPolicy]: number }>;

/** The callbacks, read off the caller's options object when they are called. */
export type Callbacks = Pick<FetchEventSourceInit, 'onopen' | 'onmessage' | 'onclose' | 'onerror' | 'onretry'>;

/** The options with defaults applied and every mistake reported up front. */
export interface NormalizedOptions {
  input: RequestInfo | URL;
  /** `METHOD origin/path` for messages: no credentials, no query, no fragment. */
  label: string;
  /** What is passed to `fetch` as it is: method, body, credentials, … */
  request: Omit<RequestInit, 'headers' | 'signal' | 'body'> & Pick<FetchEventSourceInit, 'body'>;
  headers: HeadersOption | undefined;
  signal: AbortSignal | null | undefined;
  fetch: typeof fetch;
  /** `false`: never reconnect. */
  retry: ResolvedRetryPolicy | false;
  reconnectOnClose: boolean;
  lastEventId: string;
  openWhenHidden: boolean;
  maxEventSize: number;
  idleTimeout: number;
  callbacks: Callbacks;
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
  if (!fetch) throw new TypeError('no `fetch` on this platform; pass one as the `fetch` option');
  if (!(maxEventSize > 0)) throw new TypeError('`maxEventSize` must be a positive number');
  if (!(idleTimeout >= 0)) throw new TypeError('`idleTimeout` must be 0 (off) or a positive number');

  const method = requestMethod(input, request.method);
  return {
    input,
    label: requestLabel(input, method, request.body),
    request,
    headers,
    signal,
    fetch,
    retry: retry === false ? false : normalizeRetry(retry),
    reconnectOnClose,
    lastEventId,
    openWhenHidden: openWhenHidden ?? defaults.openWhenHidden(method),
    maxEventSize,
    idleTimeout,
    callbacks: init,
  };
}

function normalizeRetry(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const resolved: ResolvedRetryPolicy = { ...defaults.retry };
  for (const name of Object.keys(resolved) as Array<keyof ResolvedRetryPolicy>) {
    const value = policy[name] ?? defaults.retry[name];
    if (!(value >= 0)) throw new TypeError(`\`retry.${name}\` must be a number ≥ 0, got ${value}`);
    resolved[name] = value;
  }
  if (resolved.factor < 1) throw new TypeError('`retry.factor` must be ≥ 1: a shrinking backoff hammers the server');
  return resolved;
}
