import { describe, expect, test, vi } from 'vitest';
import { EventSource, HttpError, NotResumableError, type EventSourceErrorEvent } from '../src/index.js';
import { status, TEST_URL } from './helpers/event-server.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

/** Records readyState at every event the source fires. */
function record(source: EventSource) {
  const log: string[] = [];
  for (const type of ['open', 'message', 'error']) {
    source.addEventListener(type, () => log.push(`${type}:${source.readyState}`));
  }
  return log;
}

describe('the native surface', () => {
  test('has the constants on the class and on instances, and url and withCredentials', () => {
    const source = new EventSource('https://api.example.com/chat', { withCredentials: true });
    expect([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]).toEqual([0, 1, 2]);
    expect([source.CONNECTING, source.OPEN, source.CLOSED]).toEqual([0, 1, 2]);
    expect(source.url).toBe('https://api.example.com/chat');
    expect(source.withCredentials).toBe(true);
    expect(source.readyState).toBe(EventSource.CONNECTING);
    source.close();
    expect(source.readyState).toBe(EventSource.CLOSED);
  });

  test('an invalid URL is a SyntaxError DOMException', () => {
    expect(() => new EventSource('http://[::1')).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  test('sends GET with Accept, or the headers, method and body it is given', async () => {
    const source = new EventSource(TEST_URL, {
      method: 'POST',
      body: '{"q":1}',
      headers: { authorization: 'Bearer t' },
    });
    await api.stream(0);
    source.close();
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      body: '{"q":1}',
      authorization: 'Bearer t',
      accept: 'text/event-stream',
    });
  });
});

test('tutorial code written for the native EventSource runs unchanged', async () => {
  // From here on, what a typical tutorial writes; only the import differs.
  const log: string[] = [];
  const eventSource = new EventSource(TEST_URL);
  eventSource.onopen = () => log.push('connected');
  eventSource.onmessage = (event) => {
    const payload = JSON.parse(event.data);
    log.push(`message ${payload.text} (last id ${event.lastEventId})`);
  };
  eventSource.addEventListener('info', (event) => {
    log.push(`info ${JSON.parse((event as MessageEvent).data).text}`);
  });
  eventSource.addEventListener('warning', (event) => {
    log.push(`warning ${JSON.parse((event as MessageEvent).data).level}`);
  });
  eventSource.addEventListener('done', () => {
    log.push('done');
    eventSource.close();
  });
  eventSource.onerror = () => log.push(`error, readyState ${eventSource.readyState}`);
  // The tutorial ends here.

  const stream = await api.stream(0);
  stream.push('event: message\nid: 1\ndata: {"text":"hello"}\n\n');
  stream.push('event: info\ndata: {"text":"fyi"}\n\n');
  stream.push('event: warning\nid: 2\ndata: {"level":"high"}\n\n');
  stream.push('data: {"text":"bye"}\n\nevent: done\ndata: {}\n\ndata: {"text":"after close"}\n\n');
  await settle();
  expect(log).toEqual([
    'connected',
    'message hello (last id 1)',
    'info fyi',
    'warning high',
    'message bye (last id 2)',
    'done',
  ]);
  expect(eventSource.readyState).toBe(EventSource.CLOSED);
  expect(api.requests).toHaveLength(1);
});

test('events are MessageEvents with data, lastEventId and origin', async () => {
  const source = new EventSource(TEST_URL);
  const events: MessageEvent[] = [];
  source.addEventListener('message', (event) => events.push(event as MessageEvent));
  (await api.stream(0)).push('id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n');
  await settle();
  source.close();
  expect(events.every((event) => event instanceof MessageEvent)).toBe(true);
  expect(events.map((e) => [e.type, e.data, e.lastEventId, e.origin])).toEqual([
    ['message', 'a', '7', 'https://api.example.com'],
    ['message', 'b', '7', 'https://api.example.com'],
    ['message', 'c', '', 'https://api.example.com'],
  ]);
});

