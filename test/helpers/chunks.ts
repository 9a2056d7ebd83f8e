import { fetchEventSource, type EventSourceMessage } from '../../src/index.js';

const encoder = new TextEncoder();

/** Every way to cut `text` in two, plus one byte per chunk: chunking must never change the events. */
export function chunkings(text: string): Uint8Array[][] {
  const bytes = encoder.encode(text);
  const ways: Uint8Array[][] = [[bytes]];
  for (let cut = 1; cut < bytes.length; cut++) ways.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  ways.push(Array.from(bytes, (byte) => Uint8Array.of(byte)));
  return ways;
}

/** A `fetch` whose first response streams `chunks`; later requests are recorded and answered with 204. */
export function fetchChunks(chunks: Uint8Array[]) {
  const requests: Headers[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(new Headers(init?.headers));
    if (requests.length > 1) return new Response(null, { status: 204 });
    const queue = [...chunks];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch, requests };
}

/**
 * Streams `chunks` through the client, lets it reconnect once after the clean end,
 * and reports the events and the `Last-Event-ID` that reconnect sent (null for none).
 */
export async function receive(chunks: Uint8Array[]) {
  const messages: EventSourceMessage[] = [];
  const { fetch, requests } = fetchChunks(chunks);
  await fetchEventSource('https://example.test/events', {
    fetch,
    reconnectOnClose: true,
    retry: { initialDelay: 0, jitter: 0 },
    onmessage: (message) => void messages.push(message),
  });
  const header = requests[1]?.get('last-event-id');
  // The header carries the id's UTF-8 bytes, one per char.
  const lastEventId = header == null ? null : new TextDecoder().decode(Uint8Array.from(header, (c) => c.charCodeAt(0)));
  return { messages, lastEventId };
}
