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

/** What `request` and a `headers` function are told before each request. */
export interface AttemptContext {
  /** The requests of this call so far, counting this one: 1 for the first. */
  attempt: number;
  /** The id that will be sent as `Last-Event-ID`, `""` when there is none. */
  lastEventId: string;
}

/** The name this context had before `request` was added; the same type. */
export type HeadersContext = AttemptContext;

/**
 * What `request` changes for one attempt; what it leaves out is the call's. A `method` of GET or HEAD
 * sends no body unless `body` is given too (which is then a `TypeError`, as in fetch).
 */
export interface AttemptRequest {
  /** Where this attempt goes: a URL, a string or a `Request` (cloned, like the call's own). */
  input?: RequestInfo | URL | undefined;
  method?: string | undefined;
  /** This attempt's body: made fresh for it, so any `BodyInit` but a `ReadableStream`. `null`: none. */
  body?: BodyInit | null | undefined;
  /** Added over the call's `headers` (a name set here replaces the call's). */
  headers?: HeadersInit | undefined;
}

/**
 * Which rule set a reconnect's wait:
 * - `server-retry`: the server's `retry:`, the first reconnect after a connection that made progress;
 * - `backoff`: the backoff, at step `step` (`initialDelay` at step 1);
 * - `retry-after`: a 429's or 503's `Retry-After` (longer than the backoff);
 * - `onerror`: the number `onerror` returned;
 * - `min-interval`: the floor, `retry.minInterval` after the previous request started (longer than the rest);
 * - `offline`: the delay is over but `navigator.onLine` is false: the request goes when `online` fires;
 * - `hidden`: the page is hidden and this request pauses while it is: it goes when the page is shown.
 * The last two have `delay: Infinity`: what ends them is an event, not a clock.
 */
export type RetryReason =
  'server-retry' | 'backoff' | 'retry-after' | 'onerror' | 'min-interval' | 'offline' | 'hidden';

/** What `onretry` is told when a reconnect is scheduled, and again when it then waits for the network or the page. */
export interface RetryInfo {
  /**
   * Consecutive failures so far, 1 for the first. A clean close does not count; a connection
   * that moved the last event id on, or stayed open for `retry.minUptime`, starts the count over.
   */
  failures: number;
  /** Milliseconds until the next request (jitter included); `Infinity` while it waits for the network or the page. */
  delay: number;
  /** Which rule set `delay`. */
  reason: RetryReason;
  /** Consecutive reconnects since the last progress, 1 for the first: the backoff's step. */
  step: number;
  /** The part of `delay` that is random jitter, in ms (0 for `onerror`, `min-interval`, `offline`, `hidden`). */
  jitter: number;
  /** The failure that caused the reconnect; `undefined` after a clean close. */
  error: unknown;
  /**
   * The `Last-Event-ID` the next request sends: the stream resumes after that event. `""` when
   * there is none, so the request starts the stream over (a "retrying" rather than "resuming" badge).
   */
  lastEventId: string;
}

/**
 * The backoff policy. The n-th consecutive reconnect waits `min(maxDelay, base × factor^(n-1))`,
 * stretched by up to `jitter`; a server's `retry:` or `Retry-After` may lengthen a wait, never shorten
 * it, and no two requests start less than `minInterval` apart.
 */
export interface RetryPolicy {
  /**
   * Delay before the first reconnect. A server's `retry:` replaces it for the first reconnect after
   * a connection that made progress (even `retry: 0`); later ones grow from the larger of the two.
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
   * Consecutive attempts that made no progress allowed before giving up with `RetryLimitError`. A
   * connection that opens and drops without moving the last event id to a new id (within `minUptime`)
   * does not end the run of failures: a server that replays the same start and crashes is given up on.
   * @default Infinity
   */
  maxRetries?: number | undefined;
  /**
   * Milliseconds a connection must stay open to count as progress when it did not move the last
   * event id on (heartbeats, or events without ids). A connection that moved it to a new id made
   * progress however short it was. Progress starts the backoff and the failure count over, so a
   * stream that resumes and moves on is never given up on, while a server that answers 200, replays
   * the same start and drops is backed off like one that refuses. Events without ids prove nothing:
   * a crash loop sends the same first event every time.
   * @default 5000
   */
  minUptime?: number | undefined;
  /**
   * The least time between the starts of two requests of one call, whatever a server's `retry:`,
   * `Retry-After` or `onerror`'s number says: at most 10 requests a second by default. `0` turns the
   * floor off.
   * @default 100
   */
  minInterval?: number | undefined;
}

export type HeadersOption = HeadersInit | ((context: AttemptContext) => HeadersInit | Promise<HeadersInit>);

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
  /**
   * Called before every attempt (before it waits for a hidden page or the network; `headers` is
   * called after, right before the request), returning what to change for that attempt, or nothing.
   * A chat POSTs its conversation once and resumes a drop with a GET of its stream:
   * `({ attempt }) => attempt > 1 ? { method: 'GET', input: \`/api/chat/${id}/stream\` } : undefined`.
   * Each attempt's method decides its page-visibility default and whether a drop may be re-sent.
   * If it throws, the call rejects with that error.
   */
  request?:
    | ((context: AttemptContext) => AttemptRequest | undefined | void | Promise<AttemptRequest | undefined | void>)
    | undefined;
  /**
   * Sends an `Idempotency-Key` header with every attempt of the call, the same value each time, so a
   * server can attach a re-sent POST to the answer it already started instead of starting a second
   * (the IETF httpapi draft's header; Stripe's convention). `true` makes a random UUID per call; a
   * string is sent as it is. A `headers` or `request` value of the same name wins. Off by default: a
   * custom header makes a cross-origin request preflighted.
   * @default false
   */
  idempotencyKey?: boolean | string | undefined;
  /** Aborting it stops everything at once; the promise then resolves. */
  signal?: AbortSignal | null | undefined;
  /** Called once per opened connection (2xx with `text/event-stream`). Throwing (or rejecting) is fatal. */
  onopen?: ((response: Response) => void | Promise<void>) | undefined;
  /**
   * Called for each event. Throwing is fatal, and so is returning a promise that rejects: the call
   * rejects with it (and does not resolve before the promises it returned have settled). It is not
   * awaited: events keep coming while it runs (for backpressure, use `fetchEvents`).
   */
  onmessage?: ((message: EventSourceMessage) => unknown) | undefined;
  /** The server ended the stream cleanly. Throwing (or rejecting) makes it a failure that is retried. */
  onclose?: (() => void | Promise<void>) | undefined;
  /**
   * Called for every failure before the policy decides: return a number of ms to retry
   * after that long (`0` included: the caller asked for it; only `retry.minInterval` is kept),
   * throw to stop (the promise rejects with it), return nothing for the default policy.
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
   * @default { initialDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0.3, maxRetries: Infinity, minUptime: 5000, minInterval: 100 }
   */
  retry?: RetryPolicy | false | undefined;
  /**
   * Largest event, in characters of its data, id and type together. A bigger one is a fatal
   * `EventTooLargeError` and is not delivered, however the stream was chunked.
   * @default 16 MiB (16 × 1024 × 1024)
   */
  maxEventSize?: number | undefined;
  /**
   * Milliseconds without a single byte (counting from the request) after which the
   * connection is treated as dead and retried. `0` turns it off.
   * @default 0
   */
  idleTimeout?: number | undefined;
}
