import { describe, expect, test, vi } from 'vitest';
import { fetchEventSource, type EventSourceMessage } from '../src/index.js';
import { eventStream, eventStreamResponse, formatEvent, type ServerEvent } from '../src/server.js';
import { useServers } from './helpers/http-server.js';
import { Readable } from 'node:stream';

const serve = useServers();

describe('formatEvent', () => {
  test.each([
    [{ data: 'hi' }, 'data: hi\n\n'],
    [{ data: 'a\nb\r\nc\rd' }, 'data: a\ndata: b\ndata: c\ndata: d\n\n'],
    [{ data: '' }, 'data: \n\n'],
    [{ data: 'x', id: '7', event: 'token', retry: 2000 }, 'id: 7\nevent: token\nretry: 2000\ndata: x\n\n'],
    [{ data: 'x', id: '' }, 'id: \ndata: x\n\n'],
  ] as Array<[ServerEvent, string]>)('%j', (event, expected) => {
    expect(formatEvent(event)).toBe(expected);
  });

  test.each([
    ['CR in id', { data: 'x', id: 'a\rb' }, /`id` must not contain CR, LF or NUL/],
    ['LF in id', { data: 'x', id: 'a\nb' }, /`id`/],
    ['NUL in id', { data: 'x', id: 'a\0b' }, /`id`/],
    ['LF in event', { data: 'x', event: 'a\nb' }, /`event` must not contain CR or LF/],
    ['a fractional retry', { data: 'x', retry: 1.5 }, /`retry` must be a whole number of ms ≥ 0, got 1.5/],
    ['a negative retry', { data: 'x', retry: -1 }, /`retry`.*got -1/],
    ['data that is no string', { data: 5 as unknown as string }, /`data` must be a string/],
  ] as Array<[string, ServerEvent, RegExp]>)(
    'refuses %s with a TypeError naming the field',
    (_case, event, message) => {
      expect(() => formatEvent(event)).toThrow(TypeError);
      expect(() => formatEvent(event)).toThrow(message);
    },
  );
});

async function* events(count: number, onFinally?: () => void): AsyncGenerator<ServerEvent> {
  try {
    for (let n = 1; n <= count; n++) yield { id: String(n), data: `line ${n}\nsecond` };
  } finally {
    onFinally?.();
  }
}

describe('eventStreamResponse', () => {
  test('sends the headers an event stream needs, and what fetchEventSource reads back as sent', async () => {
    const response = eventStreamResponse(events(3), { headers: { 'x-extra': '1' } });
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-extra': '1',
    });
    const received: EventSourceMessage[] = [];
    await fetchEventSource('https://example.test/', {
      fetch: async () => response,
      onmessage: (message) => void received.push(message),
    });
    expect(received.map((m) => [m.id, m.data])).toEqual([
      ['1', 'line 1\nsecond'],
      ['2', 'line 2\nsecond'],
      ['3', 'line 3\nsecond'],
    ]);
  });

  test('a comment heartbeat every 15 s while the source is quiet, and none while it speaks', async () => {
    vi.useFakeTimers();
    try {
      let release = () => {};
      async function* slow(): AsyncGenerator<ServerEvent> {
        yield { data: 'first' };
        await new Promise<void>((resolve) => (release = resolve));
        yield { data: 'second' };
      }
      const reader = eventStream(slow()).getReader();
      const decoder = new TextDecoder();
      const read = async () => decoder.decode((await reader.read()).value);
      expect(await read()).toBe('data: first\n\n');
      const pending = read();
      await vi.advanceTimersByTimeAsync(14_999);
      await vi.advanceTimersByTimeAsync(1);
      expect(await pending).toBe(': \n\n');
      await vi.advanceTimersByTimeAsync(15_000);
      expect(await read()).toBe(': \n\n');
      release();
      expect(await read()).toBe('data: second\n\n');
      expect((await reader.read()).done).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test('an event starts the quiet over: the next comment comes heartbeat ms after the last event', async () => {
    vi.useFakeTimers();
    try {
      let end = () => {};
      async function* speaksAt10s(): AsyncGenerator<ServerEvent> {
        yield { data: 'a' };
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        yield { data: 'b' };
        await new Promise<void>((resolve) => (end = resolve));
      }
      const reader = eventStream(speaksAt10s()).getReader();
      const chunks: Array<[number, string]> = [];
      const decoder = new TextDecoder();
      void (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          chunks.push([Date.now(), decoder.decode(value)]);
        }
      })();
      const start = Date.now();
      await vi.advanceTimersByTimeAsync(24_999);
      expect(chunks.map(([at, text]) => [at - start, text])).toEqual([
        [0, 'data: a\n\n'],
        [10_000, 'data: b\n\n'],
      ]);
      await vi.advanceTimersByTimeAsync(1);
      expect(chunks.at(-1)).toEqual([start + 25_000, ': \n\n']);
      end();
      await reader.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  test('a client that goes away stops the producer (its finally runs)', async () => {
    let stopped = false;
    async function* endless(): AsyncGenerator<ServerEvent> {
      try {
        for (let n = 0; ; n++) {
          yield { data: String(n) };
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        stopped = true;
      }
    }
    const { url } = await serve((_request, response) => {
      const web = eventStreamResponse(endless(), { heartbeat: 0 });
      response.writeHead(200, Object.fromEntries(web.headers));
      const body = Readable.fromWeb(web.body! as import('node:stream/web').ReadableStream);
      body.pipe(response);
      response.once('close', () => body.destroy());
    });
    const controller = new AbortController();
    let count = 0;
    await fetchEventSource(url, {
      signal: controller.signal,
      onmessage: () => {
        if (++count === 3) controller.abort();
      },
    });
    await vi.waitFor(() => expect(stopped).toBe(true));
  });

  test('an event the producer makes that cannot be sent errors the stream and stops the producer', async () => {
    let stopped = false;
    const reader = eventStream(
      (async function* () {
        try {
          yield { data: 'ok' };
          yield { data: 'x', event: 'bad\nname' };
          yield { data: 'never' };
        } finally {
          stopped = true;
        }
      })(),
      { heartbeat: 0 },
    ).getReader();
    await reader.read();
    await expect(reader.read()).rejects.toThrow(/`event` must not contain CR or LF/);
    expect(stopped).toBe(true);
  });
});
