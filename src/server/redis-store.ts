import { StreamExistsError, StreamNotFoundError } from './errors.js';
import {
  checkStreamId,
  errorEvent,
  messageOf,
  nameOf,
  parseEventId,
  storeDefaults,
  storedEvent,
  type ReadOptions,
  type ResumableStreamStore,
  type StoreOptions,
} from './store.js';
import type { ServerEvent } from './write.js';

/**
 * What the store needs of a connected node-redis client (`redis` 4 to 6, `createClient()` after
 * `connect()`): raw commands, and a duplicate connection for pub/sub.
 */
export interface RedisClientLike {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
  duplicate(): RedisSubscriberLike;
}

/** The duplicated connection the store subscribes with. */
export interface RedisSubscriberLike {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener?: (message: string) => void): Promise<unknown>;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

export interface RedisStoreOptions extends StoreOptions {
  /**
   * Prepended to every key and channel. Each stream's keys carry its id as a hash tag
   * (`<prefix>{<stream id>}:events`), so they live in one slot of a Redis Cluster.
   * @default "sse:"
   */
  prefix?: string | undefined;
  /**
   * Milliseconds the producer's lease lasts; it renews it every third of that. A reader that sees
   * no lease and no end for a whole check (`leaseTtl / 3`) ends the stream with a `ProducerLostError`
   * event: within `leaseTtl + leaseTtl / 3` of the producer's death (4 s by default).
   * @default 3000
   */
  leaseTtl?: number | undefined;
}

// Entry fields: `d` data, `e` event, `r` retry; `s` marks the start, `x` the end (its value: "" for a
// clean end, else the JSON of the error event's data).
const POSITION = /^\d+-\d+$/;
// Appends one producer keeps in flight on the connection (order is kept: one connection, one queue).
const APPEND_WINDOW = 64;

