import { describe, expect, test } from 'vitest';
import type { EventSourceMessage } from '../src/index.js';
import { chunkings, receive } from './helpers/chunks.js';

/** A message as the test writes it: only the fields that differ from the defaults. */
function message(data: string, fields: Partial<EventSourceMessage> = {}): EventSourceMessage {
  return { id: '', event: 'message', data, retry: undefined, ...fields };
}

// The WHATWG rules, https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
// and #event-stream-interpretation, one case each: [rule, stream, events, Last-Event-ID sent on reconnect].
const cases: Array<[string, string, EventSourceMessage[], string | null]> = [
  ['LF ends lines', 'data: a\n\ndata: b\n\n', [message('a'), message('b')], null],
  ['CRLF ends lines', 'data: a\r\n\r\ndata: b\r\n\r\n', [message('a'), message('b')], null],
  ['a lone CR ends lines', 'data: a\r\rdata: b\r\r', [message('a'), message('b')], null],
  ['a CR at the very end of the stream ends a line', 'data: a\r\r', [message('a')], null],
  ['line endings mix in one event', 'data: a\r\ndata: b\rdata: c\n\n', [message('a\nb\nc')], null],
  ['a BOM at the start is dropped', '\uFEFFdata: a\n\n', [message('a')], null],
  ['only the first BOM is dropped', '\uFEFF\uFEFFdata: a\n\ndata: b\n\n', [message('b')], null],
  ['comments dispatch nothing', ': ping\n\n:\n\n: x\ndata: a\n\n', [message('a')], null],
  ['a field without a colon has an empty value', 'data\n\n', [message('')], null],
  ['two empty data lines make one newline', 'data\ndata\n\n', [message('\n')], null],
  ['one leading space is stripped, not two', 'data:  two\n\ndata:none\n\n', [message(' two'), message('none')], null],
  ['data lines join with LF', 'data: a\ndata:\ndata: b\n\n', [message('a\n\nb')], null],
  ['event sets the type; empty resets it', 'event: add\ndata: 1\n\nevent:\ndata: 2\n\n', [message('1', { event: 'add' }), message('2')], null],
  ['the type does not outlive its event', 'event: add\ndata: 1\n\ndata: 2\n\n', [message('1', { event: 'add' }), message('2')], null],
  ['field names are case-sensitive', 'Data: x\nDATA: y\ndata: z\n\n', [message('z')], null],
  ['unknown fields are ignored', 'foo: bar\ndata: a\nretryx: 1\n\n', [message('a')], null],
  ['id is carried on the event and sent on reconnect', 'id: 1\ndata: a\n\nid: 2\ndata: b\n\n', [message('a', { id: '1' }), message('b', { id: '2' })], '2'],
  ['an id containing NUL is ignored', 'id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n', [message('a', { id: '1' }), message('b')], '1'],
  ['an empty id resets the last event id', 'id: 1\ndata: a\n\nid\ndata: b\n\n', [message('a', { id: '1' }), message('b')], null],
  ['"id:" with nothing after also resets it', 'id: 1\ndata: a\n\nid:\n\n', [message('a', { id: '1' })], null],
  ['an id in a block without data is still committed', 'id: 1\ndata: a\n\nid: 5\n\n', [message('a', { id: '1' })], '5'],
  ['a block without data dispatches nothing', 'event: add\n\nretry: 10\n\n', [], null],
  ['retry with digits is reported on the next event', 'retry: 3\ndata: a\n\ndata: b\n\n', [message('a', { retry: 3 }), message('b')], null],
  ['retry that is not all digits is ignored', 'retry: 5s\ndata: a\n\nretry: -1\ndata: b\n\n', [message('a'), message('b')], null],
  ['an event unterminated at the end is dropped with its id', 'id: 1\ndata: a\n\nid: 2\ndata: b', [message('a', { id: '1' })], '1'],
  ['one newline does not end an event', 'id: 1\ndata: a\n\nid: 2\ndata: b\n', [message('a', { id: '1' })], '1'],
  ['an unterminated id line is not committed', 'data: a\n\nid: 9', [message('a')], null],
  ['multi-byte UTF-8 survives every cut', 'data: héllo 😀 世界\n\n', [message('héllo 😀 世界')], null],
  ['"ids" is not an id field', 'ids: 3\ndata: a\n\n', [message('a')], null],
];

describe.each(cases)('%s', (_rule, stream, events, lastEventId) => {
  test('as one chunk, at every split point and one byte at a time', async () => {
    for (const chunks of chunkings(stream)) {
      const cutAt = chunks.length === 2 ? chunks[0]!.length : chunks.length === 1 ? 'none' : 'every byte';
      expect(await receive(chunks), `cut at ${cutAt}`).toEqual({ messages: events, lastEventId });
    }
  });
});
