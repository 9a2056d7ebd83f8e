import { createParser, type ParseError } from 'eventsource-parser';
import { EventTooLargeError, NetworkError, type RequestLabel } from './errors.js';
import type { LastEventIdTracker } from './last-event-id.js';
import type { EventSourceMessage } from './options.js';

export interface StreamReader {
  body: ReadableStream<Uint8Array>;
  request: RequestLabel;
  /** Aborting it cancels the body reader, whatever the `fetch` that made the body does with signals. */
  signal: AbortSignal;
  maxEventSize: number;
  lastEventId: LastEventIdTracker;
  /** `lastEventId` is the spec's last event ID string as of this event (see `Consumer`). */
  onMessage: (message: EventSourceMessage, lastEventId: string) => void;
  onRetry: (ms: number) => void;
  /** Called for every chunk received (the idle watchdog). */
  onBytes: () => void;
  /** Awaited after the events of each chunk are delivered: lets a slow consumer hold the next read. */
  afterChunk?: (() => Promise<void>) | undefined;
}

/**
 * Reads one response body to its end, delivering its events.
 * Resolves when the stream ended or `signal` aborted; rejects with `NetworkError` when the
 * connection drops, `EventTooLargeError` on an oversized event, or whatever `onMessage` threw.
 */
export async function readEventStream(options: StreamReader): Promise<void> {
  const { signal, onMessage, lastEventId } = options;
  let retry: number | undefined;
  // The last event ID as of each event: the tracker's value when the chunk began, moved by the
  // ids of the events in it. (An id in a data-less block earlier in the same chunk is missed
  // here; the tracker, which the reconnect uses, never misses it.)
  let currentId = lastEventId.value;
  let dispatched = 0;
  let stopped = signal.aborted;
  const parser = createParser({
    maxBufferSize: options.maxEventSize,
    onEvent(event) {
      dispatched += 1;
      // A handler may abort mid-chunk (the `[DONE]` pattern): deliver nothing after that.
      // (A flag, not `signal.aborted`: that getter costs a fifth of the throughput here.)
      if (stopped) return;
      if (event.id !== undefined) currentId = event.id;
      const message = { id: event.id ?? '', event: event.event ?? 'message', data: event.data, retry };
      retry = undefined;
      onMessage(message, currentId);
    },
    onRetry(ms) {
      retry = ms;
      options.onRetry(ms);
    },
    onError(error: ParseError) {
      // Unknown fields and non-numeric `retry` are ignored, as the spec says; only the size limit stops us.
      if (error.type === 'max-buffer-size-exceeded') {
        throw new EventTooLargeError(options.maxEventSize, options.request);
      }
    },
  });
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream:
  // the stream is UTF-8 and one leading BOM is dropped. We drop it ourselves because Node 24's
  // TextDecoder drops a second BOM too when the first is split across chunks.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let atStart = true;
  const reader = options.body.getReader();
  let endsWithCR = false;
  const cancel = () => {
    stopped = true;
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener('abort', cancel);
  try {
    if (signal.aborted) return;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal.aborted) return;
        throw new NetworkError('read', options.request, error);
      }
      if (signal.aborted) return;
      if (chunk.done) break;
      options.onBytes();
      let text = decoder.decode(chunk.value, { stream: true });
      if (atStart && text !== '') {
        atStart = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (text !== '') endsWithCR = text.charCodeAt(text.length - 1) === 13;
      currentId = lastEventId.value;
      const dispatchedBefore = dispatched;
      parser.feed(text);
      // Stopped mid-chunk (a handler paused or aborted): what was not delivered must be asked
      // for again, so the id to resume from is the last delivered one, not the chunk's last.
      if (stopped) lastEventId.value = currentId;
      else lastEventId.afterParse(text, dispatched - dispatchedBefore, currentId);
      if (options.afterChunk) {
        await options.afterChunk();
        // Time spent waiting for a slow consumer is not the server being idle.
        options.onBytes();
      }
    }
    // Flushing yields '' or U+FFFD for a truncated UTF-8 sequence.
    const rest = decoder.decode();
    if (rest !== '') endsWithCR = false;
    lastEventId.feed(rest);
    parser.feed(rest);
    // The parser holds back a final CR in case an LF follows; at the end nothing will, so
    // complete it (CR LF is one line break, so this adds no line of its own).
    if (endsWithCR) parser.feed('\n');
    // An event still incomplete at the end of the stream is dropped (the spec's "once the end
    // of the file is reached, any pending data must be discarded"), and its id never counts.
  } finally {
    signal.removeEventListener('abort', cancel);
    lastEventId.reset();
    // Frees the connection when we stop early (a handler threw, an oversized event); a no-op after the end.
    reader.cancel().catch(() => {});
  }
}
