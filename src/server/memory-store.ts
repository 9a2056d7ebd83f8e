/* eslint-disable @typescript-eslint/require-await -- the store interface is async (Redis answers later); memory answers at once */
import { StreamExistsError, StreamNotFoundError } from './errors.js';
import {
  checkStreamId,
  errorEvent,
  messageOf,
  nameOf,
  parseEventId,
  stateOfEnd,
  storeDefaults,
  storedEvent,
  type ReadOptions,
  type ResumableStreamStore,
  type StoreOptions,
} from './store.js';
import type { ServerEvent } from './write.js';

interface MemoryStream {
  events: ServerEvent[];
  /** Undefined while the producer runs; `null` once it ended well (or was stopped); the error event otherwise. */
  end: ServerEvent | null | undefined;
  producing: AbortController;
  /** Readers waiting for the next event or the end. */
  waiting: Set<() => void>;
}

/** A position counts events from 1; at most as many as a stream may hold. */
const isPosition = (position: string) => /^\d{1,16}$/.test(position);

/**
 * A store in this process's memory: the default, for one server process. Positions count events
 * from 1. A finished stream is dropped `expireAfter` ms after it ended.
 */
export function memoryStore(options: StoreOptions = {}): ResumableStreamStore {
  const {
    expireAfter = storeDefaults.expireAfter,
    maxEvents = storeDefaults.maxEvents,
    maxBytes = storeDefaults.maxBytes,
  } = options;
  const streams = new Map<string, MemoryStream>();

  function wake(stream: MemoryStream): void {
    for (const reader of stream.waiting) reader();
    stream.waiting.clear();
  }

  async function produce(streamId: string, stream: MemoryStream, events: AsyncIterable<ServerEvent>) {
    const { signal } = stream.producing;
    let end: ServerEvent | null = null;
    let bytes = 0;
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        const stored = storedEvent(event);
        bytes += stored.data.length;
        if (stream.events.length >= maxEvents || bytes > maxBytes) {
          const limit = bytes > maxBytes ? `maxBytes (${maxBytes})` : `maxEvents (${maxEvents})`;
          end = errorEvent('StreamLimitError', `the stream passed ${limit}`);
          stream.producing.abort();
          break;
        }
        stream.events.push(stored);
        wake(stream);
      }
    } catch (error) {
      // A producer that throws once it was stopped only ends as asked.
      if (!signal.aborted) end = errorEvent(nameOf(error), messageOf(error));
    }
    stream.end = end;
    wake(stream);
    // Unref'd, so a finished stream waiting to expire keeps no process alive.
    const expiry = setTimeout(() => streams.delete(streamId), expireAfter) as { unref?: () => void };
    expiry.unref?.();
  }

  function follow(streamId: string, stream: MemoryStream, from: number, signal?: AbortSignal) {
    let next = from;
    let closed = false;
    let resume = () => {};
    const close = () => {
      closed = true;
      resume();
    };
    signal?.addEventListener('abort', close, { once: true });
    const done = { value: undefined, done: true } as const;
    const iterator: AsyncIterableIterator<ServerEvent> = {
      async next() {
        for (;;) {
          if (closed || signal?.aborted) return iterator.return!();
          const event = stream.events[next];
          if (event) return { value: { ...event, id: `${streamId}:${++next}` }, done: false };
          if (stream.end !== undefined) {
            const last = stream.end;
            await iterator.return!();
            return last ? { value: last, done: false } : done;
          }
          await new Promise<void>((resolve) => {
            resume = resolve;
            stream.waiting.add(resolve);
          });
          stream.waiting.delete(resume);
        }
      },
      async return() {
        closed = true;
        signal?.removeEventListener('abort', close);
        stream.waiting.delete(resume);
        // A next() waiting for the next event ends too.
        resume();
        return done;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  const store: ResumableStreamStore = {
    async start(streamId, producer) {
      if (streams.has(checkStreamId(streamId))) throw new StreamExistsError(streamId);
      const stream: MemoryStream = { events: [], end: undefined, producing: new AbortController(), waiting: new Set() };
      streams.set(streamId, stream);
      let events: AsyncIterable<ServerEvent>;
      try {
        events = producer(stream.producing.signal);
      } catch (error) {
        // A producer that throws at once made nothing: the id is left free to start again.
        streams.delete(streamId);
        throw error;
      }
      void produce(streamId, stream, events);
    },
    async read(streamId, { lastEventId, signal }: ReadOptions = {}) {
      const stream = streams.get(streamId);
      if (!stream) throw new StreamNotFoundError(streamId);
      let from = 0;
      if (lastEventId !== undefined) {
        const parsed = parseEventId(lastEventId, isPosition);
        if (parsed.streamId !== streamId) throw new StreamNotFoundError(parsed.streamId);
        from = Number(parsed.position);
      }
      return follow(streamId, stream, from, signal);
    },
    async resume(lastEventId, options = {}) {
      return store.read(parseEventId(lastEventId, isPosition).streamId, { ...options, lastEventId });
    },
    async stop(streamId) {
      streams.get(streamId)?.producing.abort();
    },
    async state(streamId) {
      const stream = streams.get(streamId);
      if (!stream) return { state: 'expired', lastEventId: '' };
      const count = stream.events.length;
      const lastEventId = count ? `${streamId}:${count}` : '';
      if (stream.end === undefined) return { state: 'active', lastEventId };
      return { state: stateOfEnd(stream.end?.data ?? ''), lastEventId };
    },
  };
  return store;
}
