import { describe, expect, test } from 'vitest';
import type { EventSourceMessage } from '../src/index.js';
import { chunkings, receive, receiveIterated, receiveWithEventSource } from './helpers/chunks.js';

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
  [
    'event sets the type; empty resets it',
    'event: add\ndata: 1\n\nevent:\ndata: 2\n\n',
    [message('1', { event: 'add' }), message('2')],
    null,
  ],
  [
    'the type does not outlive its event',
    'event: add\ndata: 1\n\ndata: 2\n\n',
    [message('1', { event: 'add' }), message('2')],
    null,
  ],
  ['field names are case-sensitive', 'Data: x\nDATA: y\ndata: z\n\n', [message('z')], null],
  ['unknown fields are ignored', 'foo: bar\ndata: a\nretryx: 1\n\n', [message('a')], null],
  [
    'id is carried on the event and sent on reconnect',
    'id: 1\ndata: a\n\nid: 2\ndata: b\n\n',
    [message('a', { id: '1' }), message('b', { id: '2' })],
    '2',
  ],
  [
    'an id containing NUL is ignored',
    'id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n',
    [message('a', { id: '1' }), message('b')],
    '1',
  ],
  [
    'an empty id resets the last event id',
    'id: 1\ndata: a\n\nid\ndata: b\n\n',
    [message('a', { id: '1' }), message('b')],
    null,
  ],
  ['"id:" with nothing after also resets it', 'id: 1\ndata: a\n\nid:\n\n', [message('a', { id: '1' })], null],
  ['an id in a block without data is still committed', 'id: 1\ndata: a\n\nid: 5\n\n', [message('a', { id: '1' })], '5'],
  ['a block without data dispatches nothing', 'event: add\n\nretry: 10\n\n', [], null],
  [
    'retry with digits is reported on the next event',
    'retry: 3\ndata: a\n\ndata: b\n\n',
    [message('a', { retry: 3 }), message('b')],
    null,
  ],
  [
    'retry that is not all digits is ignored',
    'retry: 5s\ndata: a\n\nretry: -1\ndata: b\n\n',
    [message('a'), message('b')],
    null,
  ],
  [
    'an event unterminated at the end is dropped with its id',
    'id: 1\ndata: a\n\nid: 2\ndata: b',
    [message('a', { id: '1' })],
    '1',
  ],
  ['one newline does not end an event', 'id: 1\ndata: a\n\nid: 2\ndata: b\n', [message('a', { id: '1' })], '1'],
  ['an unterminated id line is not committed', 'data: a\n\nid: 9', [message('a')], null],
  ['multi-byte UTF-8 survives every cut', 'data: héllo 😀 世界\n\n', [message('héllo 😀 世界')], null],
  ['"ids" is not an id field', 'ids: 3\ndata: a\n\n', [message('a')], null],
  ['"data:" with nothing after dispatches an empty event', 'data:\n\n', [message('')], null],
  // Cases after the web-platform-tests eventsource/format-* files, in our own words.
  [
    'NUL, odd names and a stray leading space',
    'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n',
    [message('\0\n 2\n1\n3\n\n4')],
    null,
  ],
  [
    'text without a colon is a field with no value',
    'data:test\n data\ndata\nfoobar:xxx\njustsometext\n:comment\ndata:test\n\n',
    [message('test\n\ntest')],
    null,
  ],
  ['only a space is stripped, not a tab', 'data:\ttest\rdata: \ndata:test\n\n', [message('\ttest\n\ntest')], null],
  ['a lone NUL is data', 'data:\0\n\n\n\n', [message('\0')], null],
  [
    'a BOM after the start makes an unknown field',
    '\uFEFF\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3\n\n',
    [message('3')],
    null,
  ],
  ['comments of any length between fields', `data:1\n:${'x'.repeat(300)}\ndata:2\n: \n\n`, [message('1\n2')], null],
  ['retry with a leading space is valid', 'retry: 7\ndata: a\n\n', [message('a', { retry: 7 })], null],
  ['retry with digits and letters is ignored', 'retry:7x\ndata: a\n\n', [message('a')], null],
  ['retry without a value is ignored', 'retry\ndata: a\n\nretry:\ndata: b\n\n', [message('a'), message('b')], null],
  ['the last retry before an event wins', 'retry: 7\nretry: 2\ndata: a\n\n', [message('a', { retry: 2 })], null],
  [
    'an id applies to its own block only',
    'id: 1\ndata: a\n\ndata: b\n\n',
    [message('a', { id: '1' }), message('b')],
    '1',
  ],
  ['a data-less block resets type but keeps its id', 'event: x\nid: 4\n\ndata: a\n\n', [message('a')], '4'],
  ['an id line split like "i" "d:" still counts', 'id: 12\n\n', [], '12'],
  [
    'ids from data-less blocks and "id" alone, over mixed line ends',
    'id: 5\r\n\r\ndata: a\r\n\r\nid: 6\ndata: b\n\nid\n\ndata: c\n\n',
    [message('a'), message('b', { id: '6' }), message('c')],
    null,
  ],
  ['a CR-only stream commits ids like any other', 'id: 1\rdata: a\r\rid: 2\r\r', [message('a', { id: '1' })], '2'],
];

