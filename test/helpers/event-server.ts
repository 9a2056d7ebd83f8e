import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';

export const TEST_URL = 'https://api.example.com/chat';

/** What the mocked server saw of one request. */
export interface SeenRequest {
  method: string;
  body: string;
  authorization: string | null;
  lastEventId: string | null;
  accept: string | null;
  headers: Headers;
  /** The request's signal: aborted once the client gave up on it. */
  signal: AbortSignal;
}

/** One open event stream that a test writes to. */
export class StreamConnection {
  #controller: ReadableStreamDefaultController<Uint8Array>;
  #encoder = new TextEncoder();

  constructor(controller: ReadableStreamDefaultController<Uint8Array>) {
    this.#controller = controller;
  }

  push(text: string | Uint8Array): void {
    this.#controller.enqueue(typeof text === 'string' ? this.#encoder.encode(text) : text);
  }

  /** The server ends the stream cleanly. */
  end(): void {
    this.#controller.close();
  }

  /** The connection drops mid-stream. */
  fail(error: Error = new TypeError('terminated')): void {
    this.#controller.error(error);
  }
}

type Reply = (request: Request) => Response | Promise<Response>;

/**
 * An msw server with one endpoint. Each request takes the next queued reply, or opens
 * an event stream when none is queued; every request is recorded.
 */
export function createEventServer(url = TEST_URL) {
  const requests: SeenRequest[] = [];
  const replies: Reply[] = [];
  const streams: StreamConnection[] = [];
  const streamWaiters: Array<() => void> = [];

  function openStream(headers: HeadersInit = { 'content-type': 'text/event-stream' }): Response {
    let connection!: StreamConnection;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        connection = new StreamConnection(controller);
      },
    });
    streams.push(connection);
    streamWaiters.splice(0).forEach((wake) => wake());
    return new HttpResponse(body, { headers });
  }

  const server = setupServer(
    http.all(url, async ({ request }) => {
      requests.push({
        method: request.method,
        body: await request.text(),
        authorization: request.headers.get('authorization'),
        lastEventId: request.headers.get('last-event-id'),
        accept: request.headers.get('accept'),
        headers: request.headers,
        signal: request.signal,
      });
      const reply = replies.shift();
      return reply ? reply(request) : openStream();
    }),
  );

  return {
    server,
    requests,
    /** Queue the reply to the next request that has none yet. */
    reply(...next: Reply[]) {
      replies.push(...next);
    },
    openStream,
    /** The n-th stream opened (0-based), once it exists. */
    async stream(index: number): Promise<StreamConnection> {
      while (streams.length <= index) await new Promise<void>((wake) => streamWaiters.push(wake));
      return streams[index]!;
    },
    reset() {
      requests.length = 0;
      replies.length = 0;
      streams.length = 0;
    },
  };
}

/** A reply with a status and an optional JSON body. */
export function status(code: number, init: { headers?: HeadersInit; json?: unknown } = {}): Reply {
  const responseInit = { status: code, headers: init.headers ?? {} };
  return () =>
    init.json === undefined ? new HttpResponse(null, responseInit) : HttpResponse.json(init.json, responseInit);
}

/** A reply that fails like a refused connection. */
export const networkError: Reply = () => HttpResponse.error();

/**
 * Wraps a `fetch` so a test can see whether the client cancelled each response body. (Through msw,
 * a cancel was never seen on the stream a test writes to, so this watches the client's side.)
 */
export function watchBodies(inner: typeof fetch = (...args) => globalThis.fetch(...args)) {
  const bodies: Array<{ cancelled: boolean }> = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await inner(input, init);
    if (!response.body) return response;
    const state = { cancelled: false };
    bodies.push(state);
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        state.cancelled = true;
        return reader.cancel(reason);
      },
    });
    return new Response(body, response);
  };
  return { fetch, bodies };
}
