import { StoreError, StreamExistsError, StreamNotFoundError } from './errors.js';
import { linkTo, type RedisClientLike } from './redis-client.js';
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
  type StreamState,
  type StoreOptions,
} from './store.js';
import type { ServerEvent } from './write.js';

export type { RedisClientLike } from './redis-client.js';

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
  /**
   * Milliseconds the store waits for Redis to answer one command. Past it the command fails with a
   * `StoreError`: `start` rejects, a reader ends with a `StoreError` event, a producer is stopped.
   * Without it a client that queues commands while Redis is down (node-redis does) would hold every
   * call for the whole outage.
   * @default 5000
   */
  commandTimeout?: number | undefined;
}

// Entry fields: `d` data, `e` event, `r` retry; `s` marks the start, `x` the end (its value: "" for a
// clean end, else the JSON of the error event's data).

/** A Redis stream entry id, `<ms>-<seq>`, each part a 64-bit unsigned integer as Redis takes it. */
function isEntryId(position: string): boolean {
  const parts = /^(\d{1,20})-(\d{1,20})$/.exec(position);
  return parts !== null && parts.slice(1).every((part) => BigInt(part) <= 0xffff_ffff_ffff_ffffn);
}
// Batches of appends one producer keeps on their way (order is kept: one connection, one queue),
// and the events it gathers meanwhile before it waits: a producer faster than Redis is held back
// rather than buffered without end, and an event waits behind a few hundred at most.
const APPEND_WINDOW = 4;
const MAX_BATCH = 64;
// Entries one XRANGE fetches: a reader joining a long stream catches up in a few round trips.
const READ_BATCH = 2048;

// Every key is written with its expiry in the same script, so no key outlives its stream, even one
// recreated by a command queued while Redis restarted. While a producer runs, its events live
// `liveTtl` (expireAfter plus twice the lease), so its death is noticed before they expire; the end
// sets `expireAfter` from then.

