import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, test } from 'vitest';
import { fetchEventSource } from '../../src/index.js';
import {
  eventStreamResponse,
  InvalidEventIdError,
  StreamExistsError,
  StreamNotFoundError,
  type ResumableStreamStore,
  type ServerEvent,
} from '../../src/server.js';
import { useServers } from './http-server.js';

/** Makes a store of one kind, with these options. */
export type MakeStore = (options?: {
  expireAfter?: number;
  maxEvents?: number;
  maxBytes?: number;
  leaseTtl?: number;
  abandonAfter?: number;
}) => Promise<ResumableStreamStore>;

/** `count` events "1"…"count", a `wait` ms pause before each, then the end. */
export function tokens(count: number, wait = 0, seen?: { signal?: AbortSignal; finished?: boolean }) {
  return async function* (signal: AbortSignal): AsyncGenerator<ServerEvent> {
    if (seen) seen.signal = signal;
    try {
      for (let n = 1; n <= count; n++) {
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
        yield { data: String(n), event: 'token', id: 'ignored' };
      }
    } finally {
      if (seen) seen.finished = true;
    }
  };
}

export async function collect(iterable: AsyncIterable<ServerEvent>, take = Infinity): Promise<ServerEvent[]> {
  const out: ServerEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length >= take) break;
  }
  return out;
}

/**
 * One behaviour suite, run against every store: `stores` is [name, make, the reason to skip]. The
 * memory store's positions count events; every other store is Redis, whose positions are offsets
 * into the stream's log.
 */