describe('readyState transitions', () => {
  test('open, then a clean end: CONNECTING and error, then OPEN again with Last-Event-ID', async () => {
    useFakeClock();
    const source = new EventSource(TEST_URL, { retry: { jitter: 0 } });
    const log = record(source);
    const first = await api.stream(0);
    first.push('id: 3\ndata: x\n\n');
    first.end();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    await api.stream(1);
    await settle();
    source.close();
    expect(log).toEqual(['open:1', 'message:1', 'error:0', 'open:1']);
    expect(api.requests.map((r) => r.lastEventId)).toEqual([null, '3']);
  });

  test.each([
    ['401', status(401), HttpError],
    ['403', status(403), HttpError],
  ])('a fatal %s: CLOSED, then one error carrying the HttpError', async (_name, reply, type) => {
    api.reply(reply);
    const source = new EventSource(TEST_URL);
    const errors: EventSourceErrorEvent[] = [];
    source.onerror = (event) => void errors.push(event);
    const log = record(source);
    await vi.waitFor(() => expect(log).toEqual(['error:2']));
    expect(errors[0]?.error).toBeInstanceOf(type);
    expect(api.requests).toHaveLength(1);
  });

  test('204: CLOSED, then error, no reconnect', async () => {
    api.reply(status(204));
    const source = new EventSource(TEST_URL);
    const log = record(source);
    await vi.waitFor(() => expect(log).toEqual(['error:2']));
    expect(source.readyState).toBe(EventSource.CLOSED);
  });

  test('503: stays CONNECTING with an error per retry, then OPEN', async () => {
    useFakeClock();
    api.reply(status(503), status(503));
    const source = new EventSource(TEST_URL, { retry: { jitter: 0 } });
    const log = record(source);
    await vi.advanceTimersByTimeAsync(3000);
    await api.stream(0);
    await settle();
    source.close();
    expect(log).toEqual(['error:0', 'error:0', 'open:1']);
  });

  test('a dropped connection: CONNECTING and error, then reconnects', async () => {
    useFakeClock();
    const source = new EventSource(TEST_URL, { retry: { jitter: 0 } });
    const log = record(source);
    (await api.stream(0)).fail();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    await api.stream(1);
    await settle();
    source.close();
    expect(log).toEqual(['open:1', 'error:0', 'open:1']);
  });

  test('a POST without ids dropped after an event: CLOSED, then one error carrying NotResumableError', async () => {
    const source = new EventSource(TEST_URL, { method: 'POST', body: '{}' });
    const errors: EventSourceErrorEvent[] = [];
    source.onerror = (event) => void errors.push(event);
    const log = record(source);
    const stream = await api.stream(0);
    stream.push('data: half an answer\n\n');
    await settle();
    stream.fail();
    await vi.waitFor(() => expect(log).toEqual(['open:1', 'message:1', 'error:2']));
    expect(errors[0]?.error).toBeInstanceOf(NotResumableError);
    expect(api.requests).toHaveLength(1);
  });

  test('close(): CLOSED, no event, no further request', async () => {
    useFakeClock();
    const source = new EventSource(TEST_URL);
    const log = record(source);
    await api.stream(0);
    await settle();
    source.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual(['open:1']);
    expect(source.readyState).toBe(EventSource.CLOSED);
    expect(api.requests).toHaveLength(1);
  });
});

describe('close() from a handler stops everything', () => {
  test('from onmessage: no later event of the same chunk, no reconnect', async () => {
    useFakeClock();
    const source = new EventSource(TEST_URL);
    const data: string[] = [];
    source.onmessage = (event) => {
      data.push(event.data);
      source.close();
    };
    const stream = await api.stream(0);
    stream.push('data: 1\n\ndata: 2\n\n');
    stream.end();
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(data).toEqual(['1']);
    expect(api.requests).toHaveLength(1);
  });

  test('from onerror during a reconnect: no retry is sent', async () => {
    useFakeClock();
    api.reply(status(503));
    const source = new EventSource(TEST_URL);
    let errors = 0;
    source.onerror = () => {
      errors += 1;
      source.close();
    };
    await vi.advanceTimersByTimeAsync(60_000);
    expect(errors).toBe(1);
    expect(source.readyState).toBe(EventSource.CLOSED);
    expect(api.requests).toHaveLength(1);
  });
});

describe('the same on every runtime, found out when used, never at import', () => {
  /** A fresh copy of the library, imported after the platform was changed. */
  async function freshEventSource() {
    vi.resetModules();
    return (await import('../src/index.js')).EventSource;
  }

  async function receive(Source: typeof EventSource) {
    const source = new Source(TEST_URL);
    const seen: string[] = [];
    source.onmessage = (event) => void seen.push(`onmessage ${event.data}`);
    source.addEventListener('message', (event) => {
      const { data, lastEventId, origin } = event as MessageEvent<string>;
      seen.push(`listener ${data}@${lastEventId} from ${origin}`);
    });
    (await api.stream(0)).push('id: 7\ndata: a\n\n');
    await settle();
    source.close();
    return seen;
  }

  /** workerd's MessageEvent keeps `data` only. */
  class DataOnlyMessageEvent extends Event {
    readonly data: unknown;
    readonly lastEventId = '';
    readonly origin = 'null';
    constructor(type: string, init: { data?: unknown } = {}) {
      super(type);
      this.data = init.data;
    }
  }

  /** workerd's EventTarget calls an `on<type>` property by itself. */
  class CallingEventTarget extends EventTarget {
    override dispatchEvent(event: Event): boolean {
      const handler = (this as unknown as Record<string, unknown>)[`on${event.type}`];
      if (typeof handler === 'function') handler.call(this, event);
      return super.dispatchEvent(event);
    }
  }

  test.each([
    ['there is no MessageEvent (@edge-runtime/vm)', 'MessageEvent', undefined],
    ["MessageEvent drops lastEventId and origin (workerd's)", 'MessageEvent', DataOnlyMessageEvent],
    ['EventTarget calls on<type> properties itself (workerd)', 'EventTarget', CallingEventTarget],
  ])(
    'where %s: each handler runs once, each message has data, lastEventId and origin',
    async (_where, name, standIn) => {
      vi.stubGlobal(name, standIn);
      try {
        expect(await receive(await freshEventSource())).toEqual([
          'onmessage a',
          'listener a@7 from https://api.example.com',
        ]);
      } finally {
        vi.unstubAllGlobals();
      }
    },
  );
});
