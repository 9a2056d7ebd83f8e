import { beforeEach, describe, expect, test, vi } from 'vitest';
import { runStream } from '../src/client.js';
import type { FetchEventSourceInit } from '../src/index.js';
import { normalizeOptions } from '../src/options.js';
import { status, TEST_URL, watchBodies } from './helpers/event-server.js';
import { settle, useEventServer, useFakeClock } from './helpers/setup.js';

const api = useEventServer();

/** A fake document: its visibility is set by the test, its listeners counted. */
class FakePage {
  visibilityState: DocumentVisibilityState = 'visible';
  #listeners = new Set<() => void>();
  get listeners() {
    return this.#listeners.size;
  }
  addEventListener(_type: 'visibilitychange', listener: () => void) {
    this.#listeners.add(listener);
  }
  removeEventListener(_type: 'visibilitychange', listener: () => void) {
    this.#listeners.delete(listener);
  }
  set(state: DocumentVisibilityState) {
    this.visibilityState = state;
    this.#listeners.forEach((listener) => listener());
  }
}

/** A fake online source: `navigator.onLine` and the `online` event. */
class FakeNetwork {
  navigator = { onLine: true };
  #listeners = new Set<(event: { type: string }) => void>();
  addEventListener(_type: 'online', listener: (event: { type: string }) => void) {
    this.#listeners.add(listener);
  }
  removeEventListener(_type: 'online', listener: (event: { type: string }) => void) {
    this.#listeners.delete(listener);
  }
  set(online: boolean) {
    this.navigator.onLine = online;
    if (online) this.#listeners.forEach((listener) => listener({ type: 'online' }));
  }
}

let page: FakePage;
let network: FakeNetwork;
beforeEach(() => {
  page = new FakePage();
  network = new FakeNetwork();
});

const setVisibility = (state: DocumentVisibilityState) => page.set(state);
const setOnline = (online: boolean) => network.set(online);

/** `fetchEventSource`'s loop, watching the fake page and network instead of the globals. */
function start(init: FetchEventSourceInit) {
  const calls = { onerror: 0, onclose: 0, onretry: 0, reasons: [] as string[], messages: [] as string[] };
  const controller = new AbortController();
  const options = normalizeOptions(TEST_URL, {
    signal: controller.signal,
    onerror: () => void (calls.onerror += 1),
    onclose: () => void (calls.onclose += 1),
    onretry: (info) => {
      calls.onretry += 1;
      calls.reasons.push(`${info.reason} ${info.delay}${info.error ? ` after ${(info.error as Error).name}` : ''}`);
    },
    onmessage: (message) => void calls.messages.push(message.data),
    ...init,
    // No jitter, so delays are exact; a test's own policy is kept.
    retry: init.retry === false ? false : { jitter: 0, ...init.retry },
  });
  const done = runStream(options, Math.random, { document: page, online: network });
  return { calls, controller, done };
}

describe('a GET stream (pauses while hidden by default)', () => {
  test('hide aborts the request, no retry fires while hidden (onretry says it waits for the page), show sends exactly one request with Last-Event-ID', async () => {
    useFakeClock();
    let token = 'first';
    const { fetch, bodies } = watchBodies();
    const { calls, controller, done } = start({ fetch, headers: () => ({ authorization: `Bearer ${token}` }) });
    const first = await api.stream(0);
    first.push('id: 41\ndata: a\n\n');
    await settle();
    setVisibility('hidden');
    await settle();
    expect(bodies[0]?.cancelled).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(api.requests).toHaveLength(1);
    token = 'refreshed';
    setVisibility('visible');
    await settle();
    expect(api.requests).toHaveLength(2);
    expect(api.requests[1]).toMatchObject({ lastEventId: '41', authorization: 'Bearer refreshed' });
    (await api.stream(1)).push('id: 42\ndata: b\n\n');
    await settle();
    expect(calls).toMatchObject({ onerror: 0, onclose: 0, reasons: ['hidden Infinity'], messages: ['a', 'b'] });
    controller.abort();
    await done;
    expect(page.listeners).toBe(0);
  });

  test('a pause after an earlier failure names no failure in what onretry is told', async () => {
    useFakeClock();
    api.reply(status(503));
    const { calls, controller, done } = start({});
    await vi.advanceTimersByTimeAsync(1000);
    (await api.stream(0)).push('id: 1\ndata: a\n\n');
    await settle();
    setVisibility('hidden');
    await settle();
    expect(calls.reasons).toEqual(['backoff 1000 after HttpError', 'hidden Infinity']);
    controller.abort();
    await done;
  });

  test('hiding during a retry wait cancels the timer; showing reconnects at once', async () => {
    useFakeClock();
    api.reply(status(503));
    const { calls, controller, done } = start({});
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.onretry).toBe(1);
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(api.requests).toHaveLength(1);
    setVisibility('visible');
    await settle();
    expect(api.requests).toHaveLength(2);
    controller.abort();
    await done;
  });

  test('a call made while hidden sends its first request when the page becomes visible', async () => {
    page.visibilityState = 'hidden';
    const { controller, done } = start({});
    await settle();
    expect(api.requests).toHaveLength(0);
    setVisibility('visible');
    await api.stream(0);
    expect(api.requests).toHaveLength(1);
    controller.abort();
    await done;
  });

  test('aborting while paused resolves and removes the listener', async () => {
    page.visibilityState = 'hidden';
    const { controller, done } = start({});
    await settle();
    expect(page.listeners).toBe(1);
    controller.abort();
    await expect(done).resolves.toBeUndefined();
    expect(page.listeners).toBe(0);
    expect(api.requests).toHaveLength(0);
  });
});

