/** One event as the stream sent it. */
export interface EventSourceMessage {
  /** The `id:` of this event's block, or `""` when the block had none. */
  id: string;
  /** The `event:` type, `"message"` when the block had none. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The `retry:` value (ms) the server sent since the previous event, if it sent one. */
  retry?: number | undefined;
}

/** What a `headers` function is told before each request. */
export interface HeadersContext {
  /** The requests of this call so far, counting this one: 1 for the first. */
  attempt: number;
  /** The id that will be sent as `Last-Event-ID`, `""` when there is none. */
  lastEventId: string;
}

/** What `onretry` is told when a reconnect is scheduled. */
export interface RetryInfo {
  /** Consecutive failures so far, 1 for the first; 0 for a reconnect after a clean close. */
  failures: number;
  /** Milliseconds until the next request. */
  delay: number;
  /** The failure that caused the reconnect; `undefined` after a clean close. */
  error: unknown;
}

/** The backoff policy. The n-th consecutive retry waits `min(maxDelay, base × factor^(n-1))`, stretched by up to `jitter`. */
export interface RetryPolicy {
  /**
   * Delay before the first retry, unless the server sent `retry:`.
   * @default 1000
   */
  initialDelay?: number | undefined;
  /**
   * Cap on the computed delay (a server's `retry:` or `Retry-After` may exceed it).
   * @default 30000
   */
  maxDelay?: number | undefined;
  /**
   * Growth of the delay per consecutive failure.
   * @default 2
   */
  factor?: number | undefined;
  /**
   * Random stretch of each delay, as a fraction: 0.3 waits between 1× and 1.3×.
   * @default 0.3
   */
  jitter?: number | undefined;
  /**
   * Consecutive failures allowed before giving up with `RetryLimitError`.
   * @default Infinity
   */
  maxRetries?: number | undefined;
}

type HeadersOption = HeadersInit | ((context: HeadersContext) => HeadersInit | Promise<HeadersInit>);

/** `RequestInit` plus the event-stream options. */
export interface FetchEventSourceInit extends Omit<RequestInit, 'headers' | 'body' | 'signal'> {
  /**
   * Request headers: any `HeadersInit`, or a function called before every request
   * (so a refreshed token is used on reconnect). `Accept: text/event-stream` is added
   * unless set; `Last-Event-ID` is added when there is one.
   */
  headers?: HeadersOption | undefined;
  /** Sent with every attempt, so it must be re-sendable: a `ReadableStream` is refused. */
  body?: BodyInit | null | undefined;
  /** Aborting it stops everything at once; the promise then resolves. */
  signal?: AbortSignal | null | undefined;
  /** Called once per opened connection (2xx with `text/event-stream`). Throwing is fatal. */
  onopen?: ((response: Response) => void | Promise<void>) | undefined;
  /** Called for each event. Throwing is fatal. */
  onmessage?: ((message: EventSourceMessage) => void) | undefined;
  /** The server ended the stream cleanly. Throwing makes it a failure that is retried. */
  onclose?: (() => void | Promise<void>) | undefined;
  /**
   * Called for every failure before the policy decides: return a number of ms to retry
   * after exactly that long, throw to stop (the promise rejects with it), return nothing
   * for the default policy.
   */
  onerror?: ((error: unknown) => number | null | undefined | void) | undefined;
  /** Called when a reconnect is scheduled. */
  onretry?: ((info: RetryInfo) => void) | undefined;
  /**
   * Keep the stream open while the page is hidden.
   * @default true for POST and every non-GET/HEAD method, false for GET and HEAD
   */
  openWhenHidden?: boolean | undefined;
  /**
   * The `fetch` to use.
   * @default globalThis.fetch, looked up at call time
   */
  fetch?: typeof fetch | undefined;
  /**
   * The `Last-Event-ID` to send with the first request (resume after a reload).
   * @default ""
   */
  lastEventId?: string | undefined;
  /**
   * After a clean end of the stream, reconnect (like `EventSource`) instead of resolving.
   * @default false
   */
  reconnectOnClose?: boolean | undefined;
  /**
   * The backoff policy, or `false` to never reconnect.
   * @default { initialDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0.3, maxRetries: Infinity }
   */
  retry?: RetryPolicy | false | undefined;
  /**
   * Largest event, in characters of buffered decoded text. A bigger one is a fatal `EventTooLargeError`.
   * @default 16 MiB (16 × 1024 × 1024)
   */
  maxEventSize?: number | undefined;
  /**
   * Milliseconds without a single byte (counting from the request) after which the
   * connection is treated as dead and retried. `0` turns it off.
   * @default 0
   */
  idleTimeout?: number | undefined;
  /** @internal Source of randomness for jitter; tests pass a fixed one. */
  random?: (() => number) | undefined;
}

