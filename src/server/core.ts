/**
 * The lifecycle of a resumable stream, written once for every backend: a producer run once and its
 * events stored in batches under the caps, its lease renewed, a stop heard wherever it was asked;
 * readers that replay, follow live, and end a stream whose producer died; the failure rules
 * (a producer that throws at once, a backend that fails mid-read) in one place.
 */
import type { Backend } from './backend.js';
import { StoreError, StreamExistsError, StreamNotFoundError } from './errors.js';
import {
  checkNoteKey,
  checkStreamId,
  errorEvent,
  messageOf,
  nameOf,
  parseEventId,
  storeDefaults,
  storedEvent,
  type Producer,
  type ReadOptions,
  type ResumableStreamStore,
  type StoreOptions,
  type StreamWriter,
} from './store.js';
import type { ServerEvent } from './write.js';

/**
 * Events pushed by a writer, as the async iterable a producer would be: `close` ends it (with
 * `error`: the iteration throws it, so the stream ends with its error event).
 */
function channel() {
  const queue: ServerEvent[] = [];
  let ended: { error?: unknown } | undefined;
  let wake = () => {};
  return {
    push(event: ServerEvent) {
      queue.push(event);
      wake();
    },
    close(error?: { error: unknown }) {
      ended = error ?? {};
      wake();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<ServerEvent> {
      for (;;) {
        const event = queue.shift();
        if (event) yield event;
        else if (ended) {
          if ('error' in ended) throw ended.error;
          return;
        } else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/** An error named `name`: the reason the store gives when it stops a stream itself. */
function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A stream just created: its lease's token, what stops its producer, and what ends its stop subscription. */
interface Created {
  token: string;
  producing: AbortController;
  unlisten: () => void;
}

/** What a writer's `write` is told of one event: its id once stored, or why it was not. */
interface Receipt {
  stored(id: string): void;
  dropped(error: Error): void;
}

// Batches of appends one producer keeps on their way (order is kept: one connection, one queue),
// and the events it gathers meanwhile before it waits: a producer faster than its backend is held
// back rather than buffered without end, and an event waits behind a few hundred at most.
const APPEND_WINDOW = 4;
const MAX_BATCH = 64;

/** A store on `backend`: the public `start`, `read`, `resume`, `stop`, `state`, and `close`. */
export function createStore(
  backend: Backend,
  options: StoreOptions = {},
): ResumableStreamStore & { close(): Promise<void> } {
  const {
    maxEvents = storeDefaults.maxEvents,
    maxBytes = storeDefaults.maxBytes,
    abandonAfter = 0,
    expireAfter = storeDefaults.expireAfter,
  } = options;
  const { leaseTtl } = backend;
  // Where the producer lives in this process only, there is no lease to renew or to check.
  const leased = Number.isFinite(leaseTtl);

  // Reads in flight, by stream and position: readers of one stream in this process, woken by the
  // same notice, share one read (one Redis command per wake-up, however many readers).
  const reading = new Map<string, { read: ReturnType<Backend['readAfter']>; readers: number }>();
  function readShared(streamId: string, position: string) {
    const key = `${streamId}\n${position}`;
    let shared = reading.get(key);
    if (!shared) {
      const read = backend.readAfter(streamId, position).finally(() => reading.delete(key));
      reading.set(key, (shared = { read, readers: 0 }));
    }
    shared.readers += 1;
    return shared;
  }

  /**
   * Runs a stream's producer: stores its events in batches, renews the lease, hears a stop, ends the
   * stream. `receiptOf` gives, for an event a writer's `write` waits on, what to tell once it is
   * stored (its id); `open` tells the rest that they were dropped.
   */
  async function produce(
    streamId: string,
    { token, producing, unlisten }: Created,
    events: AsyncIterable<ServerEvent>,
    receiptOf?: (event: ServerEvent) => Receipt | undefined,
  ) {
    const { signal } = producing;
    let end = '';
    let lost = false;
    const stopLost = () => {
      // The backend is lost, or the stream is gone from it: nothing more can be stored.
      lost = true;
      producing.abort();
    };
    const renewal = leased
      ? setInterval(() => {
          backend.renew(streamId, token).then((state) => {
            if (state === 'stop') producing.abort();
            if (state === 'lost') stopLost();
          }, stopLost);
        }, leaseTtl / 3)
      : undefined;
    // The store stops the stream itself: its end says why, and so does the producer's `signal.reason`.
    // Set once the producer's loop is over: from then on the stream ends as the producer left it, and
    // a check still on its way (abandonment, during the last appends) changes nothing.
    let finished = false;
    const stopWith = (reason: Error) => {
      if (finished) return;
      end = errorEvent(reason.name, reason.message).data;
      producing.abort(reason);
    };
    // Nobody read it for `abandonAfter`: stopped, with an end that says why.
    const abandonment = abandonAfter
      ? setInterval(() => {
          backend.watched(streamId).then((watched) => {
            if (watched || signal.aborted) return;
            stopWith(named('StreamAbandonedError', `nobody read stream "${streamId}" for ${abandonAfter} ms`));
          }, stopLost);
        }, abandonAfter / 3)
      : undefined;
    let count = 0;
    let bytes = 0;
    // Appends go in batches: an event made while the window has room is stored at once (a chat's
    // tokens go one by one, with no wait); those made while it is full go together when a batch
    // lands. Each batch wakes the readers once, so they fetch in batches too.
    let batch: ServerEvent[] = [];
    // The receipts of the batch's events, where a writer's `write` waits on them.
    let receipts: Array<Receipt | undefined> = [];
    const inFlight = new Set<Promise<void>>();
    const send = () => {
      const events = batch;
      const told = receipts;
      batch = [];
      receipts = [];
      const sent: Promise<void> = backend
        .append(streamId, token, events)
        .then((positions) => {
          if (!positions) return stopLost();
          void backend.notify(streamId, 'a').catch(() => {});
          positions.forEach((position, index) => {
            told[index]?.stored(`${streamId}:${position}`);
          });
        }, stopLost)
        .then(() => {
          inFlight.delete(sent);
          if (batch.length) send();
        });
      inFlight.add(sent);
    };
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        const stored = storedEvent(event);
        bytes += stored.data.length;
        if (++count > maxEvents || bytes > maxBytes) {
          const limit = count > maxEvents ? `maxEvents (${maxEvents})` : `maxBytes (${maxBytes})`;
          stopWith(named('StreamLimitError', `the stream passed ${limit}`));
          break;
        }
        batch.push(stored);
        receipts.push(receiptOf?.(event));
        if (inFlight.size < APPEND_WINDOW) send();
        else if (batch.length >= MAX_BATCH) await Promise.race(inFlight);
      }
    } catch (error) {
      // A producer that throws once it was stopped only ends as asked.
      if (!signal.aborted) end = errorEvent(nameOf(error), messageOf(error)).data;
    } finally {
      finished = true;
      clearInterval(abandonment);
      while (inFlight.size) await Promise.all(inFlight);
      clearInterval(renewal);
      unlisten();
      if (!lost) {
        await backend
          .end(streamId, end, token)
          .then(() => backend.notify(streamId, 'x'))
          .catch(() => {});
      }
    }
  }

  /** A reader of `streamId` from `from`; `firstRead` is its first read, already on its way. */
  function follow(
    streamId: string,
    from: string,
    firstRead: ReturnType<typeof readShared>,
    signal?: AbortSignal,
  ): AsyncIterableIterator<ServerEvent> {
    let after = from;
    let prefetched: typeof firstRead | undefined = firstRead;
    // What was read and not yet handed out: `buffer` from `next` on (an index, not shift(): a reader
    // joining a long stream takes thousands of events from one read).
    let buffer: ServerEvent[] = [];
    let next = 0;
    let closed = false;
    let resume = () => {};
    // The subscription to the stream's notices, from the first next() on; `unlisten` once it is made.
    let listening: Promise<void> | undefined;
    let unlisten: (() => void) | undefined;
    const close = () => {
      closed = true;
      resume();
    };
    signal?.addEventListener('abort', close, { once: true });
    const done = { value: undefined, done: true } as const;

    // Whether a notice came since the last read began: a reader that handed out what it read and
    // heard nothing since has nothing to read, and waits.
    let notified = true;

    /** Fills `buffer` with what is stored after `after`; true once the end was read (its event, if any, buffered). */
    async function readMore(): Promise<boolean> {
      notified = false;
      const shared = prefetched ?? readShared(streamId, after);
      prefetched = undefined;
      const { events, position, end } = await shared.read;
      after = position;
      // Other readers have the same events: each gets copies, so none sees what another's code does
      // to an event.
      buffer = shared.readers > 1 ? events.map((event) => ({ ...event })) : events;
      next = 0;
      if (end === undefined) return false;
      if (end) buffer = [...buffer, { event: 'error', data: end }];
      return true;
    }

    // While it is open, the reader keeps the stream from being abandoned.
    const touch = () => void backend.touch(streamId, abandonAfter).catch(() => {});
    const presence = abandonAfter ? setInterval(touch, abandonAfter / 3) : undefined;
    if (abandonAfter) touch();

    let ended = false;
    /** The next event, reading and waiting as needed. */
    async function advance(): Promise<IteratorResult<ServerEvent>> {
      try {
        if (!listening) {
          // Subscribe and read at once, and hand out what was read while the subscription is on its
          // way: a reader joining a long stream waits for no more than its read. The reader is
          // subscribed before it waits, and reads once more after that (what was appended before the
          // subscription); from then on a notice wakes it.
          const notice = () => {
            notified = true;
            resume();
          };
          listening = backend.listen(streamId, notice).then((stop) => {
            unlisten = stop;
            // Ended meanwhile: the subscription goes at once.
            if (closed) stop();
          });
          listening.catch(() => {});
          ended = await readMore();
          notified = true;
        }
        for (;;) {
          if (closed || signal?.aborted) return iterator.return!();
          if (next < buffer.length) return { value: buffer[next++]!, done: false };
          if (ended) return iterator.return!();
          if (!unlisten) {
            await listening;
            continue;
          }
          if (notified) {
            ended = await readMore();
            continue;
          }
          // Nothing new since the last read: wait to be told, or check on the producer after a
          // third of its lease (on that clock only: a wake-up by a notice costs no lease check).
          const woken = new Promise<void>((resolve) => (resume = resolve));
          let heardNothing = false;
          const timer = leased
            ? setTimeout(() => {
                heardNothing = true;
                resume();
              }, leaseTtl / 3)
            : undefined;
          await woken;
          clearTimeout(timer);
          if (closed || !heardNothing) continue;
          // Read again all the same: a notice lost on its way is caught up here.
          notified = true;
          if (await backend.leased(streamId)) continue;
          const message = `the process producing stream "${streamId}" stopped renewing its lease`;
          await backend.end(streamId, errorEvent('ProducerLostError', message).data, '');
          // Read on from past the end of a finished stream: nothing more will come.
          ended = (await readMore()) || (buffer.length === 0 && (await backend.ended(streamId)));
        }
      } catch (error) {
        // The store is unreachable: one error event, then the end.
        if (closed) return done;
        await iterator.return!();
        const failure = error instanceof StoreError ? error : new StoreError(messageOf(error), error);
        return { value: errorEvent(failure.name, failure.message), done: false };
      }
    }

    const iterator: AsyncIterableIterator<ServerEvent> = {
      next() {
        // What was read already goes out without the async machinery: a reader joining a long
        // stream takes thousands of events from one read.
        if (listening && next < buffer.length && !closed && !signal?.aborted) {
          return Promise.resolve({ value: buffer[next++]!, done: false });
        }
        return advance();
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- an iterator's return() is async
      async return() {
        closed = true;
        clearInterval(presence);
        buffer = [];
        next = 0;
        // A next() waiting for the next event ends too.
        resume();
        signal?.removeEventListener('abort', close);
        unlisten?.();
        unlisten = () => {};
        return done;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /**
   * Creates the stream, or `StreamExistsError`: its lease's token, what stops its producer, and its
   * subscription to a stop, made before `start` or `open` resolves, so a stop asked right after is
   * heard at once (not at the next lease renewal).
   */
  async function create(streamId: string): Promise<Created> {
    const token = crypto.randomUUID();
    if (!(await backend.create(checkStreamId(streamId), token))) throw new StreamExistsError(streamId);
    const producing = new AbortController();
    // Unheard, a stop still comes with the next lease renewal.
    const unlisten = await backend
      .listen(streamId, (notice) => notice === 's' && producing.abort())
      .catch(() => () => {});
    // The grace a new stream has to get its first reader, from when start() or open() resolves.
    if (abandonAfter) await backend.touch(streamId, abandonAfter);
    return { token, producing, unlisten };
  }

  const store = {
    async start(streamId: string, producer: Producer) {
      const created = await create(streamId);
      let events: AsyncIterable<ServerEvent>;
      try {
        events = producer(created.producing.signal);
      } catch (error) {
        // A producer that throws at once made nothing: the id is left free to start again.
        created.unlisten();
        await backend.remove(streamId).catch(() => {});
        throw error;
      }
      void produce(streamId, created, events);
    },
    async open(streamId: string): Promise<StreamWriter> {
      const created = await create(streamId);
      const { producing } = created;
      const events = channel();
      // A stopped stream ends now, whether or not its writer is told by `signal` and calls end().
      producing.signal.addEventListener('abort', () => events.close(), { once: true });
      // The events `write` waits on, until each is stored or dropped.
      const receipts = new Map<ServerEvent, Receipt>();
      const produced = produce(streamId, created, events, (event) => receipts.get(event));
      // What is still waited on once the stream ended was not stored: it stopped, or the store was lost.
      void produced.then(() => {
        const error = new Error(`stream "${streamId}" ended before the event was stored`);
        for (const receipt of receipts.values()) receipt.dropped(error);
      });
      let closed = false;
      const close = (error?: { error: unknown }) => {
        if (closed) throw new Error(`stream "${streamId}" was ended already`);
        closed = true;
        events.close(error);
        return produced;
      };
      return {
        signal: producing.signal,
        append(event) {
          if (closed) throw new Error(`stream "${streamId}" was ended already`);
          // Checked here, so the caller learns of a bad event at once and the stream goes on.
          storedEvent(event);
          if (!producing.signal.aborted) events.push(event);
        },
        async write(batch) {
          if (closed) throw new Error(`stream "${streamId}" was ended already`);
          for (const event of batch) storedEvent(event);
          if (producing.signal.aborted) throw new Error(`stream "${streamId}" was stopped`);
          return Promise.all(
            batch.map((event) => {
              // Its own object, so one event given twice gets two receipts.
              const pushed = { ...event };
              const stored = new Promise<string>((resolve, reject) => {
                receipts.set(pushed, {
                  stored(id) {
                    receipts.delete(pushed);
                    resolve(id);
                  },
                  dropped(error) {
                    receipts.delete(pushed);
                    reject(error);
                  },
                });
              });
              events.push(pushed);
              return stored;
            }),
          );
        },
        end: () => close(),
        fail: (error) => close({ error }),
      };
    },
    async attach(streamId: string, producer: Producer, readOptions?: ReadOptions) {
      let started = true;
      try {
        await store.start(streamId, producer);
      } catch (error) {
        if (!(error instanceof StreamExistsError)) throw error;
        started = false;
      }
      return { started, events: await store.read(streamId, readOptions) };
    },
    async read(streamId: string, { lastEventId, signal }: ReadOptions = {}) {
      let from = backend.origin;
      if (lastEventId !== undefined) {
        const parsed = parseEventId(lastEventId, backend.isPosition);
        if (parsed.streamId !== streamId) throw new StreamNotFoundError(parsed.streamId);
        from = parsed.position;
      }
      checkStreamId(streamId);
      // The first read goes out beside the check, so a reader joining a long stream waits one round
      // trip before its events, not two. What it read is dropped if the check fails.
      const firstRead = readShared(streamId, from);
      firstRead.read.catch(() => {});
      if (!(await backend.exists(streamId, from))) throw new StreamNotFoundError(streamId);
      return follow(streamId, from, firstRead, signal);
    },
    async resume(lastEventId: string, options: Pick<ReadOptions, 'signal'> = {}) {
      return store.read(parseEventId(lastEventId, backend.isPosition).streamId, { ...options, lastEventId });
    },
    async stop(streamId: string) {
      await backend.requestStop(checkStreamId(streamId));
    },
    async state(streamId: string) {
      return backend.state(checkStreamId(streamId));
    },
    async setNote(key: string, value: string) {
      await backend.setNote(checkNoteKey(key), value, expireAfter);
    },
    async getNote(key: string) {
      return backend.getNote(checkNoteKey(key));
    },
    /** Ends what the store opened itself (the app's client is the app's to close). */
    async close() {
      await backend.close();
    },
  };
  return store;
}
