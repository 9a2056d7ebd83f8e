import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  EventTooLargeError,
  fetchEventSource,
  isFetchEventSourceError,
  type EventSourceMessage,
} from '../src/index.js';
import { eventStream, receive, receiveIterated, receiveWithEventSource } from './helpers/chunks.js';

interface SentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

// Any Unicode scalar value (UTF-8 cannot carry a lone surrogate), astral characters and lone CR / LF included.
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const text = fc.string({ unit: fc.oneof(fc.constantFrom('\r', '\n', '\r\n', '😀', '\uFEFF'), anyChar), maxLength: 30 });
// An id or type cannot hold a line break; an id with NUL is ignored by the spec, so none is generated.
const field = fc.string({ unit: 'grapheme', maxLength: 12 }).map((value) => value.replace(/[\r\n\0]/g, '_'));
const sentEvent = fc.record({ id: fc.option(field, { nil: undefined }), event: field, data: text });
const lineEnd = fc.constantFrom('\n', '\r', '\r\n');

/** The stream a server would write for `events`, one `data:` line per line of data. */
function serialise(events: SentEvent[], eol: string): string {
  return events
    .map(({ id, event, data }) => {
      const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}${eol}`);
      const idLine = id === undefined ? '' : `id: ${id}${eol}`;
      return `${idLine}event: ${event}${eol}${lines.join('')}${eol}`;
    })
    .join('');
}

/** What the client must deliver for `events`. */
function expected(events: SentEvent[]): EventSourceMessage[] {
  return events.map(({ id, event, data }) => ({
    id: id ?? '',
    event: event || 'message',
    data: data.split(/\r\n|\r|\n/).join('\n'),
    retry: undefined,
  }));
}

/** Cuts `bytes` at the given points (sorted, deduplicated, inside the array). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...at, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

/**
 * A block of the stream: `id` undefined writes no id line, `''` writes `id` with no colon (which sets
 * the id to ""); a block with `data` undefined dispatches nothing but still commits its id.
 */
interface Block {
  id: string | undefined;
  event: 'message' | 'add';
  data: string | undefined;
}

const block = fc.record({
  id: fc.option(fc.oneof(fc.constant(''), field), { nil: undefined }),
  event: fc.constantFrom<Block['event']>('message', 'add'),
  // Sizes around the limit the property sets (maxEventSize 40).
  data: fc.option(
    fc
      .oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 30, maxLength: 45 }))
      .map((v) => v.replace(/[\r\n]/g, '.')),
    { nil: undefined },
  ),
});
const MAX_EVENT_SIZE = 40;

function writeBlocks(blocks: Block[], eol: string): string {
  return blocks
    .map(({ id, event, data }) => {
      const idLine = id === undefined ? '' : id === '' ? `id${eol}` : `id: ${id}${eol}`;
      const dataLine = data === undefined ? '' : `event: ${event}${eol}data: ${data}${eol}`;
      return `${idLine}${dataLine}${eol}`;
    })
    .join('');
}

/** The spec's model of `blocks`: what is delivered, with each event's last event ID, and how the stream ends. */
function model(blocks: Block[]) {
  let lastEventId = '';
  const events: Array<[string, string, string]> = [];
  const messages: EventSourceMessage[] = [];
  for (const { id, event, data } of blocks) {
    const size = (id ?? '').length + (data === undefined ? 0 : data.length + event.length);
    if (size > MAX_EVENT_SIZE) return { events, messages, lastEventId, tooLarge: true };
    if (id !== undefined) lastEventId = id;
    if (data === undefined) continue;
    events.push([event, data, lastEventId]);
    messages.push({ id: id ?? '', event, data, retry: undefined });
  }
  return { events, messages, lastEventId, tooLarge: false };
}

/** fetch trims a header value's leading and trailing spaces and tabs (HTTP's rule); "" sends no header. */
const asHeader = (id: string) => (id === '' ? null : id.replace(/^[\t ]+|[\t ]+$/g, ''));

describe('properties', () => {
  test('data-less id blocks, "id" alone, oversized events, any line ending and chunking: same result everywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(block, { maxLength: 8 }),
        lineEnd,
        fc.array(fc.nat(), { maxLength: 12 }),
        async (blocks, eol, points) => {
          const chunks = cut(new TextEncoder().encode(writeBlocks(blocks, eol)), points);
          const expected = model(blocks);
          const init = { maxEventSize: MAX_EVENT_SIZE };
          expect(await receive(chunks, init)).toEqual({
            messages: expected.messages,
            outcome: expected.tooLarge ? 'EventTooLargeError' : 'resolved',
            // A fatal error does not reconnect.
            lastEventId: expected.tooLarge ? null : asHeader(expected.lastEventId),
          });
          expect(await receiveIterated(chunks, init)).toEqual({
            messages: expected.messages,
            outcome: expected.tooLarge ? 'EventTooLargeError' : 'resolved',
          });
          expect(await receiveWithEventSource(chunks, ['message', 'add'], MAX_EVENT_SIZE)).toEqual({
            events: expected.events,
            outcome: expected.tooLarge ? 'EventTooLargeError' : 'closed',
            lastEventId: expected.tooLarge ? null : asHeader(expected.lastEventId),
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any events, any line ending, any chunking: the events received are the events sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sentEvent, { maxLength: 8 }),
        lineEnd,
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, eol, points) => {
          const bytes = new TextEncoder().encode(serialise(events, eol));
          const result = await receive(cut(bytes, points));
          expect(result.messages).toEqual(expected(events));
          expect(result.outcome).toBe('resolved');
          const lastId = events.findLast((e) => e.id !== undefined)?.id;
          // The spec's last event id: the latest id field of a completed block. "" sends no header,
          // and fetch trims a header value's leading and trailing spaces and tabs (HTTP's rule).
          const sent = lastId === undefined || lastId === '' ? null : lastId.replace(/^[\t ]+|[\t ]+$/g, '');
          expect(result.lastEventId).toBe(sent);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never throw outside the promise, never hang, and stay within maxEventSize', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 10 }), async (chunks) => {
        let outcome: unknown = 'resolved';
        const fetch = async () => eventStream((n) => chunks[n - 1] ?? null);
        await fetchEventSource('https://example.test/', { fetch, maxEventSize: 256 }).catch((error: unknown) => {
          outcome = error;
        });
        // Either the stream ran out, or the only possible failure: an event past maxEventSize.
        if (outcome !== 'resolved') {
          expect(outcome).toBeInstanceOf(EventTooLargeError);
          expect(isFetchEventSourceError(outcome)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