// KEYS: events, lease. ARGV: lease token, lease ttl, live ttl. Creates the stream unless it exists.
const START = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('XADD', KEYS[1], '*', 's', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// KEYS: events. ARGV: live ttl, then per event its field count and fields. Appends the batch unless
// the stream is gone (Redis restarted, or it expired): then nothing is written and the reply is nil.
// (One script per batch: per event, a script costs Redis as much as four XADDs.)
const APPEND = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

// KEYS: events, lease, stop. ARGV: lease token, lease ttl, live ttl.
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
 * A store in Redis Streams, for many server processes sharing one Redis or a Redis Cluster: an
 * append (`XADD` and its expiry, in one script) per event under the entry id Redis assigns, `XRANGE`
 * to replay, pub/sub to wake live readers (sharded on a cluster), a lease the producer renews so
 * readers elsewhere learn when its process died. `client` is the app's connected client, node-redis
 * or ioredis, single or cluster (see `RedisClientLike`); the store duplicates it once for pub/sub
 * (`close()` ends that connection, not the app's). Every key of a stream carries its id as a hash
 * tag, so a stream lives in one slot.
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
    maxBytes = storeDefaults.maxBytes,
    commandTimeout = 5000,
  } = options;
  const link = linkTo(client);
  // How long a running stream's events live: past its producer's death being noticed.
  const liveTtl = expireAfter + 2 * leaseTtl;
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
  /** One command, bounded by `commandTimeout`; `key` routes it on a cluster. */
  function command<T>(key: string, ...args: Array<string | number>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreError(`Redis did not answer ${String(args[0])} within ${commandTimeout} ms`)),
        commandTimeout,
      );
      link.command<T>(key, args).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(new StoreError(`Redis: ${messageOf(error)}`, error));
        },
      );
    });
  }
  // EVAL, not EVALSHA: Redis caches the compiled script either way, and an EVALSHA that met a node
  // without the script (a failover) would have to be re-sent, out of order with the appends after it.
  const script = <T>(lua: string, keyNames: string[], ...args: Array<string | number>) =>
    command<T>(keyNames[0]!, 'EVAL', lua, keyNames.length, ...keyNames, ...args);
  const publish = (channel: string, message: string) =>
    link.publish(channel, message).catch(() => {
      // A lost wake-up is caught up by the readers' own clock (a third of the lease).
    });

  // The store's subscriptions: a channel's listeners share one.
  const listeners = new Map<string, Set<(message: string) => void>>();
  async function listen(channel: string, listener: (message: string) => void): Promise<() => void> {
    let set = listeners.get(channel);
    if (!set) {
      const created = new Set<(message: string) => void>();
      listeners.set(channel, (set = created));
      await link.subscribe(channel, (message) => created.forEach((each) => each(message)));
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || listeners.get(channel) !== set) return;
      listeners.delete(channel);
      link.unsubscribe(channel).catch(() => {});
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
    const stopLost = () => {
      // Redis is lost, or the stream is gone from it: nothing more can be stored.
      lost = true;
      producing.abort();
    };
    const unlisten = await listen(key.notify, (message) => message === 's' && producing.abort()).catch(() => () => {});
    const renewal = setInterval(() => {
      script<number>(RENEW, [key.events, key.lease, key.stop], token, leaseTtl, liveTtl).then(
        (state) => state !== 0 && producing.abort(),
        stopLost,
      );
    }, leaseTtl / 3);
    let count = 0;
    let bytes = 0;
    // Appends go in batches: an event made while the window has room is sent at once (a chat's
    // tokens go one by one, with no wait); those made while it is full go together when a batch
    // lands. Each batch wakes the readers once, so they fetch in batches too.
    let batch: Array<string | number> = [];
    let batched = 0;
    const inFlight = new Set<Promise<void>>();
    const send = () => {
      const args = batch;
      batch = [];
      batched = 0;
      const sent: Promise<void> = script<number | null>(APPEND, [key.events], liveTtl, ...args)
        .then((appended) => {
          if (appended === null) stopLost();
          else void publish(key.notify, 'a');
        }, stopLost)
        .then(() => {
          inFlight.delete(sent);
          if (batched) send();
        });
      inFlight.add(sent);
    };
    try {
      for await (const event of events) {
        if (signal.aborted) break;
        const { data, event: type, retry } = storedEvent(event);
        bytes += data.length;
        if (++count > maxEvents || bytes > maxBytes) {
          const limit = count > maxEvents ? `maxEvents (${maxEvents})` : `maxBytes (${maxBytes})`;
          end = errorEvent('StreamLimitError', `the stream passed ${limit}`).data;
          producing.abort();
          break;
        }
        const fields = ['d', data];
        if (type !== undefined) fields.push('e', type);
        if (retry !== undefined) fields.push('r', String(retry));
        batch.push(fields.length, ...fields);
        batched += 1;
        if (inFlight.size < APPEND_WINDOW) send();
        else if (batched >= MAX_BATCH) await Promise.race(inFlight);
      }
    } catch (error) {
      if (!signal.aborted) end = errorEvent(nameOf(error), messageOf(error)).data;
    } finally {
      while (inFlight.size) await Promise.all(inFlight);
      clearInterval(renewal);
      unlisten();
      if (!lost) {
        await script(END, [key.events, key.lease, key.ended], end, expireAfter, token)
          .then(() => publish(key.notify, 'x'))
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
      const entries = await command<Array<[string, string[]]>>(
        key.events,
        'XRANGE',
        key.events,
        `(${after}`,
        '+',
        'COUNT',
        READ_BATCH,
      );
      for (const [id, fields] of entries) {
        after = id;
        const field = fieldsOf(fields);
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
            const leased = await command<number>(key.lease, 'EXISTS', key.lease);
            if (!leased) {
              const message = `the process producing stream "${streamId}" stopped renewing its lease`;
              const lost = errorEvent('ProducerLostError', message).data;
              await script(END, [key.events, key.lease, key.ended], lost, expireAfter, '');
              // Read on from past the end of a finished stream: nothing more will come.
              ended =
                (await readMore()) ||
                (buffer.length === 0 && (await command<number>(key.ended, 'EXISTS', key.ended)) === 1);
            }
          }
        } catch (error) {
          // The store is unreachable: one error event, then the end.
          if (closed) return done;
          await iterator.return!();
          const failure = error instanceof StoreError ? error : new StoreError(`Redis: ${messageOf(error)}`);
          return { value: errorEvent(failure.name, failure.message), done: false };
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
      const created = await script<number>(START, [key.events, key.lease], token, leaseTtl, liveTtl);
      if (!created) throw new StreamExistsError(streamId);
      const producing = new AbortController();
      let events: AsyncIterable<ServerEvent>;
      try {
        events = producer(producing.signal);
      } catch (error) {
        // A producer that throws at once made nothing: the id is left free to start again.
        await command(key.events, 'DEL', key.events, key.lease).catch(() => {});
        throw error;
      }
      void produce(streamId, token, events, producing);
    },
    async read(streamId: string, { lastEventId, signal }: ReadOptions = {}) {
      let from = '0-0';
      if (lastEventId !== undefined) {
        const parsed = parseEventId(lastEventId, isEntryId);
        if (parsed.streamId !== streamId) throw new StreamNotFoundError(parsed.streamId);
        from = parsed.position;
      }
      const key = keys(checkStreamId(streamId));
      if (!(await command<number>(key.events, 'EXISTS', key.events))) throw new StreamNotFoundError(streamId);
      return follow(streamId, from, signal);
    },
    async resume(lastEventId: string, options: Pick<ReadOptions, 'signal'> = {}) {
      return store.read(parseEventId(lastEventId, isEntryId).streamId, { ...options, lastEventId });
    },
    async stop(streamId: string) {
      const key = keys(checkStreamId(streamId));
      await command(key.stop, 'SET', key.stop, '1', 'PX', expireAfter);
      await publish(key.notify, 's');
    },
    async state(streamId: string): Promise<StreamState> {
      const key = keys(checkStreamId(streamId));
      // The last two entries: the end (if it ended) and the last event before it, or the start marker.
      const [leased, last] = await Promise.all([
        command<number>(key.lease, 'EXISTS', key.lease),
        command<Array<[string, string[]]>>(key.events, 'XREVRANGE', key.events, '+', '-', 'COUNT', 2),
      ]);
      if (last.length === 0) return { state: 'expired', lastEventId: '' };
      const [newest, before] = last.map(([id, fields]) => ({ id, field: fieldsOf(fields) }));
      const end = newest!.field.x;
      const lastEvent = end === undefined ? newest : before;
      const lastEventId = lastEvent?.field.d === undefined ? '' : `${streamId}:${lastEvent.id}`;
      if (end !== undefined) return { state: stateOfEnd(end), lastEventId };
      // No end written, and no lease: its producer died and no reader has noticed yet.
      return { state: leased ? 'active' : 'lost', lastEventId };
    },
    /** Ends the store's pub/sub connection (the app's client is the app's to close). */
    async close() {
      listeners.clear();
      await link.close();
    },
  };
  return store;
}

/** An entry's `[name, value, name, value, …]` as an object. */
function fieldsOf(list: string[]): Record<string, string | undefined> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = list[i + 1]!;
  return fields;
}
