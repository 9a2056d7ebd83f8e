// @vitest-environment happy-dom
import { act, render, renderHook, waitFor } from '@testing-library/react';
import { Activity, StrictMode, useEffect, useRef, useState } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { HttpError, NotResumableError, type EventSourceMessage } from '../src/index.js';
import { useEventStream, type StreamControls, type StreamStatus } from '../src/react.js';
import { status, TEST_URL } from './helpers/event-server.js';
import { settle, useEventServer } from './helpers/setup.js';

const api = useEventServer();
afterEach(() => vi.restoreAllMocks());

const fast = { retry: { initialDelay: 20, jitter: 0 } };

/** Renders the hook and records every distinct status it renders, in order. */
type Handler = (message: EventSourceMessage, controls: StreamControls) => void;

function renderStream(onMessage: Handler = () => {}, strict = false) {
  const states: StreamStatus[] = [];
  const hook = renderHook(
    ({ handler }: { handler: Handler }) => {
      const stream = useEventStream(handler);
      if (states.at(-1) !== stream.status) states.push(stream.status);
      return stream;
    },
    { initialProps: { handler: onMessage }, ...(strict ? { wrapper: StrictMode } : {}) },
  );
  const names = () => states.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]);
  return { hook, states, names };
}

describe('useEventStream: the status a UI renders', () => {
  test('idle → connecting → open → done, with every event delivered', async () => {
    const data: string[] = [];
    const { hook, names } = renderStream((m) => data.push(m.data));
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL, { method: 'POST', body: '{}' })));
    const stream = await api.stream(0);
    stream.push('data: a\n\ndata: b\n\n');
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    stream.end();
    await act(() => done);
    expect(names()).toEqual(['idle', 'connecting', 'open', 'done']);
    expect(data).toEqual(['a', 'b']);
  });

  test('a dropped connection: reconnecting with the attempt number and the time of the next request', async () => {
    const { hook, states, names } = renderStream();
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL, fast)));
    const first = await api.stream(0);
    first.push('id: 1\ndata: a\n\n');
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    const before = Date.now();
    first.fail();
    const second = await api.stream(1);
    const reconnecting = states.find((s) => s.state === 'reconnecting');
    expect(reconnecting).toMatchObject({ attempt: 2 });
    // initialDelay 20 ms, or the 100 ms floor when the drop came sooner than 80 ms after the request.
    expect(['backoff', 'min-interval']).toContain((reconnecting as { reason: string }).reason);
    expect((reconnecting as { at: number }).at).toBeGreaterThanOrEqual(before + 20);
    second.push('id: 2\ndata: b\n\n');
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    second.end();
    await act(() => done);
    expect(names()).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'open', 'done']);
    expect(api.requests.map((r) => r.lastEventId)).toEqual([null, '1']);
  });

  test('a 503 with Retry-After: reconnecting at least that long ahead', async () => {
    api.reply(status(503, { headers: { 'retry-after': '1' } }));
    const { hook } = renderStream();
    const before = Date.now();
    act(() => void hook.result.current.start(TEST_URL, fast));
    await waitFor(() => expect(hook.result.current.status.state).toBe('reconnecting'));
    const { at } = hook.result.current.status as Extract<StreamStatus, { state: 'reconnecting' }>;
    expect(at).toBeGreaterThanOrEqual(before + 1000);
    act(() => hook.result.current.stop());
    await waitFor(() => expect(hook.result.current.status.state).toBe('stopped'));
  });

  test('a 401: failed with the HttpError, after exactly one request', async () => {
    api.reply(status(401, { json: { error: 'token expired' } }));
    const { hook, names } = renderStream();
    await act(() => hook.result.current.start(TEST_URL, fast));
    const { error } = hook.result.current.status as Extract<StreamStatus, { state: 'failed' }>;
    expect(error).toBeInstanceOf(HttpError);
    expect(await (error as HttpError).response.json()).toEqual({ error: 'token expired' });
    expect(names().at(-1)).toBe('failed');
    expect(api.requests).toHaveLength(1);
  });

  test('a POST without ids dropped after an event: failed with NotResumableError, one request', async () => {
    const { hook, names } = renderStream();
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL, { ...fast, method: 'POST', body: '{}' })));
    const stream = await api.stream(0);
    stream.push('data: half an answer\n\n');
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    stream.fail();
    await act(() => done);
    const { error } = hook.result.current.status as Extract<StreamStatus, { state: 'failed' }>;
    expect(error).toBeInstanceOf(NotResumableError);
    expect(names()).toEqual(['idle', 'connecting', 'open', 'failed']);
    expect(api.requests).toHaveLength(1);
  });

  test('stop(): stopped, and the request is aborted', async () => {
    const { hook, names } = renderStream();
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL)));
    await api.stream(0);
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    act(() => hook.result.current.stop());
    await act(() => done);
    expect(names()).toEqual(['idle', 'connecting', 'open', 'stopped']);
    expect(api.requests[0]!.signal.aborted).toBe(true);
  });

  test('a newer start() aborts the older stream, whose ending sets no state', async () => {
    const { hook, names } = renderStream();
    act(() => void hook.result.current.start(`${TEST_URL}?n=1`));
    await api.stream(0);
    let second!: Promise<StreamStatus>;
    act(() => void (second = hook.result.current.start(`${TEST_URL}?n=2`)));
    const stream = await api.stream(1);
    stream.end();
    await act(() => second);
    expect(api.requests[0]!.signal.aborted).toBe(true);
    expect(names().at(-1)).toBe('done');
    expect(names()).not.toContain('stopped');
  });
});

