import { createParser } from 'eventsource-parser';
import { EventTooLargeError, NetworkError } from './errors.js';
import type { NormalizedOptions } from './options.js';
import type { EventSourceMessage } from './types.js';

/**
 * The parser counts a pending line with its field name (`event: ` is the longest, 7 chars) on top of
 * the event's data, while our limit counts the event's data, id and type only. With this slack the
 * parser trips only for a block that our own check in `onEvent` would refuse too, so an event is
 * refused (or not) the same way however the stream was chunked.
 */
const LONGEST_FIELD_PREFIX = 'event: '.length;

/** What a stream is read for: the limits, who takes the events, where the last event ID starts. */
export interface StreamInit {
  options: Pick<NormalizedOptions, 'maxEventSize' | 'onmessage' | 'afterChunk'>;
  /** The attempt's `METHOD origin/path`, for messages. */
  label: string;
  /** https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-last-event-id */
  lastEventId: string;
  /** The server sent `retry:` (ms). */
  onRetry: (ms: number) => void;
  /** Takes what `onmessage` returned when it returned something (an async handler's promise). */
  onReturned: (value: unknown) => void;
}

/** The parser of one stream. */
interface EventParser {
  /** Parses the next piece of text, delivering the events it completes. */
  feed: (text: string) => void;
  /** From now on nothing is delivered and no id is taken. */
  silence: () => void;
  /** Reports what the stream found to `onEnd`, once (not per event). */
  end: () => void;
}

/**
 * The events of one stream: the parser, with each event completed (the spec's defaults, the
 * `retry:` that came before it), held to `maxEventSize` and handed to `onmessage`, and the last
 * event ID string kept. Knows nothing of bytes, readers or signals.
 */
function createEventParser(init: StreamInit, onEnd: (lastEventId: string, delivered: number) => void): EventParser {
  const { maxEventSize, onmessage } = init.options;
  const { label, onReturned } = init;
  // Kept here, not on the returned object: a closure variable is the cheapest state per event.
  let lastEventId = init.lastEventId;
  let delivered = 0;
  // A `retry:` seen since the last event: the next event carries it (`message.retry`).
  let retry: number | undefined;
  // Set once the read stops early (an abort, a throw). A handler may abort mid-chunk (the `[DONE]`
  // pattern): nothing after that is delivered, and no later id is taken, so a resume asks again for
  // exactly what was not delivered. (A flag, not `signal.aborted`: that getter costs a fifth of the
  // throughput here.)
  let silenced = false;
  const tooLarge = () => new EventTooLargeError(maxEventSize, label);
  const parser = createParser({
    maxBufferSize: maxEventSize + LONGEST_FIELD_PREFIX,
    // https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage (step 1):
    // a blank line sets the last event ID string to the id buffer, whether the block had data or not.
    onId(id) {
      if (silenced) return;
      if (id.length > maxEventSize) throw tooLarge();
      lastEventId = id;
    },
    onEvent(event) {
      if (silenced) return;
      // The parser hands over a fresh object per event: filling in its defaults in place spares an
      // allocation per event (a tenth of the throughput on small events) and keeps its shape.
      const message = event as EventSourceMessage;
      let size = event.data.length;
      if (event.id === undefined) message.id = '';
      else size += event.id.length;
      if (event.event === undefined) message.event = 'message';
      else size += event.event.length;
      if (size > maxEventSize) throw tooLarge();
      if (retry !== undefined) {
        message.retry = retry;
        retry = undefined;
      }
      delivered += 1;
      const returned = onmessage?.(message, lastEventId);
      // (`undefined` is what a synchronous handler returns: the one comparison per event.)
      if (returned !== undefined) onReturned(returned);
    },
    onRetry(ms) {
      retry = ms;
      init.onRetry(ms);
    },
    onError(error) {
      // Unknown fields and non-numeric `retry` are ignored, as the spec says; only the size limit stops us.
      if (error.type === 'max-buffer-size-exceeded') throw tooLarge();
    },
  });
  return {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the parser's `feed` is a closure, it has no `this`.
    feed: parser.feed,
    silence: () => {
      silenced = true;
    },
    end: () => onEnd(lastEventId, delivered),
  };
}

/**
 * Reads one response body to its end and feeds it to the event parser. `onBytes`, if any, is
 * called for every chunk received (the idle watchdog); `onEnd` once as the stream ends, however
 * it ends, with the last event ID string then and how many events it delivered (once, not per
 * event: a call per id would cost a tenth of the throughput). Aborting `signal` cancels the body
 * reader, whatever the `fetch` that made the body does with signals. Resolves when the stream
 * ended or `signal` aborted; rejects with `NetworkError` when the connection drops (or, after an
 * abort, when the body errors instead of ending: the caller checks `signal` first),
 * `EventTooLargeError` on an oversized event, or whatever `onmessage` threw.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  init: StreamInit,
  signal: AbortSignal,
  onBytes: (() => void) | undefined,
  onEnd: (lastEventId: string, delivered: number) => void,
): Promise<void> {
  const { afterChunk } = init.options;
  const { label } = init;
  const { feed, silence, end } = createEventParser(init, onEnd);
  // https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream:
  // the stream is UTF-8 and one leading BOM is dropped. The parser drops it; the decoder must
  // keep every BOM (Node 24's drops a second one too when the first is split across chunks).
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const reader = body.getReader();
  // Cancelling the reader settles a pending read at once (done), and the silenced parser delivers
  // nothing more: so the read loop needs no flag of its own. (A read that rejects after an abort is
  // reported as the abort by the attempt, which checks the signal first.)
  const cancel = () => {
    silence();
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener('abort', cancel);
  try {
    // (The listener never fires for a signal that was aborted already.)
    if (signal.aborted) return;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new NetworkError('connection dropped while reading', label, error);
      }
      // At the end, flushing yields '' or U+FFFD for a truncated UTF-8 sequence. An event still
      // incomplete then is dropped (the spec's "once the end of the file is reached, any pending
      // data must be discarded"), and its id never counts.
      if (!chunk.done) onBytes?.();
      feed(decoder.decode(chunk.value, { stream: !chunk.done }));
      if (chunk.done) return;
      if (afterChunk) {
        // Batched delivery (fetchEvents): the consumer takes this chunk's events before the next read.
        await afterChunk();
        // Time spent waiting for a slow consumer is not the server being idle.
        onBytes?.();
      }
    }
  } finally {
    end();
    signal.removeEventListener('abort', cancel);
    // Frees the connection when we stop early (a handler threw, an oversized event); a no-op after the end.
    cancel();
  }
}
