import { checkRequest, randomKey, safeMethods, type AttemptPlan } from './request.js';
import type { EventSourceMessage, FetchEventSourceInit, RetryPolicy } from './types.js';

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
  'headers' | 'request' | 'onopen' | 'onclose' | 'onerror' | 'onretry'
> {
  /** The caller's signal, or one that never aborts. */
  signal: AbortSignal;
  /**
   * Takes each event; `lastEventId` is the spec's last event ID string as of it (`MessageEvent.lastEventId`).
   * A promise it returns is watched, not awaited (see `watchHandlers`).
   */
  onmessage?: ((message: EventSourceMessage, lastEventId: string) => unknown) | undefined;
  /**
   * Called after each chunk's events, before the next read, which waits for what it returns: so a
   * slow reader (`fetchEvents`) holds the body, and through it the server, back.
   */
  afterChunk?: (() => Promise<void> | undefined) | undefined;
  /** The call's own request: every attempt's unless `request` changes it. */
  call: AttemptPlan;
  fetch: typeof fetch;
  /** Whether the URLs are checked before they are fetched (see `checkRequest`): not with a custom fetch. */
  checkUrl: boolean;
  /** Sent as `Idempotency-Key` with every attempt, when set. */
  idempotencyKey: string | undefined;
  /** `false`: never reconnect. */
  retry: ResolvedRetryPolicy | false;
  reconnectOnClose: boolean;
  lastEventId: string;
  /** As given; undefined: each attempt's method decides (`defaults.openWhenHidden`). */
  openWhenHidden: boolean | undefined;
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
    request, // kept in `init`: called per attempt
    idempotencyKey,
    ...passed // what fetch takes as it is; the callbacks above stay out of it
  } = init;

  if (/[\r\n\0]/.test(lastEventId)) throw new TypeError('`lastEventId` must not contain CR, LF or NUL');
  if (retry === false && reconnectOnClose) {
    throw new TypeError('`retry: false` cannot be combined with `reconnectOnClose: true`');
  }
  // Called as a plain function: a browser's fetch throws "Illegal invocation" when `this` is
  // anything but the global object, such as an options object it was stored on.
  const fetch = customFetch ?? globalThis.fetch?.bind(globalThis);

  // The method upper-cased as fetch sends it.
  const method = (passed.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const checkUrl = !customFetch;
  const label = checkRequest(input, method, passed.body, checkUrl);
  return {
    ...init,
    call: { input, method, label, init: passed },
    // Every listener the call adds to the caller's signal is removed by whoever added it.
    signal: signal ?? new AbortController().signal,
    fetch,
    checkUrl,
    // (A string that is no valid header value is refused by `Headers`, a TypeError, at the first attempt.)
    idempotencyKey: idempotencyKey === true ? randomKey() : idempotencyKey || undefined,
    retry: retry === false ? false : normalizeRetry(retry),
    reconnectOnClose,
    lastEventId,
    openWhenHidden,
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