export const defaults = {
  retry: { initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.3, maxRetries: Infinity },
  maxEventSize: 16 * 1024 * 1024,
  idleTimeout: 0,
  reconnectOnClose: false,
  lastEventId: '',
} as const;

export type ResolvedRetryPolicy = Required<{ [K in keyof RetryPolicy]: number }>;

/** The options with defaults applied and every mistake reported up front. */
export interface NormalizedOptions {
  /** What is passed to `fetch` as it is: method, body, credentials, … */
  request: Omit<RequestInit, 'headers' | 'signal'>;
  headers: HeadersOption | undefined;
  signal: AbortSignal | undefined;
  fetch: typeof fetch;
  retry: ResolvedRetryPolicy;
  /** False for `retry: false`: no reconnect in any case. */
  reconnects: boolean;
  reconnectOnClose: boolean;
  lastEventId: string;
  openWhenHidden: boolean | undefined;
  maxEventSize: number;
  idleTimeout: number;
  random: () => number;
  onopen: FetchEventSourceInit['onopen'];
  onmessage: FetchEventSourceInit['onmessage'];
  onclose: FetchEventSourceInit['onclose'];
  onerror: FetchEventSourceInit['onerror'];
  onretry: FetchEventSourceInit['onretry'];
}

export function normalizeOptions(init: FetchEventSourceInit = {}): NormalizedOptions {
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
    random = Math.random,
    onopen,
    onmessage,
    onclose,
    onerror,
    onretry,
    body,
    ...rest
  } = init;
  const request: NormalizedOptions['request'] = body === undefined ? rest : { ...rest, body };

  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) {
    throw new TypeError(
      '`body` is a ReadableStream and cannot be re-sent on reconnect; pass a string, Blob, FormData, URLSearchParams or ArrayBuffer',
    );
  }
  if (/[\r\n\0]/.test(lastEventId)) {
    throw new TypeError('`lastEventId` must not contain CR, LF or NUL: it is sent as the Last-Event-ID header');
  }
  if (retry === false && reconnectOnClose) {
    throw new TypeError('`retry: false` never reconnects, so it cannot be combined with `reconnectOnClose: true`');
  }
  if (customFetch === undefined && typeof globalThis.fetch !== 'function') {
    throw new TypeError('no `fetch` on this platform; pass one as the `fetch` option');
  }
  // Called as a plain function: a browser's fetch throws "Illegal invocation" when `this` is
  // anything but the global object, such as an options object it was stored on.
  const fetchImpl = customFetch ?? globalThis.fetch.bind(globalThis);
  if (!(maxEventSize > 0)) throw new TypeError('`maxEventSize` must be a positive number of characters');
  if (!(idleTimeout >= 0)) throw new TypeError('`idleTimeout` must be 0 (off) or a positive number of ms');

  return {
    request,
    headers,
    signal: signal ?? undefined,
    fetch: fetchImpl,
    retry: normalizeRetry(retry === false ? undefined : retry),
    reconnects: retry !== false,
    reconnectOnClose,
    lastEventId,
    openWhenHidden,
    maxEventSize,
    idleTimeout,
    random,
    onopen,
    onmessage,
    onclose,
    onerror,
    onretry,
  };
}

function normalizeRetry(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const resolved = {
    initialDelay: policy.initialDelay ?? defaults.retry.initialDelay,
    maxDelay: policy.maxDelay ?? defaults.retry.maxDelay,
    factor: policy.factor ?? defaults.retry.factor,
    jitter: policy.jitter ?? defaults.retry.jitter,
    maxRetries: policy.maxRetries ?? defaults.retry.maxRetries,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!(value >= 0)) throw new TypeError(`\`retry.${name}\` must be a number ≥ 0, got ${String(value)}`);
  }
  if (resolved.factor < 1) throw new TypeError('`retry.factor` must be ≥ 1: a shrinking backoff hammers the server');
  return resolved;
}
