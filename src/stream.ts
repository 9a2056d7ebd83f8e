import { createParser } from 'eventsource-parser';
import type { Session } from './attempt.js';
import { EventTooLargeError, NetworkError } from './errors.js';
import type { EventSourceMessage } from './types.js';

/**
 * The parser counts a pending line with its field name (`event: ` is the longest, 7 chars) on top of
 * the event's data, while our limit counts the event's data, id and type only. With this slack the
 * parser trips only for a block that our own check in `onEvent` would refuse too, so an event is
 * refused (or not) the same way however the stream was chunked.
 */
const LONGEST_FIELD_PREFIX = 'event: '.length;

/**
 * Who takes the events: one at a time as the parser finds them (`fetchEventSource`'s `onmessage`,
 * the `EventSource` class), or each chunk's events as one batch (`fetchEvents`), whose promise holds
 * the next read until the batch is taken, so a slow consumer holds the body, and the server, back.
 */
export type Consumer =
  | {
      /** `lastEventId` is the spec's last event ID string as of this event (`MessageEvent.lastEventId`). */
      onMessage: (message: EventSourceMessage, lastEventId: string) => void;
      onBatch?: undefined;
    }
  | { onBatch: (messages: EventSourceMessage[]) => Promise<void>; onMessage?: undefined };

/**
 * Reads one response body to its end, delivering its events to the session's consumer and telling
 * the session its last event ID (once per chunk, after the chunk's events) and the server's `retry:`.
 * `onBytes` is called for every chunk received (the idle watchdog). Aborting `signal` cancels the
 * body reader, whatever the `fetch` that made the body does with signals.
 * Resolves when the stream ended or `signal` aborted; rejects with `NetworkError` when the
 * connection drops, `EventTooLargeError` on an oversized event, or whatever `onMessage` threw.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  session: Session,
  signal: AbortSignal,
  onBytes: () => void,
): Promise<void> {
  const { maxEventSize, label } = session.options;
  const { onMessage, onBatch } = session.consumer;
  let batch: EventSourceMessage[] = [];
  let lastEventId = session.lastEventId;
  let retry: number | undefined;
  // A handler may abort mid-chunk (the `[DONE]` pattern): nothing after that is delivered, and
  // no later id is committed, so a resume asks again for exactly what was not delivered.
  // (A flag, not `signal.aborted`: that getter costs a fifth of the throughput here.)
  let stopped = signal.aborted;
  const tooLarge = () => new EventTooLargeError(maxEventSize, label);
  const parser = createParser({
    maxBufferSize: maxEventSize + LONGEST_FIELD_PREFIX,
    // https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage (step 1):
    // a blank line sets the last event ID string to the id buffer, whether the block had data or not.
    onId(id) {
      if (stopped) return;
      if (id.length > maxEventSize) throw tooLarge();
      lastEventId = id;
    },
    onEvent(event) {
      if (stopped) return;
      const { id = '', event: type, data } = event;
      if (data.length + id.length + (type?.length ?? 0) > maxEventSize) throw tooLarge();
      // The parser hands over a fresh object per event: filling in its defaults in place spares an
      // allocation per event (a tenth of the throughput on small events) and keeps its shape.
      const message = event as EventSourceMessage;
      message.id = id;
      message.event = type ?? 'message';
      if (retry !== undefined) {
        message.retry = retry;
        retry = undefined;
      }
      if (onMessage) onMessage(message, lastEventId);
      else batch.push(message);
    },
    onRetry(ms) {
      retry = session.serverRetry = ms;
    },
    onError(error) {
      // Unknown fields and non-numeric `retry` are ignored, as the spec says; only the size limit stops us.
      if (error.type === 'max-buffer-size-exceeded') throw tooLarge();
    },
  });
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream:
  // the stream is UTF-8 and one leading BOM is dropped. The parser drops it; the decoder must
  // keep every BOM (Node 24's drops a second one too when the first is split across chunks).
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const reader = body.getReader();
  const cancel = () => {
    stopped = true;
    reader.cancel(signal.reason).catch(() => {});
  };
  /**
   * Feeds `text` to the parser and commits the last event ID, also when a handler threw or an event
   * was too large mid-chunk: the events delivered before that are not asked for again. A batch
   * consumer is handed the events found before such a throw, and its promise is returned; an
   * event-at-a-time consumer costs no await.
   */
  const feed = (text: string): Promise<void> | undefined => {
    let thrown: { error: unknown } | undefined;
    try {
      parser.feed(text);
    } catch (error) {
      thrown = { error };
    }
    session.lastEventId = lastEventId;
    if (onBatch && batch.length > 0) {
      const taken = batch;
      batch = [];
      return onBatch(taken).then(() => {
        if (thrown) throw thrown.error;
        // Time spent waiting for a slow consumer is not the server being idle.
        onBytes();
      });
    }
    if (thrown) throw thrown.error;
    return undefined;
  };
  signal.addEventListener('abort', cancel);
  try {
    for (;;) {
      if (stopped) return;
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (stopped) return;
        throw new NetworkError('connection dropped while reading', label, error);
      }
      if (stopped) return;
      if (chunk.done) break;
      onBytes();
      const taking = feed(decoder.decode(chunk.value, { stream: true }));
      if (taking) await taking;
    }
    // Flushing yields '' or U+FFFD for a truncated UTF-8 sequence. An event still incomplete at
    // the end is dropped (the spec's "once the end of the file is reached, any pending data must
    // be discarded"), and its id never counts.
    await feed(decoder.decode());
  } finally {
    signal.removeEventListener('abort', cancel);
    // Frees the connection when we stop early (a handler threw, an oversized event); a no-op after the end.
    reader.cancel().catch(() => {});
  }
}