// KEYS: events, lease. ARGV: lease token, lease ttl, expireAfter. Creates the stream unless it exists.
const START = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('XADD', KEYS[1], '*', 's', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// KEYS: events, lease, stop. ARGV: lease token, lease ttl, expireAfter.
// -1: the lease is not ours any more; 1: stop was asked; 0: carry on.
const RENEW = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('EXISTS', KEYS[3])`;

// KEYS: events, lease, ended. ARGV: end value, expireAfter, lease token ("" for a reader that found
// the lease gone). Writes the end once, whoever notices first; 1 if this call wrote it.
const END = `if ARGV[3] == '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[1], '*', 'x', ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * A store in Redis Streams, for many server processes sharing one Redis: `XADD` per event under the
 * entry id Redis assigns, `XRANGE` to replay, pub/sub to wake live readers, a lease the producer
 * renews so readers elsewhere learn when its process died. `client` is the app's connected client;
 * the store duplicates it once for pub/sub (`close()` ends that connection, not the app's).
 */
export function redisStore(
  client: RedisClientLike,
  options: RedisStoreOptions = {},
): ResumableStreamStore & { close(): Promise<void> } {
  const {
    prefix = 'sse:',
    leaseTtl = 3000,
    expireAfter = storeDefaults.expireAfter,
    maxEvents = storeDefaults.maxEvents,
  } = options;
  const keys = (streamId: string) => {
    const base = `${prefix}{${streamId}}`;
    return {
      events: `${base}:events`,
      lease: `${base}:lease`,
      stop: `${base}:stop`,
      ended: `${base}:ended`,
      notify: `${base}:notify`,
    };
  };
  const command = <T>(...args: Array<string | number>) => client.sendCommand<T>(args.map(String));
  const script = <T>(lua: string, keyNames: string[], ...args: Array<string | number>) =>
    command<T>('EVAL', lua, keyNames.length, ...keyNames, ...args);

  // One subscriber connection for the store; a channel's listeners share one subscription.
  let subscriber: Promise<RedisSubscriberLike> | undefined;
  const listeners = new Map<string, Set<(message: string) => void>>();
  async function listen(channel: string, listener: (message: string) => void): Promise<() => void> {
    subscriber ??= (async () => {
      const connection = client.duplicate();
      // node-redis emits connection errors as events, which would crash the process unheard; a lost
      // connection shows where it matters: in the commands that fail and the readers that end.
      connection.on?.('error', () => {});
      await connection.connect();
      return connection;
    })();
    const connection = await subscriber;
    let set = listeners.get(channel);
    if (!set) {
      const created = new Set<(message: string) => void>();
      listeners.set(channel, (set = created));
      await connection.subscribe(channel, (message) => created.forEach((each) => each(message)));
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || listeners.get(channel) !== set) return;
      listeners.delete(channel);
      connection.unsubscribe(channel).catch(() => {});
    };
  }

  async function produce(
    streamId: string,
    token: string,
    events: AsyncIterable<ServerEvent>,
    producing: AbortController,
  ) {
    const key = keys(streamId);
    const { signal } = producing;
    let end = '';
    let lost = false;
    const unlisten = await listen(key.notify, (message) => message === 's' && producing.abort()).catch(() => () => {});
    const renewal = setInterval(() => {
      script<number>(RENEW, [key.events, key.lease, key.stop], token, leaseTtl, expireAfter).then(
        (state) => state !== 0 && producing.abort(),
        () => {
          lost = true;
          producing.abort();
        },
      );
    }, leaseTtl / 3);
    let count = 0;
    // Appends are pipelined: up to APPEND_WINDOW in flight on the connection, which keeps their
    // order; each wakes the readers once Redis has it, unless a later append will (the last one of
    // a burst always does), so readers fetch in batches rather than once per event.
    const inFlight: Array<Promise<void>> = [];
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        if (++count > maxEvents) {
          end = errorEvent('StreamLimitError', `the stream passed maxEvents (${maxEvents})`).data;
          producing.abort();
          break;
        }
        const { data, event: type, retry } = storedEvent(event);
        const fields = ['d', data];
        if (type !== undefined) fields.push('e', type);
        if (retry !== undefined) fields.push('r', String(retry));
        const position = count;
        inFlight.push(
          command('XADD', key.events, '*', ...fields).then(
            () => void (position === count && command('PUBLISH', key.notify, 'a').catch(() => {})),
            () => {
              // Redis is lost: nothing more can be stored, so the producer is stopped.
              lost = true;
              producing.abort();
            },
          ),
        );
        if (inFlight.length >= APPEND_WINDOW) await inFlight.shift();
      }
    } catch (error) {
      if (!signal.aborted) end = errorEvent(nameOf(error), messageOf(error)).data;
    } finally {
      await Promise.all(inFlight);
      clearInterval(renewal);
      unlisten();
      if (!lost) {
        await script(END, [key.events, key.lease, key.ended], end, expireAfter, token)
          .then(() => command('PUBLISH', key.notify, 'x'))
          .catch(() => {});
      }
    }
  }

  function follow(streamId: string, from: string, signal?: AbortSignal): AsyncIterableIterator<ServerEvent> {
    const key = keys(streamId);
    let after = from;
    let buffer: ServerEvent[] = [];
    let closed = false;
    let resume = () => {};
    let unlisten: (() => void) | undefined;
    const close = () => {
      closed = true;
      resume();
    };
    signal?.addEventListener('abort', close, { once: true });
    const done = { value: undefined, done: true } as const;

    /** Fills `buffer` with what is stored after `after`; true once the end was read (its event, if any, buffered). */
    async function readMore(): Promise<boolean> {
      const entries = await command<Array<[string, string[]]>>('XRANGE', key.events, `(${after}`, '+', 'COUNT', 512);
      for (const [id, fields] of entries) {
        after = id;
        const field = Object.fromEntries(pairs(fields));
        if (field.x !== undefined) {
          if (field.x) buffer.push({ event: 'error', data: field.x });
          return true;
        }
        if (field.d === undefined) continue;
        const event: ServerEvent = { id: `${streamId}:${id}`, data: field.d };
        if (field.e !== undefined) event.event = field.e;
        if (field.r !== undefined) event.retry = Number(field.r);
        buffer.push(event);
      }
      return false;
    }

    let ended = false;
    const iterator: AsyncIterableIterator<ServerEvent> = {
      async next() {
        try {
          unlisten ??= await listen(key.notify, () => resume());
          for (;;) {
            if (closed || signal?.aborted) return iterator.return!();
            const event = buffer.shift();
            if (event) return { value: event, done: false };
            if (ended) return iterator.return!();
            const woken = new Promise<void>((resolve) => (resume = resolve));
            ended = await readMore();
            if (buffer.length || ended) continue;
            // Nothing new: wait to be told, or check on the producer after a third of its lease.
            const timer = setTimeout(() => resume(), leaseTtl / 3);
            await woken;
            clearTimeout(timer);
            if (closed) continue;
            const leased = await command<number>('EXISTS', key.lease);
            if (!leased) {
              const message = `the process producing stream "${streamId}" stopped renewing its lease`;
              const lost = errorEvent('ProducerLostError', message).data;
              await script(END, [key.events, key.lease, key.ended], lost, expireAfter, '');
              // Read on from past the end of a finished stream: nothing more will come.
              ended = (await readMore()) || (buffer.length === 0 && (await command<number>('EXISTS', key.ended)) === 1);
            }
          }
        } catch (error) {
          // The store is unreachable: one error event, then the end.
          if (closed) return done;
          await iterator.return!();
          return { value: errorEvent('StoreError', `Redis: ${messageOf(error)}`), done: false };
        }
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- an iterator's return() is async
      async return() {
        closed = true;
        buffer = [];
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

  const store = {
    async start(streamId: string, producer: (signal: AbortSignal) => AsyncIterable<ServerEvent>) {
      const key = keys(checkStreamId(streamId));
      const token = crypto.randomUUID();
      const created = await script<number>(START, [key.events, key.lease], token, leaseTtl, expireAfter);
      if (!created) throw new StreamExistsError(streamId);
      const producing = new AbortController();
      void produce(streamId, token, producer(producing.signal), producing);
    },
    async read(streamId: string, { lastEventId, signal }: ReadOptions = {}) {
      let from = '0-0';
      if (lastEventId !== undefined) {
        const parsed = parseEventId(lastEventId, POSITION);
        if (parsed.streamId !== streamId) throw new StreamNotFoundError(parsed.streamId);
        from = parsed.position;
      }
      if (!(await command<number>('EXISTS', keys(checkStreamId(streamId)).events))) {
        throw new StreamNotFoundError(streamId);
      }
      return follow(streamId, from, signal);
    },
    async resume(lastEventId: string, options: Pick<ReadOptions, 'signal'> = {}) {
      return store.read(parseEventId(lastEventId, POSITION).streamId, { ...options, lastEventId });
    },
    async stop(streamId: string) {
      const key = keys(checkStreamId(streamId));
      await command('SET', key.stop, '1', 'PX', expireAfter);
      await command('PUBLISH', key.notify, 's');
    },
    /** Ends the store's pub/sub connection (the app's client is the app's to close). */
    async close() {
      const connection = await subscriber;
      subscriber = undefined;
      listeners.clear();
      await (connection?.close?.() ?? connection?.quit?.());
    },
  };
  return store;
}

function* pairs(fields: string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < fields.length; i += 2) yield [fields[i]!, fields[i + 1]!];
}
