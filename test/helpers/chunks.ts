import { EventSource, fetchEventSource, fetchEvents, type EventSourceMessage } from '../../src/index.js';

const encoder = new TextEncoder();

/** Every way to cut `text` in two, plus one byte per chunk: chunking must never change the events. */
export function chunkings(text: string): Uint8Array[][] {
  const bytes = encoder.encode(text);
  const ways: Uint8Array[][] = [[bytes]];
  for (let cut = 1; cut < bytes.length; cut++) ways.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  ways.push(Array.from(bytes, (byte) => Uint8Array.of(byte)));
  return ways;
}

/**
 * The one helper for "a fetch that streams these chunks": an event-stream `Response` whose body asks
 * `pull` for its n-th chunk (from 1) on each read. `null` ends the body; a promise that never
 * settles keeps it open; `cancel` is the body's cancel algorithm.
 */
export function eventStream(
  pull: (n: number) => string | Uint8Array | null | Promise<never>,
  cancel?: () => Promise<void>,
): Response {
  let n = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = pull(++n);
        if (next instanceof Promise) return next;
        if (next === null) return controller.close();
        controller.enqueue(typeof next === 'string' ? encoder.encode(next) : next);
      },
      ...(cancel ? { cancel } : {}),
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

/** A `fetch` whose first response streams `chunks`; later requests are recorded and answered with 204. */
export function fetchChunks(chunks: Uint8Array[]) {
  const requests: Headers[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(new Headers(init?.headers));
    if (requests.length > 1) return new Response(null, { status: 204 });
    return eventStream((n) => chunks[n - 1] ?? null);
  };
  return { fetch, requests };
}

/** The `Last-Event-ID` a recorded request sent, decoded from its UTF-8 bytes (one per char); null for none. */
function sentLastEventId(headers: Headers | undefined): string | null {
  const header = headers?.get('last-event-id');
  return header == null ? null : new TextDecoder().decode(Uint8Array.from(header, (c) => c.charCodeAt(0)));
}

/** How a run ended: `'resolved'`, or the error's name. */
function outcomeOf(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

/**
 * Streams `chunks` through `fetchEventSource`, lets it reconnect once after the clean end,
 * and reports the events, how it ended and the `Last-Event-ID` that reconnect sent (null for none).
 */
export async function receive(chunks: Uint8Array[], init: { maxEventSize?: number } = {}) {
  const messages: EventSourceMessage[] = [];
  const { fetch, requests } = fetchChunks(chunks);
  const outcome = await fetchEventSource('https://example.test/events', {
    ...init,
    fetch,
    reconnectOnClose: true,
    retry: { initialDelay: 0, jitter: 0, minInterval: 0 },
    onmessage: (message) => void messages.push(message),
  }).then(() => 'resolved', outcomeOf);
  return { messages, outcome, lastEventId: sentLastEventId(requests[1]) };
}

/** The same through `fetchEvents`: the events, and how the loop ended. */
export async function receiveIterated(chunks: Uint8Array[], init: { maxEventSize?: number } = {}) {
  const messages: EventSourceMessage[] = [];
  const { fetch } = fetchChunks(chunks);
  let outcome = 'resolved';
  try {
    for await (const message of fetchEvents('https://example.test/events', { ...init, fetch })) messages.push(message);
  } catch (error) {
    outcome = outcomeOf(error);
  }
  return { messages, outcome };
}

/**
 * The same through the `EventSource` class, which reconnects after the clean end and closes on the
 * 204 that answers it: each `MessageEvent` as `[type, data, lastEventId]`, and the reconnect's `Last-Event-ID`.
 */
export function receiveWithEventSource(chunks: Uint8Array[], types: string[] = ['message'], maxEventSize?: number) {
  const { fetch, requests } = fetchChunks(chunks);
  const source = new EventSource('https://example.test/events', {
    fetch,
    retry: { initialDelay: 0, jitter: 0, minInterval: 0 },
    ...(maxEventSize === undefined ? {} : { maxEventSize }),
  });
  const events: Array<[string, string, string]> = [];
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const { data, lastEventId } = event as MessageEvent<string>;
      events.push([type, data, lastEventId]);
    });
  }
  return new Promise<{ events: typeof events; outcome: string; lastEventId: string | null }>((resolve) => {
    source.onerror = (event) => {
      if (source.readyState !== EventSource.CLOSED) return;
      const { error } = event;
      resolve({ events, outcome: error ? outcomeOf(error) : 'closed', lastEventId: sentLastEventId(requests[1]) });
    };
  });
}