export function storeSuite(stores: Array<[string, MakeStore, string | undefined]>) {
  const serve = useServers();
  describe.each(stores)('%s store', (name, make, skip) => {
    test.skipIf(skip)(
      `${skip ? `skipped: ${skip} — ` : ''}replays a finished stream under ids that name it, in order`,
      async () => {
        const store = await make();
        await store.start('answer-1', tokens(5));
        const read = await collect(await store.read('answer-1'));
        expect(read.map((e) => e.data)).toEqual(['1', '2', '3', '4', '5']);
        expect(read.every((e) => e.event === 'token' && e.id!.startsWith('answer-1:'))).toBe(true);
        expect(new Set(read.map((e) => e.id)).size).toBe(5);
      },
    );

    test.skipIf(skip)('resumes after a Last-Event-ID: exactly the events after it, also while live', async () => {
      const store = await make();
      await store.start('live', tokens(30, 5));
      const first = await collect(await store.read('live'), 10);
      const rest = await collect(await store.resume(first.at(-1)!.id!));
      expect([...first, ...rest].map((e) => e.data)).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    });

    test.skipIf(skip)('unknown stream: StreamNotFoundError; malformed Last-Event-ID: InvalidEventIdError', async () => {
      const store = await make();
      await expect(store.read('nothing-here')).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(store.resume('no-colon')).rejects.toBeInstanceOf(InvalidEventIdError);
      await expect(store.resume('x:not a position')).rejects.toBeInstanceOf(InvalidEventIdError);
      await expect(store.resume('')).rejects.toBeInstanceOf(InvalidEventIdError);
      // Well formed, but past any position a store can issue.
      await expect(store.resume('x:18446744073709551616')).rejects.toBeInstanceOf(InvalidEventIdError);
      await expect(store.resume(`x:${'1'.repeat(100_000)}`)).rejects.toBeInstanceOf(InvalidEventIdError);
      await expect(store.resume('gone:3')).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(store.start('bad:id', tokens(1))).rejects.toThrow(TypeError);
    });

    test.skipIf(skip)(
      'a position the stream never had (past its end, inside an event): InvalidEventIdError',
      async () => {
        const store = await make();
        await store.start('short', tokens(2));
        const all = await collect(await store.read('short'));
        expect(all.map((e) => e.data)).toEqual(['1', '2']);
        const [, position] = all[1]!.id!.split(':');
        const past = `short:${Number(position) + 1}`;
        await expect(store.resume(past)).rejects.toThrow(`Last-Event-ID "${past}" was never issued`);
        await expect(store.read('short', { lastEventId: 'short:99999999' })).rejects.toBeInstanceOf(
          InvalidEventIdError,
        );
        if (name !== 'memory') {
          // Redis's positions are offsets: one inside the first event's line names no event.
          const inside = `short:${Number(all[0]!.id!.split(':')[1]) - 1}`;
          await expect(store.resume(inside)).rejects.toBeInstanceOf(InvalidEventIdError);
        }
        // The ids it issued still resume, the last one to nothing more.
        expect((await collect(await store.resume(all[0]!.id!))).map((e) => e.data)).toEqual(['2']);
        expect(await collect(await store.resume(all[1]!.id!))).toEqual([]);
      },
    );

    test.skipIf(skip)(
      'a producer that throws at once: start rejects with its error and leaves the id free',
      async () => {
        const store = await make();
        const broken = () => {
          throw new Error('no model configured');
        };
        await expect(store.start('first-try', broken)).rejects.toThrow('no model configured');
        await store.start('first-try', tokens(2));
        expect((await collect(await store.read('first-try'))).map((e) => e.data)).toEqual(['1', '2']);
      },
    );

    test.skipIf(skip)(
      'a long answer (12,000 events, past the old default of 10,000) is stored whole by default',
      async () => {
        const store = await make();
        await store.start('long', tokens(12_000));
        const read = await collect(await store.read('long'));
        expect(read).toHaveLength(12_000);
        expect(read.at(-1)).toMatchObject({ data: '12000', event: 'token' });
      },
    );

    test.skipIf(skip)('capped at maxBytes of data: the stream ends with StreamLimitError', async () => {
      const store = await make({ maxBytes: 10 });
      await store.start('bytes', tokens(100));
      const read = await collect(await store.read('bytes'));
      // "1" … "9" are 9 characters; "10" would make 11.
      expect(read.filter((e) => e.event === 'token').map((e) => e.data)).toEqual([
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
        '7',
        '8',
        '9',
      ]);
      expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'StreamLimitError' });
    });

    test.skipIf(skip)('stores every event exactly: line breaks, backslashes, any Unicode, types, retry', async () => {
      const store = await make();
      const events: ServerEvent[] = [
        { data: 'two\nlines and a \\ backslash, a \\n that is not a break' },
        { data: 'héllo wörld — 你好 🙂, a lone \ud800 surrogate, \u007f, a tab\t, a CR\r' },
        { data: '', event: 'empty' },
        { data: '{"type":"text-delta","delta":"\\"quoted\\""}', event: 'chunk', retry: 2500 },
        { data: 'retry only', retry: 0 },
        { data: 'x' },
        { data: 'a line that starts with x, j or d', event: 'x' },
      ];
      await store.start('exact', async function* () {
        yield* events;
      });
      const read = await collect(await store.read('exact'));
      expect(read.map((event) => ({ ...event, id: undefined }))).toEqual(events);
      // Resuming from each id gives exactly the events after it.
      for (const [index, event] of read.entries()) {
        const rest = await collect(await store.resume(event.id!));
        expect(rest.map((each) => each.data)).toEqual(events.slice(index + 1).map((each) => each.data));
      }
    });

    test.skipIf(skip)(
      'many readers of one stream in one process each get every event, as their own objects',
      async () => {
        const store = await make();
        await store.start('crowd', tokens(40, 2));
        const readers = await Promise.all(Array.from({ length: 30 }, () => store.read('crowd')));
        const reads = await Promise.all(
          readers.map(async (reader, index) => {
            const out: ServerEvent[] = [];
            for await (const event of reader) {
              out.push({ ...event });
              // One reader's code changing its events changes no other reader's.
              if (index === 0) event.data = 'changed';
            }
            return out;
          }),
        );
        const expected = Array.from({ length: 40 }, (_, i) => String(i + 1));
        for (const read of reads) expect(read.map((e) => e.data)).toEqual(expected);
        expect(new Set(reads.map((read) => read.map((e) => e.id).join()))).toHaveProperty('size', 1);
      },
    );

    test.skipIf(skip)("write(): resolves with each event's id once stored; each id resumes after it", async () => {
      const store = await make();
      const writer = await store.open('written');
      const first = await writer.write([{ data: 'a' }, { data: 'b', event: 'typed' }]);
      const second = await writer.write([{ data: 'c' }]);
      await writer.end();
      const read = await collect(await store.read('written'));
      expect(read.map((e) => e.id)).toEqual([...first, ...second]);
      expect((await collect(await store.resume(first[0]!))).map((e) => e.data)).toEqual(['b', 'c']);
      await expect(writer.write([{ data: 'late' }])).rejects.toThrow('ended already');

      // A bad event: a TypeError, and nothing of the batch is written.
      const checked = await store.open('checked');
      await expect(checked.write([{ data: 'ok' }, { data: 'x', event: 'two\nlines' }])).rejects.toThrow(TypeError);
      await checked.end();
      expect(await collect(await store.read('checked'))).toEqual([]);

      // Stopped right after open(): heard at once, by its notice (with a 30 s lease, the renewal that
      // would also bring it is 10 s away). What was not stored yet is rejected, and so is a later write.
      const longLease = await make({ leaseTtl: 30_000 });
      const stopped = await longLease.open('stopped');
      await longLease.stop('stopped');
      await expect.poll(() => stopped.signal.aborted, { timeout: 3000 }).toBe(true);
      await expect(stopped.write([{ data: 'x' }])).rejects.toThrow('stopped');
      // And so is a producer's, right after start().
      const seen: { signal?: AbortSignal } = {};
      await longLease.start('stopped-at-once', tokens(1000, 10, seen));
      await longLease.stop('stopped-at-once');
      await expect.poll(() => seen.signal?.aborted, { timeout: 3000 }).toBe(true);
    });

    test.skipIf(skip)('notes: set, read from the same store, replaced, gone after expireAfter', async () => {
      const store = await make({ expireAfter: 300 });
      expect(await store.getNote('chat:c1')).toBeNull();
      await store.setNote('chat:c1', '{"answer":"c1.a"}');
      expect(await store.getNote('chat:c1')).toBe('{"answer":"c1.a"}');
      await store.setNote('chat:c1', 'héllo {not a tag}');
      expect(await store.getNote('chat:c1')).toBe('héllo {not a tag}');
      await expect(store.setNote('', 'x')).rejects.toThrow(TypeError);
      await expect.poll(() => store.getNote('chat:c1'), { timeout: 2000 }).toBeNull();
    });

    test.skipIf(skip)('state(): expired, active with its last event id, then done, failed or stopped', async () => {
      const store = await make();
      expect(await store.state('later')).toEqual({ state: 'expired', lastEventId: '' });
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      await store.start('later', async function* () {
        yield { data: 'one' };
        yield { data: 'two' };
        await released;
      });
      const [, second] = await collect(await store.read('later'), 2);
      await expect.poll(() => store.state('later')).toEqual({ state: 'active', lastEventId: second!.id });
      release();
      await expect.poll(() => store.state('later')).toEqual({ state: 'done', lastEventId: second!.id });

      await store.start('broken', async function* () {
        yield { data: 'one' };
        throw new Error('model down');
      });
      const [first] = await collect(await store.read('broken'));
      expect(await store.state('broken')).toEqual({ state: 'failed', lastEventId: first!.id });

      // A producer that waits for its first token and honours `signal`, as a model call does.
      await store.start('silent', async function* (signal) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        if (!signal.aborted) yield { data: 'never' };
      });
      expect(await store.state('silent')).toEqual({ state: 'active', lastEventId: '' });
      await store.stop('silent');
      // Heard at once, or, if the stop's message went by before the producer listened, at its next
      // lease renewal (a third of the lease): within a second or so, longer on a loaded machine.
      await expect.poll(() => store.state('silent'), { timeout: 5000 }).toEqual({ state: 'done', lastEventId: '' });
    });

    test.skipIf(skip)(
      'open(): a writer appends from its own loop; end() ends it, readers get every event',
      async () => {
        const store = await make();
        const writer = await store.open('pushed');
        const reading = collect(await store.read('pushed'));
        for (const token of ['a', 'b', 'c']) writer.append({ data: token, event: 'token' });
        expect(() => writer.append({ data: 'x', event: 'two\nlines' })).toThrow(TypeError);
        await writer.end();
        expect((await reading).map((e) => e.data)).toEqual(['a', 'b', 'c']);
        expect(() => writer.append({ data: 'late' })).toThrow(/ended already/);
        await expect(store.open('pushed')).rejects.toBeInstanceOf(StreamExistsError);
        expect((await store.state('pushed')).state).toBe('done');
      },
    );

    test.skipIf(skip)('open(): fail() ends it with the error event; stop() aborts its signal and ends it', async () => {
      const store = await make();
      const failing = await store.open('pushed-fail');
      failing.append({ data: 'a' });
      await failing.fail(new RangeError('upstream closed'));
      const read = await collect(await store.read('pushed-fail'));
      expect(read.at(-1)).toEqual({
        event: 'error',
        data: JSON.stringify({ error: 'RangeError', message: 'upstream closed' }),
      });

      const stopped = await store.open('pushed-stop');
      stopped.append({ data: 'a' });
      const reader = await store.read('pushed-stop');
      expect((await reader.next()).value?.data).toBe('a');
      await store.stop('pushed-stop');
      await expect.poll(() => stopped.signal.aborted).toBe(true);
      stopped.append({ data: 'dropped' });
      expect(await collect(reader)).toEqual([]);
      await expect.poll(() => store.state('pushed-stop').then((state) => state.state)).toBe('done');
    });

    test.skipIf(skip)(
      'attach(): the first call starts the producer, a repeat reads the same stream; it runs once',
      async () => {
        const store = await make();
        let runs = 0;
        const producer = (signal: AbortSignal) => {
          runs += 1;
          return tokens(20, 5)(signal);
        };
        const first = await store.attach('keyed', producer);
        const again = await store.attach('keyed', producer);
        expect([first.started, again.started]).toEqual([true, false]);
        const [a, b] = await Promise.all([collect(first.events), collect(again.events)]);
        expect(a.map((e) => e.data)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
        expect(b).toEqual(a);
        expect(runs).toBe(1);
      },
    );

    test.skipIf(skip)(
      'abandonAfter: a stream nobody reads stops its producer and says so; one that is read runs to its end',
      async () => {
        // 450 ms, touched every 150: a reader's timer may run 300 ms late (a loaded CI machine) and
        // still count as reading.
        const store = await make({ abandonAfter: 450 });
        const seen: { signal?: AbortSignal } = {};
        await store.start('unread', tokens(1000, 10, seen));
        await expect.poll(() => seen.signal?.aborted, { timeout: 4000 }).toBe(true);
        // The producer is told why: the reason names the stream's closing error event.
        expect(seen.signal!.reason).toMatchObject({ name: 'StreamAbandonedError' });
        const read = await collect(await store.read('unread'));
        expect(read.length).toBeLessThan(1000);
        expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'StreamAbandonedError' });
        expect((await store.state('unread')).state).toBe('failed');
        // 60 events 10 ms apart: longer than abandonAfter, read the whole time.
        await store.start('watched', tokens(60, 10));
        const all = await collect(await store.read('watched'));
        expect(all.map((e) => e.data)).toEqual(Array.from({ length: 60 }, (_, i) => String(i + 1)));
      },
    );

    test.skipIf(skip)('runs the producer once: a second start of the same id is refused', async () => {
      const store = await make();
      await store.start('once', tokens(1));
      await expect(store.start('once', tokens(1))).rejects.toBeInstanceOf(StreamExistsError);
    });

    test.skipIf(skip)('stop() aborts the producer and ends every reader without an error', async () => {
      const store = await make();
      const seen: { signal?: AbortSignal; finished?: boolean } = {};
      await store.start('stoppable', tokens(10_000, 2, seen));
      const reading = collect(await store.read('stoppable'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.stop('stoppable');
      const read = await reading;
      expect(seen.signal?.aborted).toBe(true);
      expect(read.length).toBeLessThan(10_000);
      expect(read.every((e) => e.event === 'token')).toBe(true);
      await expect.poll(() => seen.finished).toBe(true);
    });

    test.skipIf(skip)('a producer that throws: what it stored, then one error event naming the error', async () => {
      const store = await make();
      await store.start('failing', async function* () {
        yield { data: 'before' };
        throw new RangeError('model overloaded');
      });
      const read = await collect(await store.read('failing'));
      expect(read.map((e) => e.data)[0]).toBe('before');
      expect(read[1]).toEqual({
        event: 'error',
        data: JSON.stringify({ error: 'RangeError', message: 'model overloaded' }),
      });
      expect(read).toHaveLength(2);
    });

    test.skipIf(skip)(
      'an event the client could not read (LF in its type) ends the stream with a TypeError event',
      async () => {
        const store = await make();
        await store.start('bad-event', async function* () {
          yield { data: 'ok' };
          yield { data: 'x', event: 'two\nlines' };
        });
        const read = await collect(await store.read('bad-event'));
        expect(read.at(-1)).toMatchObject({ event: 'error' });
        expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'TypeError' });
      },
    );

    test.skipIf(skip)(
      'capped at maxEvents: the producer is stopped, the stream ends with StreamLimitError',
      async () => {
        const store = await make({ maxEvents: 5 });
        const seen: { signal?: AbortSignal } = {};
        await store.start('capped', tokens(100, 0, seen));
        const read = await collect(await store.read('capped'));
        expect(read.filter((e) => e.event === 'token')).toHaveLength(5);
        expect(JSON.parse(read.at(-1)!.data)).toMatchObject({ error: 'StreamLimitError' });
        expect(seen.signal?.aborted).toBe(true);
        expect(seen.signal!.reason).toMatchObject({ name: 'StreamLimitError' });
      },
    );

    test.skipIf(skip)('a finished stream expires after expireAfter', async () => {
      const store = await make({ expireAfter: 150 });
      await store.start('brief', tokens(1));
      await collect(await store.read('brief'));
      await new Promise((resolve) => setTimeout(resolve, 400));
      await expect(store.read('brief')).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    test.skipIf(skip)("a reader's signal and return() end a read that is waiting for the next event", async () => {
      const store = await make();
      await store.start('waiting', tokens(2, 10_000));
      const controller = new AbortController();
      const reading = collect(await store.read('waiting', { signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      expect(await reading).toEqual([]);
      const iterator = await store.read('waiting');
      const next = iterator.next();
      await iterator.return!();
      expect(await next).toEqual({ value: undefined, done: true });
      await store.stop('waiting');
    });

    test.skipIf(skip)('end to end: a route resumes a dropped client by Last-Event-ID, every event once', async () => {
      const store = await make();
      const route = async (request: IncomingMessage, response: ServerResponse) => {
        const lastEventId = request.headers['last-event-id'] as string | undefined;
        if (!lastEventId) await store.start('e2e', tokens(40, 3));
        const events = lastEventId ? await store.resume(lastEventId) : await store.read('e2e');
        const web = eventStreamResponse(events, { heartbeat: 0 });
        response.writeHead(200, Object.fromEntries(web.headers));
        const reader = web.body!.getReader();
        let sent = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return void response.end();
          response.write(value);
          // The first connection is cut after 12 events.
          if (!lastEventId && ++sent === 12) return void (await reader.cancel(), request.socket.destroy());
        }
      };
      const { url } = await serve((request, response) => void route(request, response));
      const data: string[] = [];
      const lastEventIds: Array<string | null> = [];
      await fetchEventSource(url, {
        method: 'POST',
        body: '{}',
        headers: ({ lastEventId }) => (lastEventIds.push(lastEventId || null), {}),
        retry: { initialDelay: 10, jitter: 0 },
        onmessage: (message) => void data.push(message.data),
      });
      expect(data).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
      expect(lastEventIds).toHaveLength(2);
      expect(lastEventIds[1]).toMatch(/^e2e:/);
    });
  });
}
