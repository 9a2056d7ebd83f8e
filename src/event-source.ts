import { runStream } from './client.js';
import { normalizeOptions } from './options.js';
import { pageUrl } from './request.js';
import { eventTargetCallsHandlers, messageEvent } from './platform-events.js';
import type { FetchEventSourceInit } from './types.js';

/** The options of {@link EventSource}: the native `withCredentials` plus this library's request and policy options. */
export interface EventSourceInit extends Pick<
  FetchEventSourceInit,
  'headers' | 'method' | 'body' | 'fetch' | 'retry' | 'openWhenHidden' | 'lastEventId' | 'maxEventSize' | 'idleTimeout'
> {
  /** Send cookies and credentials to another origin (`credentials: 'include'`). @default false */
  withCredentials?: boolean | undefined;
}

/** The `error` event; `error` is the failure behind it (the native API gives no reason). */
export interface EventSourceErrorEvent extends Event {
  readonly error?: unknown;
}

type Handler<E extends Event> = ((this: EventSource, event: E) => unknown) | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * A drop-in for the native `EventSource` on top of this library's connection loop: the same
 * surface and processing model, plus headers, a body, backoff and typed errors.
 *
 * Follows https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface:
 * it reconnects after a clean end (readyState CONNECTING, then `error`), and a failure that
 * ends it sets CLOSED and fires `error`.
 * Deviation from spec: the library's policy decides what is fatal (4xx but 408/429) and how
 * long to wait (exponential backoff); `openWhenHidden` defaults to true, as the native class never pauses.
 */
export class EventSource extends EventTarget {
  static readonly CONNECTING: 0 = CONNECTING;
  static readonly OPEN: 1 = OPEN;
  static readonly CLOSED: 2 = CLOSED;
  readonly CONNECTING: 0 = CONNECTING;
  readonly OPEN: 1 = OPEN;
  readonly CLOSED: 2 = CLOSED;

  declare readonly url: string;
  declare readonly withCredentials: boolean;
  onopen: Handler<Event> = null;
  onmessage: Handler<MessageEvent<string>> = null;
  onerror: Handler<EventSourceErrorEvent> = null;
  #readyState: number = CONNECTING;
  #controller = new AbortController();

  get readyState(): number {
    return this.#readyState;
  }

  constructor(url: string | URL, init: EventSourceInit = {}) {
    super();
    // Steps 3-5: the URL is parsed against the document's base URL; failure is a SyntaxError.
    const base = pageUrl();
    if (!URL.canParse(url, base)) throw new DOMException(`invalid URL: ${String(url)}`, 'SyntaxError');
    this.url = new URL(url, base).href;
    // Never paused while hidden by default, as the native class is not.
    const { withCredentials = false, openWhenHidden = true, ...rest } = init;
    this.withCredentials = withCredentials;
    // The on* attributes run before listeners added later, as attributes set first do; where the
    // platform's EventTarget calls them itself (workerd), it is left to do so.
    if (!eventTargetCallsHandlers()) {
      for (const type of ['open', 'message', 'error'] as const) {
        this.addEventListener(type, (event) => this[`on${type}`]?.call(this, event as MessageEvent<string>));
      }
    }

    let origin = new URL(this.url).origin;
    const options = normalizeOptions(this.url, {
      ...rest,
      // Steps 9-10: CORS mode, credentials from withCredentials, no caching.
      mode: 'cors',
      credentials: withCredentials ? 'include' : 'same-origin',
      cache: 'no-store',
      openWhenHidden,
      reconnectOnClose: true,
      signal: this.#controller.signal,
      onopen: (response) => {
        // "Announce the connection": OPEN, then `open`.
        origin = new URL(response.url || this.url).origin;
        this.#readyState = OPEN;
        this.dispatchEvent(new Event('open'));
      },
      onretry: ({ error, reason }) => {
        // A reconnect that then waits for the network or the page was announced already.
        if (reason === 'offline' || reason === 'hidden') return;
        // "Reestablish the connection": CONNECTING, then `error`.
        this.#readyState = CONNECTING;
        this.dispatchEvent(errorEvent(error));
      },
    });
    runStream({
      ...options,
      // "Dispatch the event": a MessageEvent of the `event:` type.
      onmessage: (message, lastEventId) =>
        this.dispatchEvent(messageEvent(message.event, { data: message.data, lastEventId, origin })),
    }).then(
      // Resolved: close() was called (nothing to fire), or a 204, which fails the connection.
      () => this.#fail(undefined),
      (error: unknown) => this.#fail(error),
    );
  }

  /** Stops the connection and any reconnect, at once; fires nothing. */
  close(): void {
    this.#readyState = CLOSED;
    this.#controller.abort();
  }

  /** "Fail the connection": CLOSED, then `error`, unless close() came first. */
  #fail(error: unknown): void {
    if (this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    this.dispatchEvent(errorEvent(error));
  }
}

function errorEvent(error: unknown): EventSourceErrorEvent {
  return Object.assign(new Event('error'), { error });
}