describe('useEventStream in a component’s life', () => {
  test('unmounting aborts the request, and nothing is set or logged after', async () => {
    const errors = vi.spyOn(console, 'error');
    const { hook, states } = renderStream();
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL, fast)));
    const stream = await api.stream(0);
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    const rendered = states.length;
    hook.unmount();
    await done;
    await settle();
    expect(api.requests[0]!.signal.aborted).toBe(true);
    expect(states).toHaveLength(rendered);
    expect(() => stream.push('data: late\n\n')).not.toThrow();
    expect(errors).not.toHaveBeenCalled();
    expect(api.requests).toHaveLength(1);
  });

  test('a new onMessage each render is used at once, without reconnecting', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const { hook } = renderStream((m) => first.push(m.data));
    act(() => void hook.result.current.start(TEST_URL));
    const stream = await api.stream(0);
    stream.push('data: a\n\n');
    await waitFor(() => expect(first).toEqual(['a']));
    hook.rerender({ handler: (m) => second.push(m.data) });
    stream.push('data: b\n\n');
    await waitFor(() => expect(second).toEqual(['b']));
    expect(first).toEqual(['a']);
    expect(api.requests).toHaveLength(1);
    act(() => hook.result.current.stop());
  });

  test('under <StrictMode>, start() from a click sends one request', async () => {
    const { hook } = renderStream(() => {}, true);
    act(() => void hook.result.current.start(TEST_URL));
    await api.stream(0);
    await settle();
    expect(api.requests).toHaveLength(1);
    act(() => hook.result.current.stop());
  });

  test('under <StrictMode>, start() from an effect sends one request', async () => {
    function AutoStart() {
      const { start } = useEventStream(() => {});
      useEffect(() => void start(TEST_URL), [start]);
      return null;
    }
    const view = render(
      <StrictMode>
        <AutoStart />
      </StrictMode>,
    );
    await api.stream(0);
    await settle();
    expect(api.requests).toHaveLength(1);
    view.unmount();
  });
});

describe('useEventStream: the status tells the truth after an effect cleanup', () => {
  test('<StrictMode> with the usual run-once ref guard: stopped, not connecting forever', async () => {
    let seen: StreamStatus | undefined;
    function Guarded() {
      const { status, start } = useEventStream(() => {});
      const started = useRef(false);
      useEffect(() => {
        if (started.current) return;
        started.current = true;
        void start(TEST_URL);
      }, [start]);
      seen = status;
      return null;
    }
    const view = render(
      <StrictMode>
        <Guarded />
      </StrictMode>,
    );
    await settle();
    // The simulated unmount aborted the only start(): nothing streams, and the status says so.
    await waitFor(() => expect(seen?.state).toBe('stopped'));
    view.unmount();
  });

  test('<Activity> hidden mid-stream and shown again: stopped (the stream was aborted), not open', async () => {
    let current: ReturnType<typeof useEventStream> | undefined;
    function Chat() {
      current = useEventStream(() => {});
      return null;
    }
    const view = render(
      <Activity mode="visible">
        <Chat />
      </Activity>,
    );
    act(() => void current!.start(TEST_URL));
    await api.stream(0);
    await waitFor(() => expect(current!.status.state).toBe('open'));
    view.rerender(
      <Activity mode="hidden">
        <Chat />
      </Activity>,
    );
    await settle();
    expect(api.requests[0]!.signal.aborted).toBe(true);
    view.rerender(
      <Activity mode="visible">
        <Chat />
      </Activity>,
    );
    await waitFor(() => expect(current!.status.state).toBe('stopped'));
    expect(current!.isActive).toBe(false);
    view.unmount();
  });
});