describe('a POST stream', () => {
  test('stays open through a hide and a show by default', async () => {
    const { fetch, bodies } = watchBodies();
    const { calls, controller, done } = start({ method: 'POST', body: 'paid prompt', fetch });
    const stream = await api.stream(0);
    stream.push('data: a\n\n');
    await settle();
    setVisibility('hidden');
    await settle();
    stream.push('data: b\n\n');
    setVisibility('visible');
    stream.push('data: c\n\n');
    await settle();
    expect(calls.messages).toEqual(['a', 'b', 'c']);
    expect(api.requests).toHaveLength(1);
    expect(bodies[0]?.cancelled).toBe(false);
    controller.abort();
    await done;
  });

  test('that resumes with a GET: the POST stays open while hidden, the GET resume waits for the page', async () => {
    useFakeClock();
    const { calls, controller, done } = start({
      method: 'POST',
      body: 'paid prompt',
      request: ({ attempt }) => (attempt > 1 ? { method: 'GET', input: `${TEST_URL}?stream=a1` } : undefined),
    });
    const stream = await api.stream(0);
    setVisibility('hidden');
    stream.push('id: 1\ndata: a\n\n');
    await settle();
    expect(calls.messages).toEqual(['a']);
    stream.fail();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.requests).toHaveLength(1);
    expect(calls.reasons).toEqual(['backoff 1000 after NetworkError', 'hidden Infinity after NetworkError']);
    setVisibility('visible');
    await settle();
    expect(api.requests.map((request) => [request.method, request.lastEventId])).toEqual([
      ['POST', null],
      ['GET', '1'],
    ]);
    controller.abort();
    await done;
  });

  test('pauses with an explicit openWhenHidden: false', async () => {
    const { controller, done } = start({ method: 'POST', body: 'x', openWhenHidden: false });
    const stream = await api.stream(0);
    stream.push('id: 1\ndata: a\n\n');
    await settle();
    setVisibility('hidden');
    setVisibility('visible');
    await api.stream(1);
    expect(api.requests.map((r) => [r.method, r.body, r.lastEventId])).toEqual([
      ['POST', 'x', null],
      ['POST', 'x', '1'],
    ]);
    controller.abort();
    await done;
  });

  test('keeps its retry schedule while hidden', async () => {
    useFakeClock();
    api.reply(status(503));
    const { controller, done } = start({ method: 'POST', body: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(1000);
    expect(api.requests).toHaveLength(2);
    controller.abort();
    await done;
  });
});

test('an explicit openWhenHidden: true keeps a GET open', async () => {
  const { controller, done } = start({ openWhenHidden: true });
  const stream = await api.stream(0);
  setVisibility('hidden');
  stream.push('data: still here\n\n');
  await settle();
  expect(api.requests).toHaveLength(1);
  expect(page.listeners).toBe(0);
  controller.abort();
  await done;
});

describe('the visibilitychange listener is removed', () => {
  test('when the stream ends', async () => {
    const { done } = start({});
    const stream = await api.stream(0);
    expect(page.listeners).toBe(1);
    stream.end();
    await done;
    expect(page.listeners).toBe(0);
  });

  test('when the call fails', async () => {
    api.reply(status(401));
    let watching = 0;
    const { done } = start({ headers: () => ((watching = page.listeners), {}) });
    await expect(done).rejects.toThrow('401');
    expect(watching).toBe(1);
    expect(page.listeners).toBe(0);
  });

  test('when the call is aborted mid-stream', async () => {
    const { controller, done } = start({});
    await api.stream(0);
    expect(page.listeners).toBe(1);
    controller.abort();
    await done;
    expect(page.listeners).toBe(0);
  });
});

describe('the network', () => {
  test('a reconnect due while offline waits for the online event (onretry says so), then goes at once', async () => {
    useFakeClock();
    api.reply(status(503));
    setOnline(false);
    const { calls, controller, done } = start({ method: 'POST', body: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.requests).toHaveLength(1); // the first request is always sent
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.requests).toHaveLength(1);
    expect(calls.reasons).toEqual(['backoff 1000 after HttpError', 'offline Infinity after HttpError']);
    setOnline(true);
    await settle();
    expect(api.requests).toHaveLength(2);
    controller.abort();
    await done;
  });

  test('going offline during a retry wait and online again reconnects at once, not when the old wait ends', async () => {
    useFakeClock();
    api.reply(status(503), status(503));
    const { controller, done } = start({ method: 'POST', body: 'x' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(api.requests).toHaveLength(2); // the second wait is 2000 ms
    await vi.advanceTimersByTimeAsync(300);
    setOnline(false);
    await vi.advanceTimersByTimeAsync(300);
    setOnline(true);
    await settle();
    expect(api.requests).toHaveLength(3);
    controller.abort();
    await done;
  });
});

test('events not delivered before a pause are asked for again: Last-Event-ID is the last one delivered', async () => {
  const data: string[] = [];
  const { controller, done } = start({
    onmessage: (message) => {
      data.push(message.data);
      if (message.data === 'a') setVisibility('hidden');
    },
  });
  // One chunk: the pause lands after "a", so "b" is never delivered; the comment block makes
  // the id tracker look at every line of the chunk.
  (await api.stream(0)).push('id: 1\ndata: a\n\nid: 2\ndata: b\n\n: ping\n\n');
  await settle();
  setVisibility('visible');
  await api.stream(1);
  expect(data).toEqual(['a']);
  expect(api.requests.map((r) => r.lastEventId)).toEqual([null, '1']);
  controller.abort();
  await done;
});
