/**
 * `fetch-eventsource/tanstack-ai`: TanStack AI on this library, both halves. `@tanstack/ai` and
 * `@tanstack/ai-client` are optional peer dependencies; the main entry never imports this file, and
 * the library is imported by its package name (one copy).
 */
import type { StreamChunk, StreamDurability } from '@tanstack/ai';
import {
  fetchServerSentEvents,
  type FetchConnectionOptions,
  type ResumableConnectConnectionAdapter,
} from '@tanstack/ai-client';
import { fetchEventStream, FetchEventSourceError, type RetryInfo, type RetryPolicy } from 'fetch-eventsource';
import {
  formatEvent,
  StreamNotFoundError,
  streamIdOf,
  type ResumableStreamStore,
  type ServerEvent,
  type StreamWriter,
} from 'fetch-eventsource/server';

export interface ConnectionOptions extends Omit<FetchConnectionOptions, 'fetchClient'> {
  /** The `fetch` requests go through (a test's, a proxy's). @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /**
   * The reconnect policy: a run's first reconnect after progress waits 150–225 ms, then the backoff.
   * @default { initialDelay: 150, jitter: 0.5 }
   */
  retry?: RetryPolicy | false | undefined;
  /** Milliseconds of silence after which the connection counts as dropped and is resumed. */
  idleTimeout?: number | undefined;
  /** Told of each reconnect inside a run, and of waits for the network or the page (`delay` Infinity). */
  onReconnect?: ((info: RetryInfo) => void) | undefined;
}

/**
 * A connection adapter for `@tanstack/ai-client`'s `ChatClient` (`connect`, `joinRun`): TanStack's own
 * `fetchServerSentEvents` request and wire format, with each request made by `fetchEventStream`. A drop
 * mid-run is healed inside the response the adapter reads (`Last-Event-ID` after the last offset, the
 * library's backoff with jitter, `Retry-After`), so TanStack's own reconnect never has to; a fatal
 * answer (a 401, a 4xx, a wrong content type) fails the run with the library's typed error.
 */
export function fetchEventSourceConnection(
  url: string | (() => string),
  options: ConnectionOptions = {},
): ResumableConnectConnectionAdapter {
  const { fetch: fetchOption, retry = { initialDelay: 150, jitter: 0.5 }, idleTimeout, onReconnect, ...rest } = options;
  const encoder = new TextEncoder();
  // The response TanStack reads: the healed event stream, written out again as event-stream text.
  const healing: typeof fetch = async (input, init = {}) => {
    // A response that opened reached the server, which started the run under the request's run id:
    // if it drops before its first offset, the next request joins that run from its start
    // (`Last-Event-ID: -1`, which TanStack's durability reads as a join) instead of starting it again.
    let opened = false;
    const events = await fetchEventStream(input instanceof Request ? input.url : input, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: (init.body as string | undefined) ?? null,
      credentials: init.credentials ?? 'same-origin',
      signal: init.signal ?? undefined,
      fetch: fetchOption,
      retry,
      idleTimeout,
      onretry: onReconnect,
      onopen: () => {
        opened = true;
      },
      request: ({ attempt, lastEventId }) =>
        attempt > 1 && !lastEventId && opened ? { headers: { 'last-event-id': '-1' } } : undefined,
    });
    if (!events) return new Response(null, { status: 204 });
    const body = events.pipeThrough(
      new TransformStream({
        transform(event, controller) {
          controller.enqueue(encoder.encode(formatEvent({ data: event.data, id: event.id || undefined })));
        },
      }),
    );
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  const adapter = fetchServerSentEvents(url, { ...rest, fetchClient: healing });
  // TanStack wraps what its fetch threw in a "Stream response body read failed" error, and the chat
  // keeps only a failure's message: the library's typed error goes on in its place, so the chat
  // says "401 Unauthorized" rather than that.
  return {
    ...adapter,
    async *connect(...args: Parameters<typeof adapter.connect>) {
      try {
        yield* adapter.connect(...args);
      } catch (error) {
        throw typedCause(error);
      }
    },
    async *joinRun(runId: string, abortSignal?: AbortSignal) {
      try {
        yield* adapter.joinRun(runId, abortSignal);
      } catch (error) {
        throw typedCause(error);
      }
    },
  };
}