describe.each(cases)('%s', (_rule, stream, events, lastEventId) => {
  test('as one chunk, at every split point and one byte at a time', async () => {
    for (const chunks of chunkings(stream)) {
      const cutAt = chunks.length === 2 ? chunks[0]!.length : chunks.length === 1 ? 'none' : 'every byte';
      expect(await receive(chunks), `cut at ${cutAt}`).toEqual({ messages: events, outcome: 'resolved', lastEventId });
    }
  });
});

describe('MessageEvent.lastEventId is the last event ID string as of each event, at every chunking', () => {
  test.each([
    [
      'ids from data-less blocks and "id" alone',
      'id: 5\r\n\r\ndata: a\r\n\r\nid: 6\ndata: b\n\nid\n\ndata: c\n\n',
      [
        ['message', 'a', '5'],
        ['message', 'b', '6'],
        ['message', 'c', ''],
      ],
      null,
    ],
    [
      'an id outlives its block until another replaces it',
      'id: 1\rdata: a\r\rdata: b\r\rid: 2\r\r',
      [
        ['message', 'a', '1'],
        ['message', 'b', '1'],
      ],
      '2',
    ],
  ])('%s', async (_rule, stream, events, lastEventId) => {
    for (const chunks of chunkings(stream)) {
      const cutAt = chunks.length === 2 ? chunks[0]!.length : chunks.length === 1 ? 'none' : 'every byte';
      const result = await receiveWithEventSource(chunks);
      expect(result, `cut at ${cutAt}`).toEqual({ events, outcome: 'closed', lastEventId });
    }
  });
});

describe('maxEventSize does not depend on chunking', () => {
  const big = `data: ${'x'.repeat(1500)}\n\n`;
  const stream = `data: small\n\n${big}data: after\n\n`;
  const ways = [
    ['one chunk', [stream]],
    ['the big event whole in the last chunk', [`data: small\n\n`, `${big}data: after\n\n`]],
    ['most of it in the last chunk', [`data: small\n\ndata: xx`, stream.slice(`data: small\n\ndata: xx`.length)]],
    ['in 100-byte chunks', stream.match(/[^]{1,100}/g)!],
  ] as const;
  const encode = (parts: readonly string[]) => parts.map((part) => new TextEncoder().encode(part));

  test.each(ways)('%s: fetchEventSource delivers the event before and refuses the big one', async (_how, parts) => {
    expect(await receive(encode(parts), { maxEventSize: 1024 })).toEqual({
      messages: [message('small')],
      outcome: 'EventTooLargeError',
      lastEventId: null,
    });
  });

  test.each(ways)('%s: so does fetchEvents', async (_how, parts) => {
    expect(await receiveIterated(encode(parts), { maxEventSize: 1024 })).toEqual({
      messages: [message('small')],
      outcome: 'EventTooLargeError',
    });
  });

  test.each(ways)('%s: so does EventSource', async (_how, parts) => {
    expect(await receiveWithEventSource(encode(parts), ['message'], 1024)).toEqual({
      events: [['message', 'small', '']],
      outcome: 'EventTooLargeError',
      lastEventId: null,
    });
  });
});