describe('useEventStream: what a chat UI reaches for', () => {
  test('isActive while connecting, open or reconnecting; start() resolves with the final status', async () => {
    const { hook } = renderStream();
    expect(hook.result.current.isActive).toBe(false);
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL)));
    expect(hook.result.current.isActive).toBe(true);
    const stream = await api.stream(0);
    await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
    expect(hook.result.current.isActive).toBe(true);
    stream.end();
    expect(await act(() => done)).toEqual({ state: 'done' });
    expect(hook.result.current.isActive).toBe(false);
  });

  test('done() from the handler ends the stream as done, not stopped, and no later event is handed over', async () => {
    const data: string[] = [];
    const { hook, names } = renderStream();
    hook.rerender({
      handler: (message, { done }) => {
        if (message.data === '[DONE]') return done();
        data.push(message.data);
      },
    });
    let done!: Promise<StreamStatus>;
    act(() => void (done = hook.result.current.start(TEST_URL)));
    (await api.stream(0)).push('data: a\n\ndata: [DONE]\n\ndata: after\n\n');
    expect(await act(() => done)).toEqual({ state: 'done' });
    expect(names().at(-1)).toBe('done');
    expect(data).toEqual(['a']);
    expect(api.requests[0]!.signal.aborted).toBe(true);
  });

  test('lastEventId, and resume() reconnects the last request from it', async () => {
    const { hook } = renderStream();
    let first!: Promise<StreamStatus>;
    act(() => void (first = hook.result.current.start(TEST_URL, { method: 'POST', body: '{"q":1}' })));
    const stream = await api.stream(0);
    stream.push('id: 7\ndata: a\n\ndata: no id\n\n');
    await waitFor(() => expect(hook.result.current.lastEventId).toBe('7'));
    act(() => hook.result.current.stop());
    await act(() => first);
    let resumed!: Promise<StreamStatus>;
    act(() => void (resumed = hook.result.current.resume()));
    (await api.stream(1)).end();
    expect(await act(() => resumed)).toEqual({ state: 'done' });
    expect(api.requests.map((r) => [r.method, r.body, r.lastEventId])).toEqual([
      ['POST', '{"q":1}', null],
      ['POST', '{"q":1}', '7'],
    ]);
  });

  test('throttle: a burst of events reaches onMessage in one task, so React renders once for it', async () => {
    let renders = 0;
    let current: ReturnType<typeof useEventStream> | undefined;
    function Tokens() {
      const [text, setText] = useState('');
      current = useEventStream((message) => setText((t) => t + message.data), { throttle: 30 });
      renders += 1;
      return <p>{text}</p>;
    }
    const view = render(<Tokens />);
    act(() => void current!.start(TEST_URL));
    const stream = await api.stream(0);
    await waitFor(() => expect(current!.status.state).toBe('open'));
    const before = renders;
    for (const token of 'abcdefghij') {
      stream.push(`data: ${token}\n\n`);
      await settle(2);
    }
    await waitFor(() => expect(view.container.textContent).toBe('abcdefghij'));
    expect(renders - before).toBeLessThanOrEqual(2);
    act(() => current!.stop());
    view.unmount();
  });

  test.each(['unmount', 'stop'] as const)(
    'throttle: events gathered when the stream ends by %s are dropped, and onMessage never runs after it',
    async (ending) => {
      const received: string[] = [];
      const hook = renderHook(() => useEventStream((message) => void received.push(message.data), { throttle: 100 }));
      act(() => void hook.result.current.start(TEST_URL));
      const stream = await api.stream(0);
      await waitFor(() => expect(hook.result.current.status.state).toBe('open'));
      stream.push('data: 1\n\ndata: 2\n\ndata: 3\n\n');
      await settle();
      if (ending === 'unmount') hook.unmount();
      else act(() => hook.result.current.stop());
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toEqual([]);
    },
  );
});

describe('the reload recipe (README)', () => {
  /** The README's recipe: what was shown and the id it reached are saved; a new page picks up from there. */
  function Answer({ id }: { id: string }) {
    const key = `answer:${id}`;
    const saved = JSON.parse(sessionStorage.getItem(key) ?? '{"text":"","lastEventId":""}') as {
      text: string;
      lastEventId: string;
    };
    const [text, setText] = useState(saved.text);
    const shown = useRef(saved);
    const { start } = useEventStream((message) => {
      shown.current = { text: shown.current.text + message.data, lastEventId: message.id || shown.current.lastEventId };
      sessionStorage.setItem(key, JSON.stringify(shown.current));
      setText(shown.current.text);
    });
    useEffect(() => {
      void start(TEST_URL, { lastEventId: shown.current.lastEventId });
    }, [start]);
    return <p>{text}</p>;
  }

  test('a reload mid-answer shows what was shown and resumes after the last id, once', async () => {
    sessionStorage.clear();
    const first = render(<Answer id="a1" />);
    const stream = await api.stream(0);
    stream.push('id: 1\ndata: Hel\n\nid: 2\ndata: lo\n\n');
    await waitFor(() => expect(first.container.textContent).toBe('Hello'));
    first.unmount(); // the reload
    const second = render(<Answer id="a1" />);
    expect(second.container.textContent).toBe('Hello');
    const resumed = await api.stream(1);
    resumed.push('id: 3\ndata: , world\n\n');
    resumed.end();
    await waitFor(() => expect(second.container.textContent).toBe('Hello, world'));
    expect(api.requests.map((request) => request.lastEventId)).toEqual([null, '2']);
    second.unmount();
  });
});