function typedCause(error: unknown): unknown {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof FetchEventSourceError ? cause : error;
}

/** Where a durability adapter starts: the incoming request, or a run id (and an offset) it already has. */
export type DurabilitySource = Request | { runId: string; offset?: string | null | undefined };

// How long a join from the start waits for its run to be created by the request that produces it.
const FIRST_CHUNK_DEADLINE = 2000;

/**
 * `@tanstack/ai`'s `StreamDurability` on a `fetch-eventsource/server` store: a run's chunks kept in
 * memory on one process (`memoryStore()`) or in Redis across replicas (`redisStore(client)`), where
 * TanStack's only built-in durability is in memory. Pass it as `toServerSentEventsResponse(stream, {
 * durability: { adapter: storeDurability(store, request) } })` and `resumeServerSentEventsResponse({
 * adapter: storeDurability(store, request) })`.
 *
 * A run is the store's stream named by the run id (`X-Run-Id`, else `?runId`; letters, digits, `_`,
 * `-`, `.`); an offset is the event id the store issued (`<run id>:<position>`), so a `Last-Event-ID`
 * names its run. An offset of `-1` reads from the start, `now` from the run's current end. The store's
 * own closing `error` event (the run abandoned, its producer lost, the store unreachable) is read as
 * a `RUN_ERROR` chunk.
 */
export function storeDurability(store: ResumableStreamStore, source: DurabilitySource): StreamDurability {
  const query = source instanceof Request ? new URL(source.url).searchParams : undefined;
  const offset =
    source instanceof Request ? source.headers.get('last-event-id') || query!.get('offset') : (source.offset ?? null);
  const named = source instanceof Request ? (source.headers.get('x-run-id') ?? query!.get('runId')) : source.runId;
  const runId = offset && offset !== '-1' && offset !== 'now' ? streamIdOf(offset) : (named ?? crypto.randomUUID());

  let writer: Promise<StreamWriter> | undefined;
  let closed = false;
  const writerOf = () => (writer ??= store.open(runId));

  /** The run's events after `from`, waiting a little for a run not created yet when reading from the start. */
  async function eventsAfter(from: string, signal?: AbortSignal) {
    if (from !== '-1' && from !== 'now') return store.read(runId, { lastEventId: from, signal });
    const deadline = Date.now() + FIRST_CHUNK_DEADLINE;
    for (;;) {
      try {
        const lastEventId = from === 'now' ? (await store.state(runId)).lastEventId || undefined : undefined;
        return await store.read(runId, { lastEventId, signal });
      } catch (error) {
        if (!(error instanceof StreamNotFoundError) || Date.now() > deadline || signal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** A stored event as TanStack's entry; the store's closing `error` event as a `RUN_ERROR` chunk. */
  function entryOf(event: ServerEvent, previous: string): { offset: string; chunk: StreamChunk } {
    if (event.event !== 'error') return { offset: event.id!, chunk: JSON.parse(event.data) as StreamChunk };
    const { error, message } = JSON.parse(event.data) as { error: string; message: string };
    // No id of its own: it ends the run, after the last event read.
    return {
      offset: previous,
      chunk: { type: 'RUN_ERROR', message, code: error, timestamp: Date.now() } as StreamChunk,
    };
  }

  return {
    resumeFrom: () => offset,
    async append(chunks) {
      return (await writerOf()).write(chunks.map((chunk) => ({ data: JSON.stringify(chunk) })));
    },
    async close() {
      if (closed) return;
      closed = true;
      await (await writerOf()).end();
    },
    async *read(from, signal) {
      let previous = from;
      for await (const event of await eventsAfter(from, signal)) {
        const entry = entryOf(event, previous);
        previous = entry.offset;
        yield entry;
      }
    },
    async snapshot() {
      const { state, lastEventId } = await store.state(runId);
      if (state === 'expired' || !lastEventId) return [];
      // Read up to the last event stored at the call, then stop: never wait for more.
      const reading = new AbortController();
      const entries: Array<{ offset: string; chunk: StreamChunk }> = [];
      for await (const event of await store.read(runId, { signal: reading.signal })) {
        entries.push(entryOf(event, entries.at(-1)?.offset ?? '-1'));
        if (event.id === lastEventId) break;
      }
      reading.abort();
      return entries;
    },
  };
}
