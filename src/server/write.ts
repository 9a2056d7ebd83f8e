/**
 * Writing an event stream: events to `text/event-stream` bytes, an async iterable of events to a
 * `Response`. Web-standard only (`Response`, `ReadableStream`, `TextEncoder`), so it runs in Node,
 * Next.js route handlers, Deno and Bun.
 */

/** One event to send. */
export interface ServerEvent {
  /** The event's data; each line becomes a `data:` line. */
  data: string;
  /** The `id:` line: what a client sends back as `Last-Event-ID`. */
  id?: string | undefined;
  /** The `event:` line (the client's `message.event`); `message` when absent. */
  event?: string | undefined;
  /** The `retry:` line: the client's reconnection time, in ms. */
  retry?: number | undefined;
}

export interface EventStreamOptions {
  /**
   * Milliseconds between comment lines sent while no event is (`: \n\n`), so proxies and load
   * balancers do not close an idle connection. `0` turns it off.
   * @default 15000
   */
  heartbeat?: number | undefined;
}

/** The headers an event stream needs: no caching and no transformation by proxies, no buffering by nginx. */
export const eventStreamHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/**
 * `event` as the lines of one event block, ending with the blank line that dispatches it.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream: a line
 * ends at CR, LF or CRLF, so `data` is split on each of them; `id` and `event` cannot hold a line
 * end (and an `id` with NUL is ignored by clients), and `retry` must be digits: those are refused
 * with a `TypeError` naming the field rather than sent as a stream the client reads differently.
 */
export function formatEvent(event: ServerEvent): string {
  const { data, id, event: type, retry } = event;
  if (typeof data !== 'string') throw new TypeError('`data` must be a string');
  if (id !== undefined && /[\r\n\0]/.test(id)) throw new TypeError('`id` must not contain CR, LF or NUL');
  if (type !== undefined && /[\r\n]/.test(type)) throw new TypeError('`event` must not contain CR or LF');
  if (retry !== undefined && !(Number.isSafeInteger(retry) && retry >= 0)) {
    throw new TypeError(`\`retry\` must be a whole number of ms ≥ 0, got ${retry}`);
  }
  let block = '';
  if (id !== undefined) block += `id: ${id}\n`;
  if (type !== undefined) block += `event: ${type}\n`;
  if (retry !== undefined) block += `retry: ${retry}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) block += `data: ${line}\n`;
  return `${block}\n`;
}

/**
 * The events of `source` as the bytes of an event stream, with a heartbeat comment while it is
 * quiet. When the reader cancels (the client went away), the source's iteration is ended with
 * `return()`, so a generator's `finally` runs and whatever it was producing stops. A `source` that
 * throws errors the stream (the connection is cut, so the client reconnects).
 */
export function eventStream(
  source: AsyncIterable<ServerEvent>,
  { heartbeat = 15_000 }: EventStreamOptions = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = source[Symbol.asyncIterator]();
  // Set once the stream closed, errored or was cancelled: nothing is enqueued after that.
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let output!: ReadableStreamDefaultController<Uint8Array>;
  // A comment only goes out after `heartbeat` ms of quiet. One timer, not one per event: an event
  // only notes when it went, and the timer, when it fires, waits out what is left of the quiet.
  let lastSent = Date.now();
  const check = () => {
    const quiet = Date.now() - lastSent;
    if (quiet < heartbeat) {
      timer = setTimeout(check, heartbeat - quiet);
      return;
    }
    output.enqueue(encoder.encode(': \n\n'));
    lastSent = Date.now();
    timer = setTimeout(check, heartbeat);
  };
  const finish = () => {
    finished = true;
    clearTimeout(timer);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
      if (heartbeat > 0) timer = setTimeout(check, heartbeat);
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (finished) return;
        if (next.done) {
          finish();
          controller.close();
        } else {
          controller.enqueue(encoder.encode(formatEvent(next.value)));
          lastSent = Date.now();
        }
      } catch (error) {
        if (finished) return;
        finish();
        controller.error(error);
        // An event the producer made that cannot be sent (formatEvent refused it) stops the producer too.
        void iterator.return?.();
      }
    },
    async cancel() {
      finish();
      await iterator.return?.();
    },
  });
}

/** A `Response` streaming the events of `source` (see {@link eventStream}), with the event-stream headers. */
export function eventStreamResponse(
  source: AsyncIterable<ServerEvent>,
  init: ResponseInit & EventStreamOptions = {},
): Response {
  const { heartbeat, headers, ...rest } = init;
  const merged = new Headers(eventStreamHeaders);
  new Headers(headers).forEach((value, name) => merged.set(name, value));
  return new Response(eventStream(source, { heartbeat }), { status: 200, ...rest, headers: merged });
}
